//! What `devctl doctor` asks the engine: version, info, who publishes which
//! host port, and the uid of a user inside an image (read from the image's
//! `/etc/passwd` through a created, never started, container).

use std::collections::HashMap;
use std::io::Read;

use anyhow::{Context, Result};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, DownloadFromContainerOptionsBuilder,
    ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
};
use futures_util::StreamExt;

use super::plan::LABEL_PROJECT;
use super::{status_of, Engine};

/// The engine's answers to `/version` and `/info`, flattened.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct EngineFacts {
    /// "Docker Engine - Community", "Podman Engine", … (first component).
    pub product: String,
    pub version: String,
    pub api_version: String,
    pub min_api_version: String,
    pub os: String,
    pub arch: String,
    pub kernel: String,
    pub operating_system: String,
    /// `SecurityOptions`, e.g. `name=rootless`, `name=userns`, `name=seccomp,profile=default`.
    pub security_options: Vec<String>,
    /// "1", "2" or "" (unknown).
    pub cgroup_version: String,
    pub cgroup_driver: String,
    pub storage_driver: String,
    /// `DriverStatus` pairs (devicemapper: "Data loop file", …).
    pub driver_status: Vec<(String, String)>,
    pub root_dir: String,
}

/// Asks `/version` and `/info`.
pub async fn engine_facts(eng: &Engine) -> Result<EngineFacts> {
    let v = eng.docker.version().await.context("GET /version")?;
    let i = eng.docker.info().await.context("GET /info")?;
    // "Engine" (Docker) or "Podman Engine": the first component names the
    // product; the platform name ("Docker Engine - Community",
    // "linux/amd64/debian-12" for Podman) only when there is none.
    let product = v
        .components
        .as_ref()
        .and_then(|c| c.first())
        .map(|c| match c.name.as_str() {
            "Engine" => "Docker Engine".to_string(),
            n => n.to_string(),
        })
        .or_else(|| v.platform.as_ref().map(|p| p.name.clone()))
        .unwrap_or_default();
    Ok(EngineFacts {
        product,
        version: v.version.unwrap_or_default(),
        api_version: v.api_version.unwrap_or_default(),
        min_api_version: v.min_api_version.unwrap_or_default(),
        os: v.os.unwrap_or_default(),
        arch: v.arch.unwrap_or_default(),
        kernel: v.kernel_version.or(i.kernel_version).unwrap_or_default(),
        operating_system: i.operating_system.unwrap_or_default(),
        security_options: i.security_options.unwrap_or_default(),
        cgroup_version: i.cgroup_version.map(|c| c.to_string()).unwrap_or_default(),
        cgroup_driver: i.cgroup_driver.map(|c| c.to_string()).unwrap_or_default(),
        storage_driver: i.driver.unwrap_or_default(),
        driver_status: i
            .driver_status
            .unwrap_or_default()
            .into_iter()
            .filter_map(|kv| match kv.as_slice() {
                [k, v, ..] => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect(),
        root_dir: i.docker_root_dir.unwrap_or_default(),
    })
}

/// A host port published by a running container.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PortOwner {
    pub container: String,
    /// Its compose project label, if any.
    pub project: Option<String>,
    pub host_ip: String,
    pub host_port: u16,
}

/// Every host port published by a running container.
pub async fn published_ports(eng: &Engine) -> Result<Vec<PortOwner>> {
    let opts = ListContainersOptionsBuilder::default().all(false).build();
    let list = eng
        .docker
        .list_containers(Some(opts))
        .await
        .context("listing containers")?;
    let mut out = Vec::new();
    for c in &list {
        let name = super::apply::name_of(c);
        let project = c
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL_PROJECT))
            .cloned();
        for p in c.ports.as_deref().unwrap_or_default() {
            if let Some(pp) = p.public_port {
                out.push(PortOwner {
                    container: name.clone(),
                    project: project.clone(),
                    host_ip: p.ip.clone().unwrap_or_default(),
                    host_port: pp,
                });
            }
        }
    }
    Ok(out)
}

/// The image's id when it exists locally.
/// Whether a network of this name (or id) exists.
pub async fn network_exists(eng: &Engine, name: &str) -> Result<bool> {
    match eng
        .docker
        .inspect_network(
            name,
            None::<bollard::query_parameters::InspectNetworkOptions>,
        )
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if crate::status_of(&e) == Some(404) => Ok(false),
        Err(e) => Err(anyhow::anyhow!(e).context(format!("inspecting network {name}"))),
    }
}

pub async fn image_exists(eng: &Engine, image: &str) -> Result<bool> {
    match eng.docker.inspect_image(image).await {
        Ok(_) => Ok(true),
        Err(e) if status_of(&e) == Some(404) => Ok(false),
        Err(e) => Err(anyhow::Error::new(e).context(format!("inspecting image {image}"))),
    }
}

/// `/etc/passwd` of an image (None when the image has none), read through a
/// created (never started) container that is removed afterwards.
pub async fn image_passwd(eng: &Engine, image: &str) -> Result<Option<String>> {
    image_passwd_labelled(eng, image, "dev.devctl.doctor").await
}

/// [`image_passwd`] with the probe container labelled `label=1` (doctor's
/// probes and `start`'s root check are told apart).
async fn image_passwd_labelled(eng: &Engine, image: &str, label: &str) -> Result<Option<String>> {
    let body = bollard::models::ContainerCreateBody {
        image: Some(image.to_string()),
        cmd: Some(vec!["true".to_string()]),
        // The image's compose labels (devctl labels what it builds) are
        // blanked: a probe left by a killed `start` is no project container.
        labels: Some(HashMap::from([
            (label.to_string(), "1".to_string()),
            (crate::plan::LABEL_PROJECT.to_string(), String::new()),
            (crate::plan::LABEL_SERVICE.to_string(), String::new()),
        ])),
        ..Default::default()
    };
    let created = eng
        .docker
        .create_container(Some(CreateContainerOptionsBuilder::default().build()), body)
        .await
        .with_context(|| format!("creating a probe container of {image}"))?;
    let id = created.id;
    let result = async {
        let opts = DownloadFromContainerOptionsBuilder::default()
            .path("/etc/passwd")
            .build();
        let medium = eng.medium();
        let mut stream = medium.download_from_container(&id, Some(opts));
        let mut tar_bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(b) => tar_bytes.extend_from_slice(&b),
                Err(e) if status_of(&e) == Some(404) => return Ok(None),
                Err(e) => return Err(anyhow::Error::new(e).context("reading /etc/passwd")),
            }
        }
        let mut ar = tar::Archive::new(tar_bytes.as_slice());
        for entry in ar.entries()? {
            let mut entry = entry?;
            let mut text = String::new();
            // A symlinked /etc/passwd comes back as a link entry: no text.
            if entry.header().entry_type().is_file() {
                entry.read_to_string(&mut text)?;
                return Ok(Some(text));
            }
        }
        Ok(None)
    }
    .await;
    let rm = RemoveContainerOptionsBuilder::default().force(true).build();
    let _ = eng.medium().remove_container(&id, Some(rm)).await;
    result
}

/// The one root check at the engine (before a container is created): the
/// service's `user` resolved as the runtime will resolve it — a name
/// through the image's /etc/passwd, read by [`image_passwd`] — must not be
/// uid 0 (see `devctl_compose::user`). A usage error (exit 2) otherwise.
pub async fn ensure_user_not_root(
    eng: &Engine,
    service: &str,
    is_app: bool,
    user: &str,
    image_id: &str,
    image: &str,
) -> Result<u32> {
    use devctl_compose::user::{check_spelling, resolve, Spelled};
    let table = if is_app {
        "[app]".to_string()
    } else {
        format!("[services.{service}]")
    };
    let refuse =
        |e: String| crate::usage(format!("service `{service}` ({table} in devctl.toml): {e}"));
    match check_spelling(user).map_err(refuse)? {
        Spelled::Uid(n) => Ok(n),
        Spelled::Name(_) => {
            let passwd = image_passwd_labelled(eng, image_id, "dev.devctl.user-probe")
                .await
                .with_context(|| {
                    format!("reading /etc/passwd of {image} to resolve user `{user}`")
                })?;
            resolve(user, passwd.as_deref()).map_err(|e| refuse(format!("image {image}: {e}")))
        }
    }
}
