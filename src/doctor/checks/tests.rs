//! One test per check, covering each of its outcomes.

use super::*;
use crate::doctor::facts::*;
use crate::engine::info::PortOwner;
use crate::project::env::auto_start_server;

fn engine_facts() -> EngineFacts {
    EngineFacts {
        product: "Docker Engine - Community".into(),
        version: "27.3.1".into(),
        api_version: "1.47".into(),
        min_api_version: "1.24".into(),
        os: "linux".into(),
        arch: "amd64".into(),
        kernel: "6.8.0-45-generic".into(),
        operating_system: "Debian GNU/Linux 12 (bookworm)".into(),
        security_options: vec![
            "name=seccomp,profile=default".into(),
            "name=cgroupns".into(),
        ],
        cgroup_version: "2".into(),
        cgroup_driver: "systemd".into(),
        storage_driver: "overlay2".into(),
        driver_status: vec![],
        root_dir: "/var/lib/docker".into(),
    }
}

fn project_facts() -> ProjectFacts {
    ProjectFacts {
        name: "demo".into(),
        services: 1,
        warnings: vec![],
        env_file: ".env".into(),
        env_exists: true,
        local_config: false,
        app_command: false,
        auto_start_raw: Some("true".into()),
        auto_start: auto_start_server(Some("true")),
        ports_checked: true,
        ports: vec![],
        app_image: None,
        nvm: None,
        special: vec![],
        app_ids: None,
        unwritable: None,
        inotify: None,
        external_networks: vec![],
    }
}

fn facts() -> Facts {
    Facts {
        engine_addr: "unix:///var/run/docker.sock".into(),
        engine_context: None,
        engine: Ok(engine_facts()),
        host: HostFacts {
            uid: 1000,
            gid: 1000,
            cgroup_fs: CgroupFs::V2,
            cgroupns: true,
            userns_clone: Some(1),
            max_user_namespaces: Some(63000),
            apparmor_restrict_userns: None,
        },
        socket: Some(SocketFacts {
            path: "/var/run/docker.sock".into(),
            stat: Ok(SocketStat {
                mode: 0o660,
                uid: 0,
                gid: 998,
                owner: "root".into(),
                group: "docker".into(),
                group_members: vec!["alice".into()],
            }),
        }),
        tls_verify: false,
        disk: DiskFacts::Measured {
            path: "/var/lib/docker".into(),
            free: 50 << 30,
            total: 200 << 30,
        },
        project: ProjectState::Loaded(Box::new(project_facts())),
        tools: TOOLS
            .iter()
            .map(|t| (t.to_string(), Some(format!("/usr/bin/{t}"))))
            .collect(),
        compose: ComposeFacts {
            standalone: Some(ComposeTool {
                path: "/usr/bin/docker-compose".into(),
                version: Ok("1.29.2".into()),
            }),
            plugin: Some(ComposeTool {
                path: "/home/alice/.docker/cli-plugins/docker-compose".into(),
                version: Ok("2.40.3".into()),
            }),
        },
    }
}

fn with_project(f: &mut Facts, edit: impl FnOnce(&mut ProjectFacts)) {
    if let ProjectState::Loaded(p) = &mut f.project {
        edit(p);
    }
}

fn project_of(f: &Facts) -> &ProjectFacts {
    match &f.project {
        ProjectState::Loaded(p) => p,
        _ => panic!("no project"),
    }
}

fn engine_mut(f: &mut Facts) -> &mut EngineFacts {
    f.engine.as_mut().unwrap()
}

/// Every ! and ✗ carries a fix; ✓ does not.
fn assert_shape(c: &Check) {
    assert_eq!(c.fix.is_some(), c.status != Status::Ok, "{c:?}");
}

#[test]
fn all_ok_on_a_healthy_machine() {
    let list = all(&facts());
    assert_eq!(list.len(), 17);
    for c in &list {
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert_shape(c);
    }
}

#[test]
fn engine_outcomes() {
    let f = facts();
    let c = engine(&f);
    assert_eq!(c.status, Status::Ok);
    assert!(
        c.detail.contains("27.3.1") && c.detail.contains("API 1.47"),
        "{}",
        c.detail
    );

    let mut f = facts();
    engine_mut(&mut f).api_version = "1.39".into();
    let c = engine(&f);
    assert_eq!(c.status, Status::Warn);
    assert_shape(&c);

    engine_mut(&mut f).api_version = "".into();
    assert_eq!(engine(&f).status, Status::Warn);

    let mut f = facts();
    f.engine = Err("connect: No such file or directory".into());
    let c = engine(&f);
    assert_eq!(c.status, Status::Fail);
    assert!(c.fix.as_deref().unwrap().contains("systemctl start docker"));

    f.engine = Err("connect: Permission denied (os error 13)".into());
    assert!(engine(&f).fix.unwrap().contains("usermod -aG docker"));

    f.engine_addr = "ssh://dev@box".into();
    f.engine = Err("ssh: connection refused".into());
    assert!(engine(&f).fix.unwrap().contains("ssh://dev@box"));

    f.engine_context = Some("box".into());
    assert_eq!(
        engine(&f).fix.unwrap(),
        "the Docker context `box` points at ssh://dev@box: start the engine there, or pick another context (`--context NAME`, DOCKER_CONTEXT, or `docker context use default`)"
    );
}

#[test]
fn rootless_outcomes() {
    let mut f = facts();
    assert!(rootless(&f).detail.starts_with("rootful"));
    engine_mut(&mut f)
        .security_options
        .push("name=rootless".into());
    assert!(rootless(&f).detail.starts_with("rootless"));
    assert_eq!(rootless(&f).status, Status::Ok);
    let mut f = facts();
    engine_mut(&mut f)
        .security_options
        .push("name=userns".into());
    assert!(rootless(&f).detail.contains("userns-remap"));
    f.engine = Err("down".into());
    let c = rootless(&f);
    assert_eq!(c.status, Status::Warn);
    assert_shape(&c);
}

#[test]
fn cgroup_outcomes() {
    let mut f = facts();
    let c = cgroup(&f);
    assert_eq!(c.status, Status::Ok);
    assert!(c.detail.contains("cgroup v2") && c.detail.contains("namespaces supported"));

    // v1 without special needs: ok; with a cgroup-private service: warn.
    engine_mut(&mut f).cgroup_version = "1".into();
    assert_eq!(cgroup(&f).status, Status::Ok);
    with_project(&mut f, |p| {
        p.special.push(Special {
            service: "api".into(),
            privileged: true,
            cgroup_private: true,
        })
    });
    let c = cgroup(&f);
    assert_eq!(c.status, Status::Warn);
    assert!(c.fix.unwrap().contains("unified_cgroup_hierarchy"));

    // No cgroup namespaces: fail when needed, warn otherwise.
    f.host.cgroupns = false;
    assert_eq!(cgroup(&f).status, Status::Fail);
    with_project(&mut f, |p| p.special.clear());
    assert_eq!(cgroup(&f).status, Status::Warn);

    // Rootless on v1: warn.
    let mut f = facts();
    engine_mut(&mut f).cgroup_version = "1".into();
    engine_mut(&mut f)
        .security_options
        .push("name=rootless".into());
    assert_eq!(cgroup(&f).status, Status::Warn);

    // Engine did not say: the host's /sys/fs/cgroup decides (local engine).
    let mut f = facts();
    engine_mut(&mut f).cgroup_version = "".into();
    f.host.cgroup_fs = CgroupFs::Hybrid;
    assert!(cgroup(&f).detail.contains("cgroup v1"));
    f.host.cgroup_fs = CgroupFs::Unknown;
    let c = cgroup(&f);
    assert_eq!(c.status, Status::Warn);
    assert_shape(&c);

    // Remote engine: the kernel version decides namespace support.
    let mut f = facts();
    f.engine_addr = "ssh://box".into();
    f.host.cgroupns = false;
    assert_eq!(cgroup(&f).status, Status::Ok);
    engine_mut(&mut f).kernel = "4.4.0".into();
    assert_eq!(cgroup(&f).status, Status::Warn);
}

#[test]
fn userns_outcomes() {
    let mut f = facts();
    assert!(userns(&f).detail.contains("enabled"));
    f.host.userns_clone = Some(0);
    let c = userns(&f);
    assert_eq!(c.status, Status::Ok);
    assert!(c.detail.contains("rootful"));
    engine_mut(&mut f)
        .security_options
        .push("name=rootless".into());
    let c = userns(&f);
    assert_eq!(c.status, Status::Fail);
    assert!(c.fix.unwrap().contains("unprivileged_userns_clone=1"));
    f.host.userns_clone = None;
    f.host.max_user_namespaces = Some(0);
    assert_eq!(userns(&f).status, Status::Fail);
    f.host.max_user_namespaces = Some(100);
    f.host.apparmor_restrict_userns = Some(1);
    let c = userns(&f);
    assert_eq!(c.status, Status::Warn);
    assert_shape(&c);
    f.engine_addr = "tcp://box:2376".into();
    assert!(userns(&f).detail.contains("another host"));
}

#[test]
fn storage_outcomes() {
    let mut f = facts();
    assert_eq!(storage(&f).status, Status::Ok);
    engine_mut(&mut f).storage_driver = "devicemapper".into();
    engine_mut(&mut f).driver_status = vec![
        ("Pool Name".into(), "docker-pool".into()),
        (
            "Data loop file".into(),
            "/var/lib/docker/devicemapper/data".into(),
        ),
    ];
    let c = storage(&f);
    assert_eq!(c.status, Status::Warn);
    assert!(c.detail.contains("loop-lvm"));
    assert!(c.fix.unwrap().contains("overlay2"));
    engine_mut(&mut f).driver_status.clear();
    let c = storage(&f);
    assert_eq!(c.status, Status::Warn);
    assert!(c.detail.contains("direct-lvm"));
    engine_mut(&mut f).storage_driver = "vfs".into();
    assert_eq!(storage(&f).status, Status::Warn);
    engine_mut(&mut f).storage_driver = "".into();
    assert_eq!(storage(&f).status, Status::Warn);
    f.engine = Err("x".into());
    assert_eq!(storage(&f).status, Status::Warn);
}

#[test]
fn socket_outcomes() {
    let mut f = facts();
    let c = socket(&f);
    assert_eq!(c.status, Status::Ok);
    assert!(c.detail.contains("group docker (alice)"), "{}", c.detail);
    assert!(c.detail.contains("root-equivalent"));

    if let Some(s) = &mut f.socket {
        if let Ok(st) = &mut s.stat {
            st.mode = 0o666;
        }
    }
    let c = socket(&f);
    assert_eq!(c.status, Status::Fail);
    assert!(c.fix.unwrap().contains("chmod 660"));

    let mut f = facts();
    engine_mut(&mut f)
        .security_options
        .push("name=rootless".into());
    if let Some(s) = &mut f.socket {
        s.stat = Ok(SocketStat {
            mode: 0o600,
            uid: 1000,
            gid: 1000,
            owner: "alice".into(),
            group: "alice".into(),
            group_members: vec![],
        });
    }
    let c = socket(&f);
    assert_eq!(c.status, Status::Ok);
    assert!(c.detail.contains("act as alice") && !c.detail.contains("group"));

    if let Some(s) = &mut f.socket {
        s.stat = Err("No such file or directory".into());
    }
    assert_eq!(socket(&f).status, Status::Warn);

    let mut f = facts();
    f.engine_addr = "tcp://10.0.0.5:2375".into();
    f.socket = None;
    assert_eq!(socket(&f).status, Status::Fail);
    f.tls_verify = true;
    assert_eq!(socket(&f).status, Status::Ok);
    f.engine_addr = "ssh://dev@box".into();
    assert_eq!(socket(&f).status, Status::Ok);
    f.engine_addr = "npipe:////./pipe/docker".into();
    assert_eq!(socket(&f).status, Status::Warn);
}

#[test]
fn disk_outcomes() {
    let mut f = facts();
    assert_eq!(disk(&f).status, Status::Ok);
    let m = |free: u64, total: u64| DiskFacts::Measured {
        path: "/var/lib/docker".into(),
        free,
        total,
    };
    f.disk = m(5 << 30, 100 << 30);
    assert_eq!(disk(&f).status, Status::Warn);
    f.disk = m(12 << 30, 1000 << 30);
    assert_eq!(disk(&f).status, Status::Warn, "under 5 %");
    f.disk = m(1 << 30, 100 << 30);
    let c = disk(&f);
    assert_eq!(c.status, Status::Fail);
    assert!(c.fix.unwrap().contains("docker system prune"));
    f.disk = DiskFacts::Remote;
    assert_eq!(disk(&f).status, Status::Ok);
    f.disk = DiskFacts::Unknown {
        reason: "statvfs: denied".into(),
    };
    assert_eq!(disk(&f).status, Status::Warn);
}

#[test]
fn project_outcomes() {
    let mut f = facts();
    assert!(project(&f).detail.contains("1 service"));
    with_project(&mut f, |p| {
        p.warnings
            .push("service `x` mounts the Docker socket".into())
    });
    let c = project(&f);
    assert_eq!(c.status, Status::Warn);
    assert!(c.detail.contains("Docker socket"));
    f.project = ProjectState::Error {
        message: "devctl.toml:3:1: unknown key `prot`".into(),
    };
    let c = project(&f);
    assert_eq!(c.status, Status::Fail);
    assert!(c.detail.contains("devctl.toml:3:1"));
    f.project = ProjectState::None {
        reason: "no devctl.toml".into(),
    };
    assert_eq!(project(&f).status, Status::Ok);
    assert_eq!(all(&f).len(), 10, "project checks are skipped");
}

fn port(bind: Bind, owner: Option<(&str, &str)>) -> PortFact {
    PortFact {
        service: "app".into(),
        host_ip: "127.0.0.1".into(),
        host_port: 8000,
        protocol: "tcp".into(),
        bind,
        owner: owner.map(|(c, p)| PortOwner {
            container: c.into(),
            project: Some(p.into()),
            host_ip: "127.0.0.1".into(),
            host_port: 8000,
        }),
    }
}

#[test]
fn ports_outcomes() {
    let mut p = project_facts();
    assert!(ports(&p).detail.contains("no published"));
    p.ports = vec![port(Bind::Free, None)];
    let c = ports(&p);
    assert_eq!(c.status, Status::Ok);
    assert!(c.detail.contains("free: 127.0.0.1:8000"));
    p.ports = vec![port(Bind::InUse, Some(("demo-app-1", "demo")))];
    let c = ports(&p);
    assert_eq!(c.status, Status::Ok);
    assert!(c.detail.contains("demo-app-1"));
    p.ports = vec![port(Bind::InUse, Some(("other-web-1", "other")))];
    let c = ports(&p);
    assert_eq!(c.status, Status::Fail);
    assert!(c.detail.contains("other-web-1"));
    assert!(c.fix.unwrap().contains("docker stop other-web-1"));
    p.ports = vec![port(Bind::InUse, None)];
    let c = ports(&p);
    assert_eq!(c.status, Status::Fail);
    assert!(c.fix.unwrap().contains("ss -ltnp"));
    p.ports = vec![port(Bind::Untestable("remote engine".into()), None)];
    let c = ports(&p);
    assert_eq!(c.status, Status::Ok);
    assert!(c.detail.contains("not tested"));
}

fn image(built: Result<bool, String>, passwd: Result<Option<String>, String>) -> Option<AppImage> {
    Some(AppImage {
        image: "demo-app:dev".into(),
        user: "app".into(),
        built,
        passwd,
    })
}

#[test]
fn app_uid_outcomes() {
    let pw = |uid: u32| {
        Ok(Some(format!(
            "root:x:0:0::/root:/bin/sh\napp:x:{uid}:{uid}::/home/app:/bin/sh\n"
        )))
    };
    let mut f = facts();
    let mut p = project_facts();
    assert!(app_uid(&f, &p).detail.contains("no [app]"));
    p.app_image = image(Ok(false), Ok(None));
    let c = app_uid(&f, &p);
    assert_eq!(c.status, Status::Ok);
    assert!(c.detail.contains("not built") && c.detail.contains("uid 1000"));
    p.app_image = image(Ok(true), pw(1000));
    assert_eq!(app_uid(&f, &p).status, Status::Ok);
    p.app_image = image(Ok(true), pw(1001));
    let c = app_uid(&f, &p);
    assert_eq!(c.status, Status::Warn);
    assert!(c.detail.contains("uid 1001") && c.fix.unwrap().contains("devctl build"));
    p.app_image = image(Ok(true), pw(0));
    assert!(app_uid(&f, &p).detail.contains("root-owned"));
    p.app_image = image(Ok(true), Ok(Some("root:x:0:0::/root:/bin/sh\n".into())));
    let c = app_uid(&f, &p);
    assert_eq!(c.status, Status::Warn);
    assert!(c.detail.contains("not in /etc/passwd"));
    p.app_image = image(Ok(true), Err("probe failed".into()));
    assert_eq!(app_uid(&f, &p).status, Status::Warn);
    p.app_image = image(Err("engine down".into()), Ok(None));
    assert_eq!(app_uid(&f, &p).status, Status::Warn);
    f.host.uid = 0;
    p.app_image = image(Ok(true), pw(1000));
    let c = app_uid(&f, &p);
    assert_eq!(c.status, Status::Ok);
    assert!(c.detail.contains("you are root"));
}

#[test]
fn nvm_outcomes() {
    let f = facts();
    let mut p = project_facts();
    assert_eq!(nvm(&f, &p).status, Status::Ok);
    let n = |exists, is_dir, owner| {
        Some(NvmFacts {
            path: "/home/alice/.nvm".into(),
            exists,
            is_dir,
            owner_uid: owner,
        })
    };
    p.nvm = n(true, true, Some(1000));
    assert_eq!(nvm(&f, &p).status, Status::Ok);
    p.nvm = n(false, false, None);
    let c = nvm(&f, &p);
    assert_eq!(c.status, Status::Warn);
    assert!(c.fix.unwrap().contains("mkdir -p /home/alice/.nvm"));
    p.nvm = n(true, false, Some(1000));
    assert_eq!(nvm(&f, &p).status, Status::Fail);
    p.nvm = n(true, true, Some(0));
    let c = nvm(&f, &p);
    assert_eq!(c.status, Status::Fail);
    assert!(c.fix.unwrap().contains("chown -R 1000:1000"));
}

#[test]
fn env_outcomes() {
    let mut p = project_facts();
    let c = env(&p);
    assert_eq!(c.status, Status::Ok);
    assert!(c.detail.contains("on: the app container migrates"));
    p.auto_start_raw = None;
    p.auto_start = auto_start_server(None);
    assert!(env(&p).detail.contains("unset") && env(&p).detail.contains("idles"));
    p.app_command = true;
    assert!(
        env(&p).detail.contains("[app].command runs"),
        "{}",
        env(&p).detail
    );
    p.app_command = false;
    p.env_exists = false;
    let c = env(&p);
    assert_eq!(c.status, Status::Warn);
    assert!(c.fix.unwrap().contains("cp .env.example"));
    p.env_exists = true;
    p.auto_start_raw = Some("maybe".into());
    p.auto_start = auto_start_server(Some("maybe"));
    let c = env(&p);
    assert_eq!(c.status, Status::Warn);
    assert!(c.detail.contains("maybe"));
}

#[test]
fn special_needs_outcomes() {
    let mut f = facts();
    assert_eq!(special(&f, project_of(&f)).status, Status::Ok);
    with_project(&mut f, |p| {
        p.special.push(Special {
            service: "api".into(),
            privileged: true,
            cgroup_private: true,
        })
    });
    let c = special(&f, project_of(&f));
    assert_eq!(c.status, Status::Ok);
    assert!(c.detail.contains("api (privileged, cgroup private)"));
    assert!(c.detail.contains("root on the engine's host"));
    assert!(c.detail.contains("rootful engine without userns-remap"));

    engine_mut(&mut f).cgroup_version = "1".into();
    assert_eq!(special(&f, project_of(&f)).status, Status::Warn);
    engine_mut(&mut f).cgroup_version = "".into();
    f.host.cgroup_fs = CgroupFs::Unknown;
    assert_eq!(special(&f, project_of(&f)).status, Status::Warn);

    let mut g = f.clone();
    engine_mut(&mut g).cgroup_version = "2".into();
    engine_mut(&mut g)
        .security_options
        .push("name=rootless".into());
    let c = special(&g, project_of(&g));
    assert_eq!(c.status, Status::Warn);
    assert!(c.detail.contains("rootless"));
    engine_mut(&mut g)
        .security_options
        .push("name=userns".into());
    assert_eq!(special(&g, project_of(&g)).status, Status::Fail);

    let mut g = f.clone();
    g.host.cgroupns = false;
    assert_eq!(special(&g, project_of(&g)).status, Status::Fail);

    let mut g = f.clone();
    g.engine = Err("down".into());
    assert_eq!(special(&g, project_of(&g)).status, Status::Warn);
}

#[test]
fn tools_outcomes() {
    let mut f = facts();
    let c = tools(&f);
    assert_eq!(c.status, Status::Ok);
    assert!(c.detail.contains("not found: none"));
    let drop_tool = |f: &mut Facts, name: &str| {
        for (t, p) in f.tools.iter_mut() {
            if t == name {
                *p = None;
            }
        }
    };
    drop_tool(&mut f, "docker");
    let c = tools(&f);
    assert_eq!(c.status, Status::Ok);
    assert!(c.detail.contains("not found: docker"));
    drop_tool(&mut f, "shellcheck");
    let c = tools(&f);
    assert_eq!(c.status, Status::Warn);
    assert!(c.fix.unwrap().contains("shellcheck"));
    drop_tool(&mut f, "ssh");
    assert_eq!(
        tools(&f).status,
        Status::Warn,
        "ssh is needed only for ssh://"
    );
    f.engine_addr = "ssh://dev@box".into();
    let c = tools(&f);
    assert_eq!(c.status, Status::Fail);
    assert!(c.fix.unwrap().contains("openssh-client"));
}

fn compose_tool(path: &str, version: Result<&str, &str>) -> Option<ComposeTool> {
    Some(ComposeTool {
        path: path.into(),
        version: version.map(str::to_string).map_err(str::to_string),
    })
}

#[test]
fn compose_both_v1_and_v2() {
    let c = compose(&facts());
    assert_eq!(c.status, Status::Ok);
    assert!(
        c.detail
            .contains("docker compose 2.40.3 (v2, /home/alice/.docker/cli-plugins/docker-compose)"),
        "{}",
        c.detail
    );
    assert!(
        c.detail
            .contains("docker-compose 1.29.2 (v1, /usr/bin/docker-compose)"),
        "{}",
        c.detail
    );
    assert!(all(&facts()).iter().any(|c| c.id == "compose"));
}

#[test]
fn compose_v2_plugin_only() {
    let mut f = facts();
    f.compose.standalone = None;
    let c = compose(&f);
    assert_eq!(c.status, Status::Ok);
    assert_eq!(
        c.detail,
        "docker compose 2.40.3 (v2, /home/alice/.docker/cli-plugins/docker-compose)"
    );
}

#[test]
fn compose_v2_standalone_only() {
    let mut f = facts();
    f.compose.plugin = None;
    f.compose.standalone = compose_tool("/usr/local/bin/docker-compose", Ok("v2.24.6"));
    let c = compose(&f);
    assert_eq!(c.status, Status::Ok);
    assert_eq!(
        c.detail,
        "docker-compose v2.24.6 (v2, /usr/local/bin/docker-compose)"
    );
}

#[test]
fn compose_v1_only_warns() {
    let mut f = facts();
    f.compose.plugin = None;
    let c = compose(&f);
    assert_eq!(c.status, Status::Warn);
    assert!(
        c.detail
            .starts_with("docker-compose 1.29.2 (v1, /usr/bin/docker-compose): only v1"),
        "{}",
        c.detail
    );
    assert!(c.fix.unwrap().contains("cli-plugins/docker-compose"));
}

#[test]
fn compose_none_warns() {
    let mut f = facts();
    f.compose = ComposeFacts::default();
    let c = compose(&f);
    assert_eq!(c.status, Status::Warn);
    assert!(c.detail.starts_with("no compose found"), "{}", c.detail);
    assert!(c.fix.unwrap().contains("Docker Compose v2"));
}

#[test]
fn compose_unreadable_version_warns() {
    let mut f = facts();
    f.compose.plugin = compose_tool(
        "/usr/lib/docker/cli-plugins/docker-compose",
        Err("`version --short` failed (exit status: 1)"),
    );
    let c = compose(&f);
    assert_eq!(c.status, Status::Warn);
    assert!(c.detail.contains("docker compose at /usr/lib/docker/cli-plugins/docker-compose: `version --short` failed"), "{}", c.detail);
    assert!(c
        .fix
        .unwrap()
        .contains("reinstall /usr/lib/docker/cli-plugins/docker-compose"));
    // garbage printed as a version is not a version either
    f.compose.plugin = compose_tool("/x/docker-compose", Ok("hello"));
    assert_eq!(compose(&f).status, Status::Warn);
}

#[test]
fn tree_writability_for_the_app_uid() {
    let mut p = project_facts();
    assert_eq!(tree(&p).status, Status::Ok);
    p.app_ids = Some((1000, 1000));
    assert_eq!(tree(&p).status, Status::Ok);
    p.unwritable = Some(crate::session::ownership::Unwritable {
        path: "/src/proj".into(),
        owner: 0,
        mode: 0o40755,
        uid: 1000,
        gid: 1000,
    });
    let c = tree(&p);
    assert_eq!(c.status, Status::Warn);
    assert!(
        c.detail.contains("uid 1000 and cannot write /src/proj"),
        "{}",
        c.detail
    );
    assert!(
        c.detail.contains("owned by uid 0, mode 755"),
        "{}",
        c.detail
    );
    assert!(c
        .fix
        .as_deref()
        .unwrap_or("")
        .contains("chown -R 1000:1000 ."));
}

#[test]
fn inotify_limit_against_watched_dirs() {
    let mut p = project_facts();
    assert_eq!(inotify(&p).status, Status::Ok);
    let with = |dirs, max| crate::doctor::facts::InotifyFacts {
        max_user_watches: Some(max),
        dirs,
    };
    p.inotify = Some(with(100, 8192));
    assert_eq!(inotify(&p).status, Status::Ok);
    p.inotify = Some(with(5000, 8192));
    assert_eq!(inotify(&p).status, Status::Warn);
    p.inotify = Some(with(9000, 8192));
    let c = inotify(&p);
    assert_eq!(c.status, Status::Fail);
    assert!(c
        .fix
        .as_deref()
        .unwrap_or("")
        .contains("sysctl fs.inotify.max_user_watches=524288"));
}

#[test]
fn counts_watch_dirs_without_ignored_ones() {
    let t = tempfile::tempdir().unwrap();
    for d in ["a/b", "a/node_modules/x", "c"] {
        std::fs::create_dir_all(t.path().join(d)).unwrap();
    }
    // root, a, a/b, c
    assert_eq!(crate::doctor::facts::count_watch_dirs(t.path(), 1000), 4);
}

#[test]
fn external_networks_must_exist() {
    let mut p = project_facts();
    p.external_networks = vec![("shared".into(), Ok(true))];
    let c = networks(&p);
    assert_eq!(c.status, Status::Ok, "{c:?}");
    p.external_networks = vec![("shared".into(), Ok(true)), ("gone".into(), Ok(false))];
    let c = networks(&p);
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(
        c.fix
            .as_deref()
            .unwrap_or("")
            .contains("docker network create gone"),
        "{c:?}"
    );
}
