//! Converging the engine to a [`Plan`]: network, volumes, containers in
//! dependency order; and `stop`, `down`, `ps`.
//!
//! A container is recreated only when its config-hash label or its image id
//! differs from the plan; when nothing differs, converge makes no create,
//! stop or remove call (it lists, inspects and, for stopped containers,
//! starts). Two converges of the same project are serialised by the caller
//! (a lock file); a create that loses a race (409) adopts the winner.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use bollard::models::{
    ContainerSummary, ContainerSummaryStateEnum, NetworkConnectRequest, NetworkDisconnectRequest,
    VolumeCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, InspectContainerOptions, InspectNetworkOptions,
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveVolumeOptions, RestartContainerOptionsBuilder,
    StartContainerOptions, StopContainerOptionsBuilder,
};
use futures_util::future::join_all;

use super::plan::{
    Condition, NetworkPlan, OneOff, Plan, ServicePlan, LABEL_CONTENT_HASH, LABEL_HASH, LABEL_IMAGE,
    LABEL_NUMBER, LABEL_ONEOFF, LABEL_PROJECT, LABEL_SERVICE,
};
use super::{status_of, Engine};

/// How long `start` waits for a dependency to become healthy / complete.
pub const DEPENDENCY_TIMEOUT: Duration = Duration::from_secs(300);

/// Every container of the project (running or not), sorted by name.
pub async fn project_containers(eng: &Engine, project: &str) -> Result<Vec<ContainerSummary>> {
    let filters = HashMap::from([(
        "label".to_string(),
        vec![format!("{LABEL_PROJECT}={project}")],
    )]);
    let opts = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let mut list = eng
        .docker
        .list_containers(Some(opts))
        .await
        .context("listing the project's containers")?;
    list.sort_by_key(name_of);
    Ok(list)
}

/// The container's name without the leading `/`.
pub fn name_of(c: &ContainerSummary) -> String {
    c.names
        .as_ref()
        .and_then(|n| n.first())
        .map(|n| n.trim_start_matches('/').to_string())
        .unwrap_or_default()
}

fn label<'a>(c: &'a ContainerSummary, k: &str) -> Option<&'a str> {
    c.labels.as_ref().and_then(|l| l.get(k)).map(String::as_str)
}

/// A one-off container (`devctl run`, `docker compose run`): converge,
/// `stop`, `restart` and `sh` leave it alone; `down` removes it.
pub fn is_oneoff(c: &ContainerSummary) -> bool {
    label(c, LABEL_ONEOFF) == Some("True")
}

fn is_running(c: &ContainerSummary) -> bool {
    matches!(
        c.state,
        Some(ContainerSummaryStateEnum::RUNNING) | Some(ContainerSummaryStateEnum::RESTARTING)
    )
}

/// What converge did, for the caller's summary and for tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub created: Vec<String>,
    pub recreated: Vec<String>,
    pub started: Vec<String>,
    pub removed: Vec<String>,
}

impl Report {
    pub fn is_noop(&self) -> bool {
        self.created.is_empty()
            && self.recreated.is_empty()
            && self.started.is_empty()
            && self.removed.is_empty()
    }
}

/// One network named like the project's, as the repair sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetCandidate {
    pub id: String,
    /// Labelled with this project (devctl or compose made it for it).
    pub ours: bool,
    /// Attached containers of this project.
    pub our_containers: Vec<String>,
    /// Attached containers of anyone else (names).
    pub foreign_containers: Vec<String>,
    pub created: String,
}

/// What to do with several networks of the project's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetRepair {
    pub keep: String,
    /// Duplicates to remove (after disconnecting our containers from them).
    pub remove: Vec<String>,
}

/// Pure: which of the same-named networks to keep. The one with the
/// project's labels wins, then the one with more of the project's
/// containers, then the oldest; the others are removed, unless another
/// project's (or anyone's) containers use one, which is refused: devctl
/// does not cut other containers off their network.
pub fn pick_network(name: &str, cands: &[NetCandidate]) -> Result<Option<NetRepair>, String> {
    let mut sorted: Vec<&NetCandidate> = cands.iter().collect();
    sorted.sort_by(|a, b| {
        b.ours
            .cmp(&a.ours)
            .then(b.our_containers.len().cmp(&a.our_containers.len()))
            .then(a.created.cmp(&b.created))
            .then(a.id.cmp(&b.id))
    });
    let Some((keep, rest)) = sorted.split_first() else {
        return Ok(None);
    };
    if let Some(busy) = rest.iter().find(|c| !c.foreign_containers.is_empty()) {
        return Err(format!(
            "there are {} networks named {name}; {} is used by containers that are not this project's ({}): remove the duplicate that is not wanted (`docker network rm <id>`)",
            cands.len(),
            short(&busy.id),
            busy.foreign_containers.join(", ")
        ));
    }
    Ok(Some(NetRepair {
        keep: keep.id.clone(),
        remove: rest.iter().map(|c| c.id.clone()).collect(),
    }))
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Ensures every network the services join exists exactly once and
/// returns their ids by name. An external network must exist already.
/// Creating is idempotent: what is there is used; and duplicates (a
/// `start` killed while its create was in flight while the next `start`
/// created another) are repaired, see [`pick_network`]. Containers are
/// then attached by the network's id.
pub async fn ensure_networks(
    eng: &Engine,
    plan: &Plan,
    existing: &[ContainerSummary],
) -> Result<HashMap<String, String>> {
    let ids = join_all(plan.networks.iter().map(|np| async move {
        let id = if np.external {
            external_network(eng, np).await?
        } else {
            ensure_network(eng, plan, np, existing).await?
        };
        Ok::<_, anyhow::Error>((np.name.clone(), id))
    }))
    .await;
    ids.into_iter().collect()
}

/// The id of an external network, which must exist.
async fn external_network(eng: &Engine, np: &NetworkPlan) -> Result<String> {
    match eng
        .docker
        .inspect_network(&np.name, None::<InspectNetworkOptions>)
        .await
    {
        Ok(n) => n
            .id
            .ok_or_else(|| anyhow!("the engine gave network {} no id", np.name)),
        Err(e) if status_of(&e) == Some(404) => bail!(
            "network {} is declared external but does not exist: create it with `docker network create {}` (or start the project that owns it)",
            np.name,
            np.name
        ),
        Err(e) => Err(anyhow!(e).context(format!("inspecting network {}", np.name))),
    }
}

/// [`ensure_networks`] for one network devctl makes.
async fn ensure_network(
    eng: &Engine,
    plan: &Plan,
    np: &NetworkPlan,
    existing: &[ContainerSummary],
) -> Result<String> {
    let name = &np.name;
    let mut created_now = false;
    for round in 0..2 {
        let cands = network_candidates(eng, plan, name, existing).await?;
        if cands.is_empty() {
            if round == 1 {
                bail!(
                    "network {name} vanished right after it was created: is another tool removing it?"
                );
            }
            eng.docker
                .create_network(np.create.clone())
                .await
                .with_context(|| format!("creating network {name}"))?;
            created_now = true;
            // List again: a create still in flight from a killed `start`
            // may have landed too.
            continue;
        }
        let repair = pick_network(name, &cands)
            .map_err(|m| anyhow!(m))?
            .ok_or_else(|| anyhow!("no network {name}"))?;
        for id in &repair.remove {
            let cand = cands.iter().find(|c| &c.id == id);
            for c in cand
                .map(|c| c.our_containers.as_slice())
                .unwrap_or_default()
            {
                match eng
                    .docker
                    .disconnect_network(
                        id,
                        NetworkDisconnectRequest {
                            container: c.clone(),
                            force: Some(true),
                        },
                    )
                    .await
                {
                    Ok(()) => {}
                    Err(e) if status_of(&e) == Some(404) => {}
                    Err(e) => {
                        return Err(anyhow!(e).context(format!(
                            "disconnecting {c} from the duplicate network {}",
                            short(id)
                        )))
                    }
                }
            }
            match eng.docker.remove_network(id).await {
                Ok(()) => {}
                Err(e) if status_of(&e) == Some(404) => {}
                Err(e) => {
                    return Err(anyhow!(e).context(format!(
                        "removing the duplicate network {name} ({})",
                        short(id)
                    )))
                }
            }
            devctl_out::errln!(" Network {name} ({})  Removed (duplicate)", short(id));
        }
        if created_now && repair.remove.is_empty() {
            devctl_out::errln!(" Network {name}  Created");
        }
        return Ok(repair.keep);
    }
    bail!("could not settle on one network {name}")
}

/// The networks named exactly like the project's, with who is attached.
async fn network_candidates(
    eng: &Engine,
    plan: &Plan,
    name: &str,
    existing: &[ContainerSummary],
) -> Result<Vec<NetCandidate>> {
    let filters = HashMap::from([("name".to_string(), vec![name.to_string()])]);
    let nets = eng
        .docker
        .list_networks(Some(
            ListNetworksOptionsBuilder::default()
                .filters(&filters)
                .build(),
        ))
        .await
        .context("listing networks")?;
    let ours_ids: Vec<&str> = existing.iter().filter_map(|c| c.id.as_deref()).collect();
    // `name` filters by substring: keep the exact name only.
    let same: Vec<_> = nets
        .iter()
        .filter(|n| n.name.as_deref() == Some(name))
        .collect();
    let mut out = Vec::new();
    for n in &same {
        let Some(id) = n.id.clone() else { continue };
        let ours = n
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL_PROJECT))
            .is_some_and(|p| *p == plan.project);
        // Only when there is more than one is who is attached needed.
        let (mut our_containers, mut foreign_containers) = (Vec::new(), Vec::new());
        if same.len() > 1 {
            match eng
                .docker
                .inspect_network(&id, None::<InspectNetworkOptions>)
                .await
            {
                Ok(i) => {
                    for (cid, ep) in i.containers.unwrap_or_default() {
                        if ours_ids.contains(&cid.as_str()) {
                            our_containers.push(cid);
                        } else {
                            foreign_containers.push(ep.name.unwrap_or(cid));
                        }
                    }
                }
                Err(e) if status_of(&e) == Some(404) => continue,
                Err(e) => return Err(anyhow!(e).context(format!("inspecting network {id}"))),
            }
        }
        our_containers.sort();
        foreign_containers.sort();
        out.push(NetCandidate {
            id,
            ours,
            our_containers,
            foreign_containers,
            created: n
                .created
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Ensures the named volumes exist (creating only what is missing; a
/// volume's create is idempotent by name).
pub async fn ensure_volumes(eng: &Engine, plan: &Plan) -> Result<()> {
    let vol_filters = HashMap::from([(
        "label".to_string(),
        vec![format!("{LABEL_PROJECT}={}", plan.project)],
    )]);
    let vols = eng
        .docker
        .list_volumes(Some(
            ListVolumesOptionsBuilder::default()
                .filters(&vol_filters)
                .build(),
        ))
        .await;
    let have: Vec<String> = vols
        .context("listing volumes")?
        .volumes
        .unwrap_or_default()
        .into_iter()
        .map(|v| v.name)
        .collect();
    for v in &plan.volumes {
        if have.contains(&v.name) {
            continue;
        }
        if v.external {
            if eng.docker.inspect_volume(&v.name).await.is_err() {
                bail!(
                    "external volume {} (volumes.{}) does not exist: create it with `docker volume create {}`",
                    v.name,
                    v.key,
                    v.name
                );
            }
            continue;
        }
        // A volume of the same name made by someone else is adopted.
        if eng.docker.inspect_volume(&v.name).await.is_ok() {
            continue;
        }
        eng.docker
            .create_volume(VolumeCreateRequest {
                name: Some(v.name.clone()),
                driver: v.driver.clone(),
                driver_opts: (!v.driver_opts.is_empty()).then(|| v.driver_opts.clone()),
                labels: Some(v.labels.clone()),
                ..Default::default()
            })
            .await
            .with_context(|| format!("creating volume {}", v.name))?;
        devctl_out::errln!(" Volume {}  Created", v.name);
    }
    Ok(())
}

/// A local image as `start` needs it: its id and when it was last tagged
/// here (a pull that finds the image tags it), in Unix nanoseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalImage {
    pub id: String,
    /// `None` when the engine does not say (zero for an image a pull made).
    pub tagged_at: Option<i128>,
}

/// The local image `image`, or None when it is not there (one inspect).
pub async fn local_image(eng: &Engine, image: &str) -> Result<Option<LocalImage>> {
    match eng.docker.inspect_image(image).await {
        Ok(i) => Ok(i.id.map(|id| LocalImage {
            id,
            tagged_at: i
                .metadata
                .and_then(|m| m.last_tag_time)
                .map(|t| t.unix_timestamp_nanos())
                .filter(|t| *t > 0),
        })),
        Err(e) if status_of(&e) == Some(404) => Ok(None),
        Err(e) => Err(anyhow!(e).context(format!("inspecting image {image}"))),
    }
}

/// The id of a local image, or None when it is not there.
pub async fn image_id(eng: &Engine, image: &str) -> Result<Option<String>> {
    Ok(local_image(eng, image).await?.map(|i| i.id))
}

/// Whether `start` pulls an image-only service's image before using it
/// (docker compose's `mustPull`): with `always`, and with a refresh window
/// (`daily`, `weekly`, `every_…`) when the image is missing or its last
/// pull, the engine's last tag or devctl's note (`last_pull`), is older
/// than the window. A missing image under the other policies is the
/// caller's to report.
pub fn must_pull(
    policy: &str,
    local: Option<&LocalImage>,
    last_pull: Option<i128>,
    now: i128,
) -> bool {
    if policy == "always" {
        return true;
    }
    match devctl_compose::keys::refresh_window(policy) {
        Some(Ok(window)) => {
            let tagged = local.and_then(|l| l.tagged_at.max(last_pull));
            refresh_due(tagged, now, window)
        }
        _ => false,
    }
}

/// compose's refresh rule (`pull_policy: daily`, `weekly`, `every_…`):
/// pull when the image was never tagged here or its last tag is older than
/// the window (times in Unix nanoseconds).
fn refresh_due(tagged_at: Option<i128>, now: i128, window: std::time::Duration) -> bool {
    match tagged_at {
        None => true,
        Some(t) => now > t.saturating_add(window.as_nanos() as i128),
    }
}

/// Converges the selected services (and their dependencies). `image_ids`
/// maps each selected service's image to its id (the caller builds what is
/// missing first).
pub async fn converge(
    eng: &Engine,
    plan: &Plan,
    selected: &[&ServicePlan],
    image_ids: &HashMap<String, String>,
) -> Result<Report> {
    // Annotations are Engine API 1.43's: an older engine would drop them.
    if let Some(svc) = selected.iter().find(|s| {
        s.body
            .host_config
            .as_ref()
            .is_some_and(|h| h.annotations.is_some())
    }) {
        let v = eng.docker.client_version();
        if (v.major_version, v.minor_version) < (1, 43) {
            bail!(
                "service {} has `annotations`, which need Docker Engine API 1.43; this engine speaks {}.{}: remove them or upgrade the engine",
                svc.name,
                v.major_version,
                v.minor_version
            );
        }
    }
    let existing = project_containers(eng, &plan.project).await?;
    let nets = prepare(eng, plan, &existing, selected).await?;
    let mut report = Report::default();
    for svc in selected {
        wait_for_dependencies(eng, plan, svc).await?;
        // `service:NAME`: resolved to NAME's current container, in the body
        // and in the config hash as compose v2 does; a container in another
        // network stack (NAME was recreated) has another hash and, should
        // the label agree, another HostConfig.NetworkMode: recreated.
        let shared = shared_network_mode(eng, plan, svc).await?;
        let resolved = shared.as_deref().map(|m| svc.with_shared_network(m));
        let svc = resolved.as_ref().unwrap_or(svc);
        let image = image_ids
            .get(&svc.name)
            .ok_or_else(|| anyhow!("no image id for service {}", svc.name))?;
        let mine: Vec<Existing> = existing
            .iter()
            .filter(|c| label(c, LABEL_SERVICE) == Some(svc.name.as_str()) && !is_oneoff(c))
            .map(|c| {
                let networks: Vec<(&str, &str)> = svc
                    .networks
                    .iter()
                    .filter_map(|(n, _)| nets.get(n).map(|id| (id.as_str(), n.as_str())))
                    .collect();
                let mut x = Existing::from_summary(c, &networks);
                if let Some(m) = &shared {
                    let mode = c
                        .host_config
                        .as_ref()
                        .and_then(|h| h.network_mode.as_deref());
                    if mode != Some(m.as_str()) {
                        x.sound = false;
                    }
                }
                x
            })
            .collect();
        let actions = decide(
            |n| plan.container_name(&svc.name, n),
            svc.replicas,
            &svc.config_hash,
            svc.content_hash.as_deref(),
            image,
            &mine,
        );
        // Root check (resolved against the image) before any create.
        if let Some(user) = &svc.user {
            if actions
                .iter()
                .any(|a| matches!(a, Action::Create(_) | Action::Recreate(..)))
            {
                super::info::ensure_user_not_root(
                    eng,
                    &svc.name,
                    plan.is_app(&svc.name),
                    user,
                    image,
                    &svc.image,
                )
                .await?;
            }
        }
        for action in actions {
            match action {
                Action::Keep(_) => {}
                Action::Start(n) => {
                    let name = plan.container_name(&svc.name, n);
                    start(eng, &name).await?;
                    hooks(eng, svc, &name, "post_start", &svc.post_start).await?;
                    devctl_out::errln!(" Container {name}  Started");
                    report.started.push(name);
                }
                Action::Recreate(n, old) => {
                    let name = plan.container_name(&svc.name, n);
                    hooks_if_running(eng, svc, &old, "pre_stop", &svc.pre_stop).await?;
                    remove(eng, &old, svc.stop_timeout).await?;
                    create(eng, plan, svc, n, image, &nets).await?;
                    start(eng, &name).await?;
                    hooks(eng, svc, &name, "post_start", &svc.post_start).await?;
                    devctl_out::errln!(" Container {name}  Recreated");
                    report.recreated.push(name);
                }
                Action::Create(n) => {
                    let name = plan.container_name(&svc.name, n);
                    let adopted = create(eng, plan, svc, n, image, &nets).await?;
                    start(eng, &name).await?;
                    if !adopted {
                        hooks(eng, svc, &name, "post_start", &svc.post_start).await?;
                    }
                    if !adopted {
                        devctl_out::errln!(" Container {name}  Created");
                        report.created.push(name);
                    }
                }
                Action::Remove(id, name) => {
                    hooks_if_running(eng, svc, &id, "pre_stop", &svc.pre_stop).await?;
                    remove(eng, &id, svc.stop_timeout).await?;
                    devctl_out::errln!(" Container {name}  Removed");
                    report.removed.push(name);
                }
            }
        }
    }
    let known: Vec<&str> = plan.services.iter().map(|s| s.name.as_str()).collect();
    for c in &existing {
        if let Some(s) = label(c, LABEL_SERVICE) {
            if !known.contains(&s) {
                devctl_out::errln!(
                    "warning: container {} belongs to service {s:?}, which is no longer in the compose file (`devctl down` removes it)",
                    name_of(c)
                );
            }
        }
    }
    Ok(report)
}

/// What containers of `services` need before they are created: the
/// networks (their ids by name), the named volumes, and the bind-mount
/// sources that are missing.
async fn prepare(
    eng: &Engine,
    plan: &Plan,
    existing: &[ContainerSummary],
    services: &[&ServicePlan],
) -> Result<HashMap<String, String>> {
    let (nets, vols) = futures_util::join!(
        ensure_networks(eng, plan, existing),
        ensure_volumes(eng, plan)
    );
    let nets = nets?;
    vols?;
    for svc in services {
        for p in svc.bind_sources.iter().filter(|p| !p.exists()) {
            std::fs::create_dir_all(p).with_context(|| {
                format!(
                    "creating the bind-mount source {} of service {}",
                    p.display(),
                    svc.name
                )
            })?;
        }
    }
    Ok(nets)
}

/// An existing container of one service, as converge sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub id: String,
    pub name: String,
    pub number: Option<u32>,
    pub hash: Option<String>,
    /// [`LABEL_CONTENT_HASH`]: absent on a container compose created.
    pub content_hash: Option<String>,
    pub image_id: Option<String>,
    pub running: bool,
    /// Usable as it is: not dead, and attached to the project network when
    /// its service uses it (a container left on a removed duplicate
    /// network, or created and never connected, is not).
    pub sound: bool,
}

impl Existing {
    /// `networks`: the (id, name) of each network the service joins.
    /// Podman's container list gives the network's name where Docker
    /// gives its id (and Podman refuses duplicate names), so an endpoint
    /// whose "id" is the name counts as attached too.
    fn from_summary(c: &ContainerSummary, networks: &[(&str, &str)]) -> Existing {
        let on = |id: &str, net_name: &str| {
            c.network_settings
                .as_ref()
                .and_then(|n| n.networks.as_ref())
                .is_some_and(|nets| {
                    nets.iter().any(|(key, ep)| match ep.network_id.as_deref() {
                        Some(x) if x == id => true,
                        Some(x) if !x.is_empty() && x != net_name => false,
                        _ => key == net_name,
                    })
                })
        };
        let attached = networks.iter().all(|(id, name)| on(id, name));
        Existing {
            id: c.id.clone().unwrap_or_else(|| name_of(c)),
            name: name_of(c),
            number: label(c, LABEL_NUMBER).and_then(|n| n.parse().ok()),
            hash: label(c, LABEL_HASH).map(str::to_string),
            content_hash: label(c, LABEL_CONTENT_HASH).map(str::to_string),
            image_id: c.image_id.clone(),
            running: is_running(c),
            sound: attached && c.state != Some(ContainerSummaryStateEnum::DEAD),
        }
    }
}

/// What converge does with one replica slot or one surplus container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Up to date and running: no call at all.
    Keep(u32),
    /// Up to date but stopped: start it.
    Start(u32),
    /// Config hash or image changed: remove the old (id), create, start.
    Recreate(u32, String),
    /// Missing: create and start.
    Create(u32),
    /// Beyond the replica count (id, name): remove.
    Remove(String, String),
}

/// Pure converge decision for one service: replica `n` is the container
/// labelled with number `n` (or, failing that, named `name(n)`); it is kept
/// when its config hash and image id match and it is sound (not dead, on
/// the project network), else recreated; containers not
/// matched to a slot are removed.
pub fn decide(
    name: impl Fn(u32) -> String,
    replicas: u32,
    hash: &str,
    content_hash: Option<&str>,
    image_id: &str,
    existing: &[Existing],
) -> Vec<Action> {
    let mut used = vec![false; existing.len()];
    let mut out = Vec::new();
    for n in 1..=replicas {
        let slot = existing
            .iter()
            .enumerate()
            .position(|(i, c)| !used[i] && c.number == Some(n))
            .or_else(|| {
                existing
                    .iter()
                    .enumerate()
                    .position(|(i, c)| !used[i] && c.name == name(n))
            });
        match slot {
            Some(i) => {
                used[i] = true;
                let c = &existing[i];
                if c.sound
                    && c.hash.as_deref() == Some(hash)
                    && c.image_id.as_deref() == Some(image_id)
                    // a container compose created has no content label
                    && (c.content_hash.is_none() || c.content_hash.as_deref() == content_hash)
                {
                    out.push(if c.running {
                        Action::Keep(n)
                    } else {
                        Action::Start(n)
                    });
                } else {
                    out.push(Action::Recreate(n, c.id.clone()));
                }
            }
            None => out.push(Action::Create(n)),
        }
    }
    for (i, c) in existing.iter().enumerate() {
        if !used[i] {
            out.push(Action::Remove(c.id.clone(), c.name.clone()));
        }
    }
    out
}

/// Creates container `n`, connects it to its other networks and copies
/// its secrets and configs in; returns true when it already existed (a
/// concurrent `start` created it first) and was adopted. `nets`: the
/// networks' ids by name; the container is attached by id (a name would be
/// ambiguous if a duplicate appeared meanwhile).
async fn create(
    eng: &Engine,
    plan: &Plan,
    svc: &ServicePlan,
    n: u32,
    image_id: &str,
    nets: &HashMap<String, String>,
) -> Result<bool> {
    let name = plan.container_name(&svc.name, n);
    let mut opts = CreateContainerOptionsBuilder::default().name(&name);
    if let Some(p) = &svc.platform {
        opts = opts.platform(p);
    }
    let mut body = plan.create_body(svc, n);
    body.labels
        .get_or_insert_with(HashMap::new)
        .insert(LABEL_IMAGE.to_string(), image_id.to_string());
    let endpoints = plan.endpoints(svc, n);
    let primary = primary_network_name(&body);
    if let Some((net, _)) = endpoints.first() {
        if let Some(id) = nets.get(net) {
            attach_by_id(&mut body, net, id);
        }
    }
    let mac = svc.mac_address.as_deref().map(|m| (m, primary));
    match create_container(eng, opts.build(), body, mac).await {
        Ok(_) => {}
        Err(e) if status_of(&e) == Some(409) => {
            // Someone else created it; adopt it when it has our config.
            let c = eng
                .docker
                .inspect_container(&name, None::<InspectContainerOptions>)
                .await
                .with_context(|| format!("inspecting {name}"))?;
            let hash = c
                .config
                .as_ref()
                .and_then(|c| c.labels.as_ref())
                .and_then(|l| l.get(LABEL_HASH))
                .cloned();
            if hash.as_deref() == Some(svc.config_hash.as_str()) {
                return Ok(true);
            }
            bail!(
                "a container named {name} exists with a different configuration: `devctl down` removes it"
            )
        }
        Err(e) => return Err(anyhow!(e).context(format!("creating container {name}"))),
    }
    finish_create(eng, svc, &name, endpoints.into_iter().skip(1), nets).await?;
    Ok(false)
}

/// After a create: the container joins its other networks and gets its
/// secrets and configs, before it starts.
async fn finish_create(
    eng: &Engine,
    svc: &ServicePlan,
    name: &str,
    rest: impl Iterator<Item = (String, bollard::models::EndpointSettings)>,
    nets: &HashMap<String, String>,
) -> Result<()> {
    let name = name.to_string();
    for (net, ep) in rest {
        let id = nets.get(&net).cloned().unwrap_or(net.clone());
        eng.docker
            .connect_network(
                &id,
                NetworkConnectRequest {
                    container: name.clone(),
                    endpoint_config: Some(ep),
                },
            )
            .await
            .with_context(|| format!("connecting {name} to network {net}"))?;
    }
    if !svc.copies.is_empty() {
        let tar = copies_tar(svc).context("packing the secrets and configs")?;
        let opts = bollard::query_parameters::UploadToContainerOptionsBuilder::default()
            .path("/")
            .build();
        eng.docker
            .upload_to_container(&name, Some(opts), bollard::body_full(tar.into()))
            .await
            .with_context(|| format!("copying the secrets and configs into {name}"))?;
    }
    Ok(())
}

/// The secrets and configs of `svc` as a tar archive rooted at `/`.
fn copies_tar(svc: &ServicePlan) -> std::io::Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    for c in &svc.copies {
        let mut h = tar::Header::new_gnu();
        h.set_size(c.content.len() as u64);
        h.set_mode(c.mode);
        h.set_uid(c.uid);
        h.set_gid(c.gid);
        h.set_mtime(0);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, c.path.trim_start_matches('/'), c.content.as_slice())?;
    }
    b.into_inner()
}

/// Runs a service's hooks in a container, in order; one that fails (or
/// exits non-zero) is an error with its last output lines.
async fn hooks(
    eng: &Engine,
    svc: &ServicePlan,
    container: &str,
    which: &str,
    list: &[super::plan::HookPlan],
) -> Result<()> {
    use bollard::exec::{StartExecOptions, StartExecResults};
    use futures_util::StreamExt;
    for h in list {
        let exec = eng
            .docker
            .create_exec(
                container,
                bollard::models::ExecConfig {
                    cmd: Some(h.cmd.clone()),
                    user: h.user.clone(),
                    working_dir: h.working_dir.clone(),
                    privileged: Some(h.privileged),
                    env: (!h.env.is_empty()).then(|| h.env.clone()),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    ..Default::default()
                },
            )
            .await
            .with_context(|| {
                format!(
                    "running the {which} hook of service {} in {container}",
                    svc.name
                )
            })?;
        let mut out = String::new();
        if let StartExecResults::Attached { mut output, .. } = eng
            .long()
            .start_exec(&exec.id, Some(StartExecOptions::default()))
            .await
            .with_context(|| format!("running the {which} hook of service {}", svc.name))?
        {
            while let Some(chunk) = output.next().await {
                match chunk {
                    Ok(c) => out.push_str(&String::from_utf8_lossy(&c.into_bytes())),
                    Err(_) => break,
                }
            }
        }
        let code = eng
            .docker
            .inspect_exec(&exec.id)
            .await
            .ok()
            .and_then(|i| i.exit_code)
            .unwrap_or(-1);
        if code != 0 {
            let tail: Vec<&str> = out.lines().rev().take(10).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            bail!(
                "the {which} hook of service {} ({}) exited with {code} in {container}{}",
                svc.name,
                h.cmd.join(" "),
                if tail.is_empty() {
                    String::new()
                } else {
                    format!(":\n  {}", tail.join("\n  "))
                }
            );
        }
    }
    Ok(())
}

/// [`hooks`] when the container is running (a stopped one has nothing to
/// stop).
async fn hooks_if_running(
    eng: &Engine,
    svc: &ServicePlan,
    id: &str,
    which: &str,
    list: &[super::plan::HookPlan],
) -> Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    let running = eng
        .docker
        .inspect_container(id, None::<InspectContainerOptions>)
        .await
        .ok()
        .and_then(|c| c.state)
        .and_then(|s| s.running)
        .unwrap_or(false);
    if running {
        hooks(eng, svc, id, which, list).await?;
    }
    Ok(())
}

/// `network_mode: service:NAME`: `container:<id>` of NAME's first
/// container (compose v2's `resolveSharedNamespaces`); None for another
/// network mode.
async fn shared_network_mode(
    eng: &Engine,
    plan: &Plan,
    svc: &ServicePlan,
) -> Result<Option<String>> {
    let Some(other) = &svc.network_service else {
        return Ok(None);
    };
    let name = plan.container_name(other, 1);
    match eng
        .docker
        .inspect_container(&name, None::<InspectContainerOptions>)
        .await
    {
        Ok(c) => match c.id {
            Some(id) => Ok(Some(format!("container:{id}"))),
            None => bail!("the engine gave no id for container {name}"),
        },
        Err(e) if status_of(&e) == Some(404) => bail!(
            "service {} shares the network stack of service {other} (network_mode \"service:{other}\"), which has no container {name}: start {other} too (`devctl start {}`)",
            svc.name,
            svc.name
        ),
        Err(e) => Err(anyhow!(e).context(format!("inspecting container {name}"))),
    }
}

/// HostConfig.NetworkMode of a create body as the plan wrote it (a
/// network's name, before [`attach_by_id`]).
fn primary_network_name(body: &bollard::models::ContainerCreateBody) -> Option<String> {
    body.host_config
        .as_ref()
        .and_then(|h| h.network_mode.clone())
}

/// Creates a container; with a `mac_address` (and the primary network's
/// name), where compose v2 puts it: the first endpoint's MacAddress from
/// Engine API 1.44 on, below that the container's Config.MacAddress, which
/// bollard's create body no longer has, so the JSON is sent with it added
/// (through a request modifier on a copy of the client, for this one
/// request). Below 1.44 the engine gives Config.MacAddress to the endpoint
/// of the network HostConfig.NetworkMode names, compared by name: the
/// network mode is the name again there (the endpoint stays keyed by id,
/// so the container still joins the network devctl picked).
async fn create_container(
    eng: &Engine,
    opts: bollard::query_parameters::CreateContainerOptions,
    mut body: bollard::models::ContainerCreateBody,
    mac: Option<(&str, Option<String>)>,
) -> std::result::Result<bollard::models::ContainerCreateResponse, bollard::errors::Error> {
    let Some((mac, primary)) = mac else {
        return eng.docker.create_container(Some(opts), body).await;
    };
    let v = eng.docker.client_version();
    if (v.major_version, v.minor_version) >= (1, 44) {
        let primary = body
            .host_config
            .as_ref()
            .and_then(|h| h.network_mode.clone());
        if let Some(ep) = body
            .networking_config
            .as_mut()
            .and_then(|n| n.endpoints_config.as_mut())
            .and_then(|eps| primary.and_then(|p| eps.get_mut(&p)))
        {
            ep.mac_address = Some(mac.to_string());
        }
        return eng.docker.create_container(Some(opts), body).await;
    }
    if let (Some(hc), Some(name)) = (body.host_config.as_mut(), primary) {
        hc.network_mode = Some(name);
    }
    let mut json = serde_json::to_value(&body)?;
    if let Some(o) = json.as_object_mut() {
        o.insert("MacAddress".into(), mac.into());
    }
    let bytes = bytes::Bytes::from(serde_json::to_vec(&json)?);
    let docker = eng.docker.clone().with_request_modifier(move |req| {
        if req.uri().path().ends_with("/containers/create") {
            req.map(|_| http_body_util::Either::Left(http_body_util::Full::new(bytes.clone())))
        } else {
            req
        }
    });
    docker.create_container(Some(opts), body).await
}

/// Replaces the network's name by its id in a create body.
fn attach_by_id(body: &mut bollard::models::ContainerCreateBody, name: &str, id: &str) {
    if let Some(hc) = body.host_config.as_mut() {
        if hc.network_mode.as_deref() == Some(name) {
            hc.network_mode = Some(id.to_string());
        }
    }
    if let Some(eps) = body
        .networking_config
        .as_mut()
        .and_then(|nc| nc.endpoints_config.as_mut())
    {
        if let Some(ep) = eps.remove(name) {
            eps.insert(id.to_string(), ep);
        }
    }
}

async fn start(eng: &Engine, name: &str) -> Result<()> {
    match eng
        .medium()
        .start_container(name, None::<StartContainerOptions>)
        .await
    {
        Ok(()) => Ok(()),
        Err(e) if status_of(&e) == Some(304) => Ok(()),
        Err(e) => Err(anyhow!(e).context(format!("starting container {name}"))),
    }
}

async fn stop_one(eng: &Engine, id: &str, timeout: Option<i64>) -> Result<()> {
    let mut b = StopContainerOptionsBuilder::default();
    if let Some(t) = timeout {
        b = b.t(t as i32);
    }
    match eng
        .for_stop(timeout)
        .stop_container(id, Some(b.build()))
        .await
    {
        Ok(()) => Ok(()),
        Err(e) if matches!(status_of(&e), Some(304) | Some(404)) => Ok(()),
        Err(e) => Err(anyhow!(e).context(format!("stopping container {id}"))),
    }
}

async fn remove(eng: &Engine, id: &str, timeout: Option<i64>) -> Result<()> {
    stop_one(eng, id, timeout).await?;
    let opts = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(false)
        .build();
    match eng.medium().remove_container(id, Some(opts)).await {
        Ok(()) => Ok(()),
        Err(e) if matches!(status_of(&e), Some(404) | Some(409)) => Ok(()),
        Err(e) => Err(anyhow!(e).context(format!("removing container {id}"))),
    }
}

/// Waits until the dependencies of `svc` meet their `depends_on`
/// conditions (healthy, completed successfully).
/// A `required: false` dependency that does not meet its condition is a
/// warning, as in compose.
pub async fn wait_for_dependencies(eng: &Engine, plan: &Plan, svc: &ServicePlan) -> Result<()> {
    for (dep, cond) in &svc.depends_on {
        if *cond == Condition::ServiceStarted {
            continue;
        }
        let r = wait_for_dependency(eng, plan, svc, dep, *cond).await;
        match r {
            Err(e) if svc.optional_deps.contains(dep) => devctl_out::errln!(
                "warning: service {}: its dependency {dep} (`required: false`) is not ready; starting it anyway: {e:#}",
                svc.name
            ),
            r => r?,
        }
    }
    Ok(())
}

async fn wait_for_dependency(
    eng: &Engine,
    plan: &Plan,
    svc: &ServicePlan,
    dep: &str,
    cond: Condition,
) -> Result<()> {
    {
        let Some(d) = plan.service(dep) else {
            return Ok(());
        };
        for n in 1..=d.replicas {
            let name = plan.container_name(dep, n);
            let t0 = Instant::now();
            let mut said = false;
            loop {
                let c = eng
                    .docker
                    .inspect_container(&name, None::<InspectContainerOptions>)
                    .await
                    .with_context(|| format!("inspecting {name}"))?;
                let state = c.state.unwrap_or_default();
                let done = match cond {
                    Condition::ServiceHealthy => {
                        let h = state
                            .health
                            .as_ref()
                            .and_then(|h| h.status.as_ref())
                            .map(|s| s.to_string())
                            .unwrap_or_default();
                        match h.as_str() {
                            "healthy" => true,
                            "unhealthy" => bail!(
                                "service {} depends on {dep} being healthy, but {name} is unhealthy (see `devctl logs {dep}`)",
                                svc.name
                            ),
                            "" | "none" => bail!(
                                "service {} waits for {dep} to be healthy, but {dep} has no healthcheck",
                                svc.name
                            ),
                            _ => false,
                        }
                    }
                    Condition::ServiceCompletedSuccessfully => {
                        if state.running == Some(true) {
                            false
                        } else {
                            match state.exit_code {
                                Some(0) => true,
                                code => bail!(
                                    "service {} depends on {dep} completing successfully, but {name} exited with {}",
                                    svc.name,
                                    code.unwrap_or(-1)
                                ),
                            }
                        }
                    }
                    Condition::ServiceStarted => true,
                };
                if done {
                    break;
                }
                if !said {
                    devctl_out::errln!(" Container {name}  Waiting");
                    said = true;
                }
                if t0.elapsed() > DEPENDENCY_TIMEOUT {
                    bail!(
                        "timed out after {:?} waiting for {name}",
                        DEPENDENCY_TIMEOUT
                    );
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            if said {
                devctl_out::errln!(" Container {name}  Healthy");
            }
        }
    }
    Ok(())
}

/// Stops the project's running containers (all, or those of `only`),
/// dependents first. Returns the names stopped.
pub async fn stop(eng: &Engine, plan: &Plan, only: &[String]) -> Result<Vec<String>> {
    let list = project_containers(eng, &plan.project).await?;
    let mut stopped = Vec::new();
    // reverse dependency order: dependents first
    let mut order: Vec<Option<&str>> = plan
        .services
        .iter()
        .rev()
        .map(|s| Some(s.name.as_str()))
        .collect();
    order.push(None); // services not in the plan
    for svc in order {
        let batch: Vec<&ContainerSummary> = list
            .iter()
            .filter(|c| is_running(c) && !is_oneoff(c))
            .filter(|c| {
                let s = label(c, LABEL_SERVICE);
                match svc {
                    Some(name) => s == Some(name),
                    None => !plan.services.iter().any(|p| Some(p.name.as_str()) == s),
                }
            })
            .filter(|c| {
                only.is_empty()
                    || label(c, LABEL_SERVICE).is_some_and(|s| only.iter().any(|o| o == s))
            })
            .collect();
        let sp = svc.and_then(|s| plan.service(s));
        let timeout = sp.and_then(|s| s.stop_timeout);
        let results = join_all(batch.iter().map(|c| {
            let id = c.id.clone().unwrap_or_else(|| name_of(c));
            async move {
                if let Some(sp) = sp {
                    hooks(eng, sp, &id, "pre_stop", &sp.pre_stop).await?;
                }
                stop_one(eng, &id, timeout).await
            }
        }))
        .await;
        for (c, r) in batch.iter().zip(results) {
            r?;
            devctl_out::errln!(" Container {}  Stopped", name_of(c));
            stopped.push(name_of(c));
        }
    }
    Ok(stopped)
}

/// Restarts the containers of the services in `only` (all when empty),
/// running or stopped, in dependency order, as `docker compose restart`
/// does: one-off containers are left alone, each service's dependencies
/// must meet their conditions first. Returns the names restarted.
pub async fn restart(eng: &Engine, plan: &Plan, only: &[String]) -> Result<Vec<String>> {
    let list = project_containers(eng, &plan.project).await?;
    let mut done = Vec::new();
    let only = plan.restart_set(only);
    for svc in &plan.services {
        if !only.is_empty() && !only.contains(&svc.name) {
            continue;
        }
        let batch: Vec<&ContainerSummary> = list
            .iter()
            .filter(|c| label(c, LABEL_SERVICE) == Some(svc.name.as_str()) && !is_oneoff(c))
            .collect();
        if batch.is_empty() {
            continue;
        }
        wait_for_dependencies(eng, plan, svc).await?;
        let mut opts = RestartContainerOptionsBuilder::default();
        if let Some(t) = svc.stop_timeout {
            opts = opts.t(t as i32);
        }
        let opts = opts.build();
        let results = join_all(batch.iter().map(|c| {
            let id = c.id.clone().unwrap_or_else(|| name_of(c));
            let opts = opts.clone();
            async move {
                eng.for_stop(svc.stop_timeout)
                    .restart_container(&id, Some(opts))
                    .await
            }
        }))
        .await;
        for (c, r) in batch.iter().zip(results) {
            r.with_context(|| format!("restarting container {}", name_of(c)))?;
            devctl_out::errln!(" Container {}  Restarted", name_of(c));
            done.push(name_of(c));
        }
    }
    Ok(done)
}

/// Makes what a one-off container of `svc` needs (the project network, the
/// named volumes, missing bind-mount sources) and creates it, named as
/// compose names one-offs ([`Plan::oneoff_name`]). Returns its name.
pub async fn create_oneoff(
    eng: &Engine,
    plan: &Plan,
    svc: &ServicePlan,
    o: &OneOff,
) -> Result<String> {
    let existing = project_containers(eng, &plan.project).await?;
    let nets = prepare(eng, plan, &existing, &[svc]).await?;
    let shared = shared_network_mode(eng, plan, svc).await?;
    let resolved = shared.as_deref().map(|m| svc.with_shared_network(m));
    let svc = resolved.as_ref().unwrap_or(svc);
    let name = plan.oneoff_name(&svc.name, &o.slug);
    let mut body = plan.oneoff_body(svc, o);
    let endpoints = plan.oneoff_endpoints(svc, &name);
    let primary = primary_network_name(&body);
    if let Some((net, _)) = endpoints.first() {
        if let Some(id) = nets.get(net) {
            attach_by_id(&mut body, net, id);
        }
    }
    let mut opts = CreateContainerOptionsBuilder::default().name(&name);
    if let Some(p) = &svc.platform {
        opts = opts.platform(p);
    }
    let mac = svc.mac_address.as_deref().map(|m| (m, primary));
    create_container(eng, opts.build(), body, mac)
        .await
        .with_context(|| format!("creating container {name}"))?;
    finish_create(eng, svc, &name, endpoints.into_iter().skip(1), &nets).await?;
    Ok(name)
}

/// A fresh compose slug: 64 hex digits from the kernel's random source
/// (compose's `stringid.GenerateRandomID`).
pub fn new_slug() -> Result<String> {
    use std::io::Read;
    let mut b = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .context("reading /dev/urandom for the one-off container's slug")?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Removes a container (stopped first, at once), gone already or not.
pub async fn remove_now(eng: &Engine, id: &str) -> Result<()> {
    remove(eng, id, Some(0)).await
}

/// Removes the project's containers and network; with `volumes`, its
/// named volumes too.
pub async fn down(eng: &Engine, plan: &Plan, volumes: bool) -> Result<()> {
    stop(eng, plan, &[]).await?;
    let list = project_containers(eng, &plan.project).await?;
    let results = join_all(list.iter().map(|c| {
        let id = c.id.clone().unwrap_or_else(|| name_of(c));
        async move { remove(eng, &id, Some(0)).await }
    }))
    .await;
    for (c, r) in list.iter().zip(results) {
        r?;
        devctl_out::errln!(" Container {}  Removed", name_of(c));
    }
    let filters = HashMap::from([(
        "label".to_string(),
        vec![format!("{LABEL_PROJECT}={}", plan.project)],
    )]);
    let nets = eng
        .docker
        .list_networks(Some(
            ListNetworksOptionsBuilder::default()
                .filters(&filters)
                .build(),
        ))
        .await
        .context("listing networks")?;
    for n in nets {
        let Some(id) = n.id.as_deref() else { continue };
        match eng.docker.remove_network(id).await {
            Ok(()) => devctl_out::errln!(" Network {}  Removed", n.name.unwrap_or_default()),
            Err(e) if status_of(&e) == Some(404) => {}
            Err(e) => return Err(anyhow!(e).context("removing the project network")),
        }
    }
    if volumes {
        let vols = eng
            .docker
            .list_volumes(Some(
                ListVolumesOptionsBuilder::default()
                    .filters(&filters)
                    .build(),
            ))
            .await
            .context("listing volumes")?;
        for v in vols.volumes.unwrap_or_default() {
            match eng
                .docker
                .remove_volume(&v.name, None::<RemoveVolumeOptions>)
                .await
            {
                Ok(()) => devctl_out::errln!(" Volume {}  Removed", v.name),
                Err(e) if status_of(&e) == Some(404) => {}
                Err(e) => return Err(anyhow!(e).context(format!("removing volume {}", v.name))),
            }
        }
    }
    Ok(())
}

/// One row of `devctl ps`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PsRow {
    pub name: String,
    pub service: String,
    pub number: u32,
    pub state: String,
    pub status: String,
    pub image: String,
    pub ports: Vec<String>,
}

pub async fn ps(eng: &Engine, project: &str) -> Result<Vec<PsRow>> {
    let list = project_containers(eng, project).await?;
    Ok(list
        .iter()
        .map(|c| {
            let mut ports: Vec<String> = c
                .ports
                .as_deref()
                .unwrap_or_default()
                .iter()
                .map(|p| {
                    let proto = p.typ.map(|t| t.to_string()).unwrap_or_else(|| "tcp".into());
                    match p.public_port {
                        Some(pp) => format!(
                            "{}:{pp}->{}/{proto}",
                            p.ip.as_deref().unwrap_or(""),
                            p.private_port
                        ),
                        None => format!("{}/{proto}", p.private_port),
                    }
                })
                .collect();
            ports.sort();
            ports.dedup();
            PsRow {
                name: name_of(c),
                service: label(c, LABEL_SERVICE).unwrap_or("").to_string(),
                number: label(c, LABEL_NUMBER)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0),
                state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                status: c.status.clone().unwrap_or_default(),
                image: c.image.clone().unwrap_or_default(),
                ports,
            }
        })
        .collect())
}

/// The running container of `service` (replica 1 first), or None.
pub async fn running_container(eng: &Engine, plan: &Plan, service: &str) -> Result<Option<String>> {
    let list = project_containers(eng, &plan.project).await?;
    let mut mine: Vec<&ContainerSummary> = list
        .iter()
        .filter(|c| label(c, LABEL_SERVICE) == Some(service) && is_running(c) && !is_oneoff(c))
        .collect();
    mine.sort_by_key(|c| {
        label(c, LABEL_NUMBER)
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(u32::MAX)
    });
    Ok(mine.first().map(|c| name_of(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_is_due_when_never_tagged_or_older_than_the_window() {
        let s = 1_000_000_000i128;
        let w = std::time::Duration::from_secs(2);
        assert!(refresh_due(None, 10 * s, w));
        assert!(!refresh_due(Some(10 * s), 11 * s, w));
        assert!(
            !refresh_due(Some(10 * s), 12 * s, w),
            "the window's end is still inside"
        );
        assert!(refresh_due(Some(10 * s), 12 * s + 1, w));
        // the zero time a never-tagged image reports
        assert!(refresh_due(Some(-62_135_596_800 * s), 10 * s, w));
    }

    fn c(n: u32, hash: &str, image: &str, running: bool) -> Existing {
        Existing {
            id: format!("id{n}"),
            name: format!("p-s-{n}"),
            number: Some(n),
            hash: Some(hash.into()),
            content_hash: None,
            image_id: Some(image.into()),
            running,
            sound: true,
        }
    }
    fn name(n: u32) -> String {
        format!("p-s-{n}")
    }

    #[test]
    fn nothing_changed_means_no_call() {
        let ex = [c(1, "h", "i", true), c(2, "h", "i", true)];
        assert_eq!(
            decide(name, 2, "h", None, "i", &ex),
            [Action::Keep(1), Action::Keep(2)]
        );
    }

    #[test]
    fn stopped_is_started_changed_is_recreated_missing_is_created() {
        let ex = [c(1, "h", "i", false), c(2, "old", "i", true)];
        assert_eq!(
            decide(name, 3, "h", None, "i", &ex),
            [
                Action::Start(1),
                Action::Recreate(2, "id2".into()),
                Action::Create(3)
            ]
        );
        // a new image id alone recreates
        let ex = [c(1, "h", "old-image", true)];
        assert_eq!(
            decide(name, 1, "h", None, "i", &ex),
            [Action::Recreate(1, "id1".into())]
        );
    }

    #[test]
    fn surplus_and_unnumbered_containers_are_removed() {
        let mut stray = c(9, "h", "i", true);
        stray.number = None;
        stray.name = "p_s_x".into();
        let ex = [c(1, "h", "i", true), c(2, "h", "i", true), stray];
        assert_eq!(
            decide(name, 1, "h", None, "i", &ex),
            [
                Action::Keep(1),
                Action::Remove("id2".into(), "p-s-2".into()),
                Action::Remove("id9".into(), "p_s_x".into())
            ]
        );
        // a container named like slot 1 without a number label fills slot 1
        let mut named = c(1, "h", "i", true);
        named.number = None;
        assert_eq!(decide(name, 1, "h", None, "i", &[named]), [Action::Keep(1)]);
    }
    #[test]
    fn an_unsound_container_is_recreated() {
        let mut off_network = c(1, "h", "i", true);
        off_network.sound = false;
        assert_eq!(
            decide(name, 1, "h", None, "i", &[off_network]),
            [Action::Recreate(1, "id1".into())]
        );
    }

    fn net(id: &str, ours: bool, mine: &[&str], foreign: &[&str], created: &str) -> NetCandidate {
        NetCandidate {
            id: id.into(),
            ours,
            our_containers: mine.iter().map(|s| s.to_string()).collect(),
            foreign_containers: foreign.iter().map(|s| s.to_string()).collect(),
            created: created.into(),
        }
    }

    #[test]
    fn duplicate_networks_keep_ours_with_containers() {
        assert_eq!(pick_network("p_default", &[]), Ok(None));
        let one = [net("a", false, &[], &[], "1")];
        assert_eq!(
            pick_network("p_default", &one),
            Ok(Some(NetRepair {
                keep: "a".into(),
                remove: vec![]
            }))
        );
        // labelled beats unlabelled, whatever the age
        let two = [
            net("old", false, &[], &[], "1"),
            net("lab", true, &[], &[], "2"),
        ];
        assert_eq!(
            pick_network("p_default", &two).unwrap().unwrap(),
            NetRepair {
                keep: "lab".into(),
                remove: vec!["old".into()]
            }
        );
        // both labelled: the one with our containers, then the oldest
        let two = [
            net("x", true, &[], &[], "1"),
            net("y", true, &["c1"], &[], "2"),
        ];
        assert_eq!(pick_network("p_default", &two).unwrap().unwrap().keep, "y");
        let two = [net("x", true, &[], &[], "2"), net("y", true, &[], &[], "1")];
        assert_eq!(pick_network("p_default", &two).unwrap().unwrap().keep, "y");
        // a duplicate someone else's containers use is not removed
        let two = [
            net("x", true, &["c1"], &[], "1"),
            net("y", false, &[], &["web"], "2"),
        ];
        let e = pick_network("p_default", &two).unwrap_err();
        assert!(e.contains("p_default") && e.contains("web"), "{e}");
    }
}
