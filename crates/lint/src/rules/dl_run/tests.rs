//! hadolint's spec cases for the shell rules (ported from
//! `test/Hadolint/Rule/DL*Spec.hs`), plus devctl's DC1006/DC1007.

use crate::{lint, Finding, Options};
use devctl_dockerfile::parse;

fn findings(src: &str) -> Vec<Finding> {
    let df = parse(src).expect("test Dockerfile parses");
    lint(&df, &Options::default(), None)
}

fn has(code: &str, src: &str) -> bool {
    findings(src).iter().any(|f| f.code == code)
}

/// Every RUN wrapped in ONBUILD (hadolint's `onBuildRuleCatches`).
fn onbuild(src: &str) -> String {
    let mut out = String::new();
    let mut continued = false;
    for line in src.lines() {
        if !continued && line.starts_with("RUN") {
            out.push_str("ONBUILD ");
        }
        out.push_str(line);
        out.push('\n');
        continued = line.ends_with('\\');
    }
    out
}

#[track_caller]
fn catches(code: &str, src: &str) {
    assert!(
        has(code, src),
        "{code} expected for:\n{src}\ngot {:?}",
        findings(src)
    );
}

#[track_caller]
fn catches_not(code: &str, src: &str) {
    assert!(
        !has(code, src),
        "{code} not expected for:\n{src}\ngot {:?}",
        findings(src)
    );
}

#[track_caller]
fn both(code: &str, src: &str) {
    catches(code, src);
    catches(code, &onbuild(src));
}

#[track_caller]
fn neither(code: &str, src: &str) {
    catches_not(code, src);
    catches_not(code, &onbuild(src));
}

#[test]
fn dl3001_pointless_commands() {
    both("DL3001", "RUN apt-get install -y ssh && service ssh start");
    both("DL3001", "RUN top");
    neither("DL3001", "RUN apt-get install -y openssh-client");
    neither("DL3001", "RUN echo ps");
}

#[test]
fn dl3003_cd() {
    both("DL3003", "RUN cd /opt");
    both("DL3003", "RUN (cd /tmp && make)");
    neither("DL3003", "RUN echo cd");
    neither("DL3003", "RUN git checkout -b cd");
}

#[test]
fn dl3004_sudo() {
    both("DL3004", "RUN sudo apt-get update");
    both("DL3004", "RUN apt-get update && sudo ls");
    neither("DL3004", "RUN apt-get install sudo");
    neither("DL3004", "RUN echo sudo");
}

#[test]
fn dl3008_apt_pinning() {
    both("DL3008", "RUN apt-get update && apt-get install python");
    neither(
        "DL3008",
        "RUN apt-get update \\\n && apt-get -yqq --no-install-recommends install nodejs=0.10 \\\n && rm -rf /var/lib/apt/lists/*",
    );
    neither(
        "DL3008",
        "RUN apt-get update && apt-get install --no-install-recommends -y \\\npython-demjson=2.2.2* \\\nwget=1.16.1* \\\ngit=1:2.5.0* \\\nruby=1:2.1.*",
    );
    neither("DL3008", "RUN apt-get install -y python=1.2.2");
    neither(
        "DL3008",
        "RUN apt-get install ./wkhtmltox_0.12.5-1.bionic_amd64.deb",
    );
    neither(
        "DL3008",
        "RUN apt-get -y --no-install-recommends install nodejs=0.10",
    );
    neither(
        "DL3008",
        "RUN set -e &&\\\n echo \"deb http://http.debian.net/debian jessie-backports main\" > /etc/apt/sources.list.d/jessie-backports.list &&\\\n apt-get update &&\\\n apt-get install -y --no-install-recommends -t jessie-backports openjdk-8-jdk=8u131-b11-1~bpo8+1 &&\\\n rm -rf /var/lib/apt/lists/*",
    );
    neither("DL3008", "RUN apt-get install -y python=${PY_VERSION}");
    both("DL3008", "RUN [\"apt-get\", \"install\", \"-y\", \"curl\"]");
}

#[test]
fn dl3009_apt_lists() {
    #[track_caller]
    fn both_(src: &str) {
        both("DL3009", src)
    }
    both_("FROM scratch\nRUN apt-get update && apt-get install python");
    catches_not(
        "DL3009",
        "FROM ubuntu as foo\nRUN apt-get update && apt-get install python\nFROM scratch\nRUN echo hey!",
    );
    catches(
        "DL3009",
        &onbuild("FROM ubuntu as foo\nRUN apt-get update && apt-get install python\nFROM scratch\nRUN echo hey!"),
    );
    both_(
        "FROM ubuntu as foo\nRUN hey!\nFROM scratch\nRUN apt-get update && apt-get install python",
    );
    both_("FROM ubuntu as foo\nRUN apt-get update && apt-get install python\nFROM foo\nRUN hey!");
    neither(
        "DL3009",
        "FROM ubuntu as foo\nRUN apt-get update && apt-get install python && rm -rf /var/lib/apt/lists/*\nFROM foo\nRUN hey!",
    );
    neither(
        "DL3009",
        "FROM scratch\nRUN apt-get update && apt-get install python && rm -rf /var/lib/apt/lists/*",
    );
    neither(
        "DL3009",
        "RUN --mount=type=cache,target=/var/lib/apt/lists \\\n    apt-get update && apt-get install python",
    );
    neither(
        "DL3009",
        "RUN --mount=type=cache,target=/var/lib/apt \\\n    --mount=type=cache,target=/var/cache/apt \\\n    rm -f /etc/apt/apt.conf.d/docker-clean && \\\n    apt-get update && apt-get install python",
    );
    neither(
        "DL3009",
        "RUN rm -f /etc/apt/apt.conf.d/docker-clean\nRUN --mount=type=cache,target=/var/cache/apt \\\n    --mount=type=cache,target=/var/lib/apt \\\n    apt-get update && apt-get install foo",
    );
    both_(
        "RUN --mount=type=cache,target=/var/cache/apt \\\n    rm -f /etc/apt/apt.conf.d/docker-clean && \\\n    apt-get update && apt-get install python",
    );
    both_(
        "RUN rm -f /etc/apt/apt.conf.d/docker-clean\nRUN --mount=type=cache,target=/var/lib/apt \\\n    apt-get update && apt-get install python",
    );
}

#[test]
fn dl3010_archive_extracted() {
    catches(
        "DL3010",
        "COPY packaged-app.tar /usr/src/app\nRUN tar -xf /usr/src/app/packaged-app.tar",
    );
    catches(
        "DL3010",
        "COPY foo.tar.gz /tmp/\nRUN tar --extract -f /tmp/foo.tar.gz",
    );
    catches("DL3010", "COPY src.zip bar.tgz /x/\nRUN gunzip /x/bar.tgz");
    catches_not(
        "DL3010",
        "COPY packaged-app.tar /usr/src/app\nRUN echo done",
    );
    catches_not(
        "DL3010",
        "COPY --from=build app.tar /x/\nRUN tar -xf /x/app.tar",
    );
    catches_not(
        "DL3010",
        "COPY app.tar /x/\nFROM scratch\nRUN tar -xf /x/app.tar",
    );
    catches(
        "DL3010",
        "COPY packaged-app.tar /usr/src/app\nWORKDIR /usr/src/app\nRUN foo bar && echo something && tar -xf packaged-app.tar",
    );
    catches(
        "DL3010",
        "COPY foo/bar/packaged-app.tar /foo.tar\nRUN tar -xf /foo.tar",
    );
    catches(
        "DL3010",
        "COPY build\\foo\\bar.tar.gz \"C:\\Program Files\\Foo\"\nRUN tar -xf \"C:\\Program Files\\Foo\\bar.tar.gz\"",
    );
    catches(
        "DL3010",
        "COPY build\\foo\\bar.tar.gz \"C:\\Program Files\\foo.tar.gz\"\nRUN tar -xf foo.tar.gz",
    );
    catches_not(
        "DL3010",
        "COPY packaged-app.tar /usr/src/app\nFROM debian:11 as newstage",
    );
    catches_not("DL3010", "COPY package.json /usr/src/app");
    catches_not(
        "DL3010",
        "COPY --from=builder /usr/local/share/some.tar /opt/some.tar",
    );
    // reported at the COPY
    let f = findings("FROM a\nCOPY app.tar /x/\nRUN tar -xf /x/app.tar");
    assert!(f.iter().any(|f| f.code == "DL3010" && f.line() == 2));
}

#[test]
fn dl3013_pip_pinning() {
    both("DL3013", "RUN pip2 install MySQL_python");
    both("DL3013", "RUN pip3 install MySQL_python");
    neither("DL3013", "RUN pip3 install MySQL_python==1.2.2");
    neither("DL3013", "RUN pip3 install mypkg.whl");
    neither("DL3013", "RUN pip3 install mypkg.tar.gz");
    neither("DL3013", "RUN pip install -r requirements.txt");
    neither("DL3013", "RUN pip install --requirement requirements.txt");
    neither("DL3013", "RUN pip install .");
    both("DL3013", "RUN pip install MySQL_python");
    neither("DL3013", "RUN pip install MySQL_python~=1.2.2");
    neither("DL3013", "RUN pip install MySQL_python===1.2.2");
    neither(
        "DL3013",
        "RUN pip install --ignore-installed MySQL_python==1.2.2",
    );
    neither(
        "DL3013",
        "RUN pip3 install --build /opt/yamllint yamllint==1.20.0",
    );
    neither(
        "DL3013",
        "RUN pip3 install --prefix /opt/yamllint yamllint==1.20.0",
    );
    neither(
        "DL3013",
        "RUN pip3 install --root /opt/yamllint yamllint==1.20.0",
    );
    neither(
        "DL3013",
        "RUN pip3 install --target /opt/yamllint yamllint==1.20.0",
    );
    neither(
        "DL3013",
        "RUN pip3 install --trusted-host host example==1.2.2",
    );
    neither("DL3013", "RUN python -m pip install example==1.2.2");
    catches("DL3013", "RUN python -m pip install example");
    catches(
        "DL3013",
        &onbuild("RUN python -m pip install --index-url url example"),
    );
    neither(
        "DL3013",
        "RUN pip install git+https://github.com/rtfd/r-ext.git@0.6-alpha#egg=r-ext",
    );
    neither(
        "DL3013",
        "RUN pip install git+ssh://github.com/rtfd/r-ext.git@0.6-alpha#egg=r-ext",
    );
    both(
        "DL3013",
        "RUN pip install git+https://github.com/rtfd/read-ext.git#egg=read-ext",
    );
    both(
        "DL3013",
        "RUN pip install git+ssh://github.com/rtfd/read-ext.git#egg=read-ext",
    );
    neither("DL3013", "RUN pip install foo/bar");
    neither("DL3013", "RUN pip install https://foo.bar/baz.zip");
    neither("DL3013", "RUN pip install 'alabaster>=0.7'");
    neither("DL3013", "RUN pip install 'alabaster<0.7'");
    neither("DL3013", "RUN pip install 'alabaster!=0.7'");
    neither("DL3013", "RUN pip install MySQL_python==1.2.2 --user");
    neither(
        "DL3013",
        "RUN pip install MySQL_python==1.2.2 --disable-pip-version-check",
    );
    neither(
        "DL3013",
        "RUN pip install --index-url https://eg.com/foo foobar==1.0.0",
    );
    neither(
        "DL3013",
        "RUN pip install --index-url https://eg.com/foo --extra-index-url https://ex-eg.io/foo foobar==1.0.0",
    );
    neither(
        "DL3013",
        "RUN pip install MySQL_python==1.2.2 --no-cache-dir",
    );
    neither(
        "DL3013",
        "RUN pip install pykafka --constraint http://foo.bar.baz",
    );
    neither("DL3013", "RUN pip install pykafka -c http://foo.bar.baz");
    neither(
        "DL3013",
        "RUN pip install --index-url https://user:pass@eg.com/foo --extra-index-url https://user:pass@ex-eg.io/foo foobar==1.0.0",
    );
    neither("DL3013", "RUN pipenv install black");
    neither("DL3013", "RUN pip install -e .");
}

#[test]
fn dl3014_apt_yes() {
    both("DL3014", "RUN apt-get install python");
    neither("DL3014", "RUN apt-get install -y python");
    neither("DL3014", "RUN apt-get install --yes python");
    neither("DL3014", "RUN apt-get install --assume-yes python");
    neither("DL3014", "RUN apt-get -yqq install python");
    neither("DL3014", "RUN apt-get -qq install python");
    both("DL3014", "RUN apt-get install -q python");
    both("DL3014", "RUN apt-get install --quiet python");
    neither("DL3014", "RUN apt-get install -yq python");
    neither("DL3014", "RUN apt-get install -q -q python");
    neither("DL3014", "RUN apt-get install -q=2 python");
    neither("DL3014", "RUN apt-get install --quiet --quiet python");
    neither("DL3014", "RUN apt-get update");
}

#[test]
fn dl3015_no_install_recommends() {
    both("DL3015", "RUN apt-get install -y python");
    neither(
        "DL3015",
        "RUN apt-get install -y --no-install-recommends python",
    );
    neither(
        "DL3015",
        "RUN apt-get -o APT::Install-Recommends=false install python",
    );
}

#[test]
fn dl3016_npm_pinning() {
    for ok in [
        "RUN npm install",
        "RUN npm install --progress=false",
        "RUN npm install express@4.1.1",
        "RUN npm install @myorg/privatepackage@\">=0.1.0\"",
        "RUN npm install express@\"4.1.1\" sax@0.1.1",
        "RUN npm install --global express@\"4.1.1\"",
        "RUN npm install -g express@\"4.1.1\"",
        "RUN npm install package-v1.2.3.tar",
        "RUN npm install package-v1.2.3.tar.gz",
        "RUN npm install package-v1.2.3.tgz",
        "RUN npm install /folder",
        "RUN npm install ./folder",
        "RUN npm install ../folder",
        "RUN npm install ~/folder",
        "RUN npm install git+ssh://git@github.com:npm/npm.git#v1.0.27",
        "RUN npm install git+http://isaacs@github.com/npm/npm#semver:^5.0",
        "RUN npm install git+https://isaacs@github.com/npm/npm.git#v1.0.27",
        "RUN npm install git://github.com/npm/npm.git#v1.0.27",
        "RUN npm run --crazy install",
        "RUN npm install @myorg/privatepackage@\">=0.1.0 <0.2.0\"",
        "RUN npm install --loglevel verbose sax@0.1.1",
        "RUN npm ci",
    ] {
        neither("DL3016", ok);
    }
    for bad in [
        "RUN npm install express",
        "RUN npm install @myorg/privatepackage",
        "RUN npm install express sax@0.1.1",
        "RUN npm install --global express",
        "RUN npm install git+ssh://git@github.com:npm/npm.git",
        "RUN npm install git+http://isaacs@github.com/npm/npm",
        "RUN npm install git+https://isaacs@github.com/npm/npm.git",
        "RUN npm install git://github.com/npm/npm.git",
    ] {
        both("DL3016", bad);
    }
}

#[test]
fn dl3018_apk_pinning() {
    both("DL3018", "RUN apk add flex");
    neither("DL3018", "RUN apk add flex=2.6.4-r1");
    neither("DL3018", "RUN apk add flex~=2.6");
    // Quoted comparison operators pin too (hadolint 2.15.1); unquoted `>` is a redirect.
    neither("DL3018", "RUN apk add --no-cache 'curl>8' \"curl<9\"");
    both("DL3018", "RUN apk add --no-cache curl>=8");
    neither(
        "DL3018",
        "RUN apk add --no-cache --virtual .build-deps flex=2.6.4-r1",
    );
    neither("DL3018", "RUN apk add -t .build-deps flex=2.6.4-r1");
    neither("DL3018", "RUN apk add --repository https://x flex=1");
    neither("DL3018", "RUN apk add /tmp/pkg.apk");
    both("DL3018", "RUN apk add --no-cache flex=1 bison");
    neither(
        "DL3018",
        "RUN apk add --no-cache flex=2.6.4-r1 \\\n && pip install -r requirements.txt",
    );
    neither(
        "DL3018",
        "RUN apk add --no-cache \\\nflex=2.6.4-r1 \\\nlibffi=3.2.1-r3 \\\npython2=2.7.13-r1 \\\nlibbz2=1.0.6-r5",
    );
    both(
        "DL3018",
        "RUN apk add --no-cache \\\nflex=2.6.4-r1 \\\nlibffi \\\npython2=2.7.13-r1 \\\nlibbz2=1.0.6-r5",
    );
    neither(
        "DL3018",
        "RUN apk add \\\n--virtual build-dependencies \\\npython-dev=1.1.1 build-base=2.2.2 wget=3.3.3 \\\n&& pip install -r requirements.txt \\\n&& python setup.py install \\\n&& apk del build-dependencies",
    );
    neither(
        "DL3018",
        "RUN apk add --no-cache \\\n--repository=https://nl.alpinelinux.org/alpine/edge/testing \\\nflow=0.78.0-r0",
    );
    neither(
        "DL3018",
        "RUN apk add --no-cache \\\n-X https://nl.alpinelinux.org/alpine/edge/testing \\\nflow=0.78.0-r0",
    );
    neither("DL3018", "RUN apk add mypackage-1.1.1.apk");
}

#[test]
fn dl3019_apk_no_cache() {
    both("DL3019", "RUN apk add flex=2.6.4-r1");
    neither("DL3019", "RUN apk add --no-cache flex=2.6.4-r1");
    neither(
        "DL3019",
        "RUN --mount=type=cache,target=/var/cache/apk apk add flex=2.6.4-r1",
    );
    neither(
        "DL3019",
        "RUN --mount=type=cache,target=/var/cache/apk/ apk add flex=2.6.4-r1",
    );
}

#[test]
fn dl3027_apt() {
    both("DL3027", "RUN apt install python");
    neither("DL3027", "RUN apt-get install python");
    neither("DL3027", "RUN apt-cache madison python");
}

#[test]
fn dl3028_gem_pinning() {
    both("DL3028", "RUN gem install bundler");
    both("DL3028", "RUN gem i bundler");
    neither("DL3028", "RUN gem install bundler:2.0.1");
    neither("DL3028", "RUN gem install bundler -v 2.0.1");
    neither("DL3028", "RUN gem install bundler --version 2.0.1");
    neither("DL3028", "RUN gem install bundler --version=2.0.1");
    neither("DL3028", "RUN gem install --no-document bundler:2.0.1");
    neither("DL3028", "RUN gem update --system");
    neither(
        "DL3028",
        "RUN gem install bundler:2.0.1 -- --use-system-libraries=true",
    );
}

#[test]
fn yum_rules() {
    both("DL3030", "RUN yum install httpd-2.4.24 && yum clean all");
    neither("DL3030", "RUN yum install -y httpd-2.4.24 && yum clean all");
    neither(
        "DL3030",
        "RUN yum install --assumeyes httpd-2.4.24 && yum clean all",
    );
    both("DL3032", "RUN yum install -y httpd-2.4.24");
    neither("DL3032", "RUN yum install -y httpd-2.4.24 && yum clean all");
    neither(
        "DL3032",
        "RUN yum install -y httpd-2.4.24 && rm -rf /var/cache/yum/*",
    );
    neither("DL3032", "RUN bash -c `# not even a yum command`");
    catches("DL3032", "RUN yum clean all && yum install -y");
    both("DL3032", "RUN yum install -y bash && yum clean");
    both("DL3032", "RUN yum install -y bash && yum clean cache");
    both(
        "DL3032",
        "RUN yum install -y bash && rm -rf /var/lib/apt/lists/*",
    );
    both(
        "DL3032",
        "RUN yum install -y bash && rm -rf /var/cache/libdnf5",
    );
    neither(
        "DL3032",
        "RUN rm -rf /foo/bar && yum install -y bash && rm -rf /var/cache/yum/*",
    );
    both("DL3033", "RUN yum install -y httpd && yum clean all");
    neither("DL3033", "RUN yum install -y httpd-2.24.2 && yum clean all");
    neither("DL3033", "RUN yum install -y /tmp/foo-1.0.rpm");
    neither("DL3033", "RUN yum install -y tomcat-9.2 && yum clean all");
    neither("DL3033", "RUN bash -c `# not even a yum command`");
    neither("DL3033", "RUN yum install -y rpm-sign-4.16.1.3");
    neither("DL3033", "RUN yum install -y gcc-c++-1.1.1");
    catches_not(
        "DL3033",
        "ENV version=2.51.0-2.fc42\nRUN yum -y install git-core-${version}",
    );
    catches_not(
        "DL3033",
        "ARG version=2.51.0-2.fc42\nRUN yum -y install git-core-$version",
    );
    catches_not(
        "DL3033",
        "FROM fedora:fc42 AS build\nARG version=2.51.0-2.fc42\nFROM fedora:fc42\nRUN yum -y install git-core-${version}",
    );
    catches_not(
        "DL3033",
        "FROM fedora:fc42 AS build\nENV version=2.51.0-2.fc42\nFROM build\nRUN yum -y install git-core-${version}",
    );
    catches(
        "DL3033",
        "FROM fedora:fc42 AS build\nENV version=2.51.0-2.fc42\nFROM fedora:fc42\nRUN yum -y install git-core-${version}",
    );
    catches("DL3033", "RUN yum -y install git-core-${undefined}");
    // hadolint: a name without a dash is never pinned, even an .rpm
    both("DL3033", "RUN yum install -y /tmp/foo.rpm");
    neither(
        "DL3033",
        "RUN yum install -y openssl-libs-1:1.1.1k-6.el8_5.x86_64",
    );
    both("DL3033", "RUN yum module install -y container-tools");
    neither("DL3033", "RUN yum module install -y container-tools:3.0");
    both("DL3033", "RUN yum install -y python3-pip");
}

#[test]
fn zypper_rules() {
    both("DL3034", "RUN zypper install httpd=2.4.24 && zypper clean");
    neither(
        "DL3034",
        "RUN zypper install -y httpd=2.4.24 && zypper clean",
    );
    neither(
        "DL3034",
        "RUN zypper --non-interactive install httpd=2.4.24 && zypper clean",
    );
    neither("DL3034", "RUN zypper -n in httpd=2.4.24 && zypper clean");
    both("DL3035", "RUN zypper dist-upgrade");
    both("DL3035", "RUN zypper dup");
    neither("DL3035", "RUN zypper up");
    both("DL3036", "RUN zypper install -y httpd=2.4.24");
    neither(
        "DL3036",
        "RUN zypper install -y httpd=2.4.24 && zypper clean",
    );
    neither("DL3036", "RUN zypper install -y httpd=2.4.24 && zypper cc");
    neither(
        "DL3036",
        "RUN --mount=type=cache,target=/var/cache/zypp zypper install -y httpd=2.4.24",
    );
    both("DL3037", "RUN zypper install -y httpd && zypper clean");
    neither(
        "DL3037",
        "RUN zypper install -y httpd=2.4.24 && zypper clean",
    );
    neither(
        "DL3037",
        "RUN zypper install -y 'httpd>=2.4.24' && zypper clean",
    );
    neither("DL3037", "RUN zypper install -y /tmp/x.rpm && zypper clean");
    for pinned in [
        "tomcat=9.0.39",
        "tomcat\\>=9.0",
        "tomcat\\>9.0",
        "tomcat\\<=9.0",
        "tomcat\\<9.0",
        "tomcat-9.0.39-1.rpm",
    ] {
        neither(
            "DL3037",
            &format!("RUN zypper install -y {pinned} && zypper clean"),
        );
    }
    neither(
        "DL3034",
        "RUN zypper install --no-confirm httpd=2.4.24 && zypper clean",
    );
    neither(
        "DL3036",
        "RUN --mount=type=tmpfs,target=/var/cache/zypp zypper install -y mariadb",
    );
    neither("DL3038", "RUN notdnf install httpd");
}

#[test]
fn dnf_rules() {
    both("DL3038", "RUN dnf install httpd-2.4.24 && dnf clean all");
    both(
        "DL3038",
        "RUN microdnf install httpd-2.4.24 && microdnf clean all",
    );
    neither("DL3038", "RUN dnf install -y httpd-2.4.24 && dnf clean all");
    both("DL3040", "RUN dnf install -y httpd-2.4.24");
    both("DL3040", "RUN microdnf install -y httpd-2.4.24");
    neither("DL3040", "RUN dnf install -y httpd-2.4.24 && dnf clean all");
    neither(
        "DL3040",
        "RUN microdnf install -y httpd-2.4.24 && microdnf clean all",
    );
    neither(
        "DL3040",
        "RUN --mount=type=cache,target=/var/cache/libdnf5 dnf install -y httpd-2.4.24",
    );
    neither(
        "DL3040",
        "RUN --mount=type=tmpfs,target=/var/cache/libdnf5 dnf in -y mariadb-10.4",
    );
    both("DL3040", "RUN dnf in -y mariadb-10.4");
    both(
        "DL3040",
        "RUN dnf install -y mariadb-10.4 && microdnf clean all",
    );
    neither("DL3040", "RUN notdnf install mariadb");
    neither(
        "DL3040",
        "RUN microdnf install -y mariadb-10.4 && rm -rf /var/cache/yum/*",
    );
    catches(
        "DL3040",
        "RUN microdnf clean all && dnf install -y mariadb-10.4",
    );
    catches(
        "DL3040",
        "RUN rm -rf /var/cache/libdnf5 && microdnf install -y mariadb-10.4",
    );
    for sub in [
        "install",
        "in",
        "upgrade",
        "up",
        "upgrade-minimal",
        "up-min",
        "reinstall",
        "rei",
    ] {
        catches("DL3040", &format!("RUN dnf -y {sub}"));
        catches_not("DL3040", &format!("RUN dnf -y {sub} && dnf clean all"));
    }
    both("DL3041", "RUN dnf install -y httpd && dnf clean all");
    neither("DL3041", "RUN dnf install -y httpd-2.24.2 && dnf clean all");
    neither(
        "DL3041",
        "RUN microdnf install -y httpd-2.24.2 && microdnf clean all",
    );
    both("DL3041", "RUN dnf module install -y nodejs");
    neither("DL3041", "RUN dnf module install -y nodejs:14");
    neither("DL3041", "RUN dnf group install -y 'Development Tools'");
    both("DL3041", "RUN dnf install -y rpm-sign && dnf clean all");
    both(
        "DL3041",
        "RUN microdnf install -y tomcat && microdnf clean all",
    );
    neither(
        "DL3041",
        "RUN dnf install -y rpm-sign-4.16.1.3 && dnf clean all",
    );
    neither("DL3041", "RUN microdnf install -y openssl-1:1.1.1k");
    neither("DL3041", "RUN notdnf install tomcat");
    neither("DL3041", "RUN notdnf module install tomcat");
    both(
        "DL3041",
        "RUN microdnf module install -y tomcat && microdnf clean all",
    );
    neither(
        "DL3041",
        "RUN microdnf module install -y tomcat:9 && microdnf clean all",
    );
}

#[test]
fn dl3042_pip_cache() {
    both("DL3042", "RUN pip2 install MySQL_python");
    both("DL3042", "RUN pip install MySQL_python");
    neither("DL3042", "RUN pip2 install MySQL_python --no-cache-dir");
    neither("DL3042", "RUN pip3 install --no-cache-dir MySQL_python");
    neither("DL3042", "RUN pipx install software");
    neither("DL3042", "RUN pipenv install library");
    neither(
        "DL3042",
        "RUN --mount=type=cache,target=/root/.cache/pip pip install foobar",
    );
    neither(
        "DL3042",
        "RUN --mount=type=tmpfs,target=/home/app/.cache/pip pip install foobar",
    );
    for v in ["1", "on", "yes", "true"] {
        catches_not(
            "DL3042",
            &format!("ENV PIP_NO_CACHE_DIR={v}\nRUN pip install MySQL_python"),
        );
        catches_not(
            "DL3042",
            &format!("RUN PIP_NO_CACHE_DIR={v} pip install MySQL_python"),
        );
        catches_not(
            "DL3042",
            &format!("RUN export PIP_NO_CACHE_DIR={v} && pip install MySQL_python"),
        );
    }
    for v in ["0", "off", "no", "false"] {
        catches(
            "DL3042",
            &format!("ENV PIP_NO_CACHE_DIR={v}\nRUN pip install MySQL_python"),
        );
        catches(
            "DL3042",
            &format!("RUN PIP_NO_CACHE_DIR={v} pip install MySQL_python"),
        );
    }
    catches_not(
        "DL3042",
        "FROM debian:buster as base\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install six",
    );
    catches(
        "DL3042",
        "FROM debian:buster as base\nENV PIP_NO_CACHE_DIR=1\nFROM debian:buster\nRUN pip install six",
    );
}

#[test]
fn dl3046_useradd() {
    both("DL3046", "RUN useradd -u 123456 luser");
    neither("DL3046", "RUN useradd -l -u 123456 luser");
    neither("DL3046", "RUN useradd -u 1000 luser");
    neither("DL3046", "RUN useradd luser");
}

#[test]
fn dl3047_wget_progress() {
    both("DL3047", "RUN wget my.xyz");
    neither("DL3047", "RUN wget --progress=dot:giga my.xyz");
    neither("DL3047", "RUN wget -q my.xyz");
    neither("DL3047", "RUN wget --quiet my.xyz");
    neither("DL3047", "RUN wget -nv my.xyz");
    neither("DL3047", "RUN wget --no-verbose my.xyz");
    neither("DL3047", "RUN wget -o log my.xyz");
    neither("DL3047", "RUN wget --output-file=log my.xyz");
    neither("DL3047", "RUN wget -a log my.xyz");
}

#[test]
fn dl3060_yarn_cache() {
    both("DL3060", "RUN yarn install");
    neither("DL3060", "RUN foo");
    both("DL3060", "RUN yarn install foo");
    neither("DL3060", "RUN yarn install && yarn cache clean");
    catches("DL3060", "RUN yarn cache clean && yarn install foo");
    neither(
        "DL3060",
        "RUN --mount=type=cache,target=/root/.cache/yarn yarn install foobar",
    );
    neither(
        "DL3060",
        "RUN --mount=type=tmpfs,target=/root/.cache/yarn yarn install foobar",
    );
    both(
        "DL3060",
        "RUN --mount=type=cache,target=/var/lib/foobar yarn install foobar",
    );
    both(
        "DL3060",
        "RUN --mount=type=tmpfs,target=/var/lib/foobar yarn install foobar",
    );
    both(
        "DL3060",
        "FROM node:lts-alpine as foo\nRUN hey!\nFROM scratch\nRUN yarn install",
    );
    neither(
        "DL3060",
        "FROM node:lts-alpine as foo\nRUN yarn install && yarn cache clean\nFROM foo\nRUN hey!",
    );
    catches_not(
        "DL3060",
        "FROM node as build\nRUN yarn install\nFROM scratch\nRUN echo",
    );
    catches(
        "DL3060",
        "FROM node as build\nRUN yarn install\nFROM build\nRUN echo",
    );
}

#[test]
fn dl3062_go_pinning() {
    both("DL3062", "RUN go install example.com/cmd");
    both("DL3062", "RUN go get example.com/cmd");
    both("DL3062", "RUN go install example.com/cmd@latest");
    neither("DL3062", "RUN go install example.com/cmd@v1.0.0");
    neither("DL3062", "RUN go install .");
    neither("DL3062", "RUN go install ./cmd/...");
    neither("DL3062", "RUN go build ./...");
    both("DL3062", "RUN go run example.com/cmd arg");
    neither("DL3062", "RUN go run example.com/cmd@v1.2.3 arg");
}

#[test]
fn dl4001_wget_and_curl() {
    catches("DL4001", "FROM a\nRUN wget x\nRUN curl y");
    catches("DL4001", "FROM a\nRUN wget x && curl y");
    catches_not("DL4001", "FROM a\nRUN wget x\nFROM b\nRUN curl y");
    catches_not("DL4001", "FROM a\nRUN curl x\nRUN curl y");
    // reported at the later RUN only
    let f = findings("FROM a\nRUN wget x\nRUN curl y");
    let lines: Vec<usize> = f
        .iter()
        .filter(|f| f.code == "DL4001")
        .map(|f| f.line())
        .collect();
    assert_eq!(lines, [3]);
}

#[test]
fn dl4005_ln_bin_sh() {
    both("DL4005", "RUN ln -sfv /bin/bash /bin/sh");
    neither("DL4005", "RUN ln -sf /bin/true /sbin/initctl");
}

#[test]
fn dl4006_pipefail() {
    catches(
        "DL4006",
        "FROM scratch\nRUN wget -O - https://some.site | wc -l > /number",
    );
    catches_not(
        "DL4006",
        "FROM scratch as build\nRUN wget -O - https://some.site && wc -l file > /number",
    );
    for shell in [
        r#"["/bin/bash", "-eo", "pipefail", "-c"]"#,
        r#"["/bin/bash", "-e", "-o", "pipefail", "-c"]"#,
        r#"["/bin/bash", "-o", "errexit", "-o", "pipefail", "-c"]"#,
        r#"["/bin/zsh", "-o", "pipefail", "-c"]"#,
        r#"["/usr/bin/bash", "-o", "pipefail", "-c"]"#,
        r#"["/usr/local/bin/zsh", "-o", "pipefail", "-c"]"#,
        r#"["/bin/ash", "-o", "pipefail", "-c"]"#,
    ] {
        catches_not(
            "DL4006",
            &format!("FROM scratch as build\nSHELL {shell}\nRUN wget -O - https://some.site | wc -l file > /number"),
        );
    }
    catches_not(
        "DL4006",
        "FROM scratch as build\nSHELL [\"pwsh\", \"-c\"]\nRUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value",
    );
    catches(
        "DL4006",
        "FROM scratch as build\nSHELL [\"/bin/sh\", \"-o\", \"pipefail\", \"-c\"]\nRUN wget -O - https://some.site | wc -l file > /number",
    );
    catches(
        "DL4006",
        "FROM scratch as build\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN wget -O - https://some.site | wc -l file > /number\nFROM scratch as build2\nRUN wget -O - https://some.site | wc -l file > /number",
    );
    catches(
        "DL4006",
        "FROM scratch as build\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN wget -O - https://some.site | wc -l file > /number\nSHELL [\"/bin/sh\", \"-c\"]\nRUN wget -O - https://some.site | wc -l file > /number",
    );
    for shell in [
        r#"[ "pwsh", "-c" ]"#,
        r#"[ "powershell.exe" ]"#,
        r#"[ "cmd.exe", "/c" ]"#,
    ] {
        catches_not(
            "DL4006",
            &format!("FROM mcr.microsoft.com/powershell:ubuntu-16.04\nSHELL {shell}\nRUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value"),
        );
    }
    // hadolint 2.15.1 still reports it under the shell pragma (checked).
    catches(
        "DL4006",
        "FROM mcr.microsoft.com/windows\n# hadolint shell=powershell\nRUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value",
    );
    // a pipe inside a quoted string is not a pipe
    catches_not("DL4006", "FROM a\nRUN echo 'a | b'");
}

#[test]
fn heredoc_and_json_scripts() {
    catches(
        "DL3004",
        "FROM a\nRUN <<EOF\napt-get update\nsudo ls\nEOF\n",
    );
    catches_not("DL3004", "FROM a\nRUN cat <<EOF > /x\nsudo ls\nEOF\n");
    // hadolint joins the JSON arguments: `sh -c cd /x` runs `sh`, not `cd`
    catches_not("DL3003", "FROM a\nRUN [\"sh\", \"-c\", \"cd /x\"]");
    catches("DL3003", "FROM a\nRUN [\"cd\", \"/x\"]");
    catches("DL3004", "FROM a\nRUN [\"sudo\", \"ls\"]");
}

#[test]
fn findings_are_at_the_instruction() {
    let f = findings("FROM a\n\nRUN apt-get update \\\n  && sudo ls\n");
    let dl3004 = f.iter().find(|f| f.code == "DL3004").expect("DL3004");
    assert_eq!((dl3004.line(), dl3004.col()), (3, 1));
    assert!(dl3004.message.starts_with("Do not use sudo"));
}

#[test]
fn dc1006_chown_after_copy() {
    catches("DC1006", "FROM a\nCOPY . /app\nRUN chown -R app:app /app");
    catches(
        "DC1006",
        "FROM a\nWORKDIR /app\nCOPY . .\nRUN chown -R app /app/src",
    );
    catches(
        "DC1006",
        "FROM a\nCOPY src /app/src\nRUN chown --recursive app /app",
    );
    catches_not(
        "DC1006",
        "FROM a\nCOPY --chown=app . /app\nRUN chown -R app /app",
    );
    catches_not("DC1006", "FROM a\nCOPY . /app\nRUN chown -R app /data");
    catches_not("DC1006", "FROM a\nCOPY . /app\nRUN chown app /app");
    catches_not(
        "DC1006",
        "FROM a\nCOPY . /app\nFROM b\nRUN chown -R app /app",
    );
    let f = findings("FROM a\nCOPY . /app\nRUN chown -R app:app /app");
    let m = &f
        .iter()
        .find(|f| f.code == "DC1006")
        .expect("DC1006")
        .message;
    assert!(m.contains("line 2") && m.contains("COPY --chown"), "{m}");
}

#[test]
fn dc1007_package_caches() {
    catches("DC1007", "FROM node\nRUN npm ci");
    catches("DC1007", "FROM node\nRUN npm install express@4");
    catches_not("DC1007", "FROM node\nRUN npm ci && npm cache clean --force");
    catches_not(
        "DC1007",
        "FROM node\nRUN --mount=type=cache,target=/root/.npm npm ci",
    );
    catches_not("DC1007", "FROM node\nRUN npm run build");
    catches("DC1007", "FROM php\nRUN composer install");
    catches_not("DC1007", "FROM php\nRUN composer install --no-cache");
    catches("DC1007", "FROM python\nRUN poetry install");
    catches_not("DC1007", "FROM python\nRUN poetry install --no-cache");
    catches("DC1007", "FROM python\nRUN uv sync");
    catches_not("DC1007", "FROM python\nENV UV_NO_CACHE=1\nRUN uv sync");
    catches_not(
        "DC1007",
        "FROM python\nRUN --mount=type=cache,target=/root/.cache/uv uv sync",
    );
    catches_not("DC1007", "FROM python\nRUN uv sync && uv cache clean");
    let f = findings("FROM node\nRUN npm ci");
    let m = &f
        .iter()
        .find(|f| f.code == "DC1007")
        .expect("DC1007")
        .message;
    assert!(
        m.contains("npm cache clean") && m.contains("--mount=type=cache"),
        "{m}"
    );
}

#[test]
fn rules_table_is_complete() {
    use super::RULES;
    for code in [
        "DL3001", "DL3003", "DL3004", "DL3008", "DL3009", "DL3010", "DL3013", "DL3014", "DL3015",
        "DL3016", "DL3018", "DL3019", "DL3027", "DL3028", "DL3030", "DL3032", "DL3033", "DL3034",
        "DL3035", "DL3036", "DL3037", "DL3038", "DL3040", "DL3041", "DL3042", "DL3046", "DL3047",
        "DL3060", "DL3062", "DL4001", "DL4005", "DL4006", "DC1006", "DC1007",
    ] {
        assert!(RULES.iter().any(|r| r.code == code), "{code} missing");
    }
    assert_eq!(
        crate::rules::default_severity("DL3004"),
        crate::Severity::Error
    );
    assert_eq!(
        crate::rules::default_severity("DL3009"),
        crate::Severity::Info
    );
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn lint_never_panics_on_run_scripts(
            s in "[a-z \\-=|&;()<>$`'\"\\\\{}\\n#*!0-9/.:@]{0,100}",
            kw in prop::sample::select(vec!["RUN", "ONBUILD RUN", "RUN --mount=type=cache,target=/x", "SHELL", "COPY a.tar", "ENV"]),
        ) {
            if let Ok(df) = parse(&format!("FROM a AS b\n{kw} {s}\nFROM b\nRUN {s}\n")) {
                let _ = lint(&df, &Options::default(), None);
            }
        }
    }
}

/// Runs the linter over the real corpus: no panic, and prints counts per code.
#[test]
fn corpus_lints_without_panic() {
    let root = std::env::var("DEVCTL_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
        })
        .join("dockerfiles");
    if !root.exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "corpus missing on CI"
        );
        return;
    }
    let mut stack = vec![root];
    let mut files = 0;
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                if let Ok(df) = parse(&text) {
                    files += 1;
                    let found = lint(&df, &Options::default(), None);
                    for f in found {
                        *counts.entry(f.code).or_default() += 1;
                    }
                }
            }
        }
    }
    eprintln!("linted {files} files: {counts:?}");
    assert!(
        files > 100,
        "expected the corpus Dockerfiles, found {files}"
    );
}

/// The suggested cache mount follows the stage's USER.
#[test]
fn dc1007_suggests_the_users_cache_dir() {
    let msg = |src: &str| {
        findings(src)
            .into_iter()
            .find(|f| f.code == "DC1007")
            .expect("DC1007")
            .message
    };
    let m = msg("FROM node:20\nUSER app\nRUN npm ci");
    assert!(
        m.contains("target=/home/app/.npm,uid=") && !m.contains("/root"),
        "{m}"
    );
    let m = msg("FROM node:20\nUSER 1000:1000\nRUN npm ci");
    assert!(m.contains(".npm,uid=1000") && !m.contains("/root"), "{m}");
    let m = msg("FROM node:20\nUSER root\nRUN npm ci");
    assert!(m.contains("target=/root/.npm"), "{m}");
    // a new stage starts as root again
    let m = msg("FROM node:20 AS a\nUSER app\nFROM node:20\nRUN npm ci");
    assert!(m.contains("target=/root/.npm"), "{m}");
    // a mount at the user's cache satisfies it
    catches_not(
        "DC1007",
        "FROM node:20\nUSER app\nRUN --mount=type=cache,target=/home/app/.npm,uid=1000 npm ci",
    );
}
