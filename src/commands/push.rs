//! `devctl push [SERVICE…] [--ignore-push-failures]`: the built images of
//! the services that have `build:` (their `image`, which carries
//! `[project].registry`, and their `build.tags`) to their registries, as
//! `docker compose push` pushes them; the other services are skipped.

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::Result;

use crate::commands::build::progress_mode;
use crate::engine::apply::image_id;
use crate::engine::registry::{self, Credentials, DockerConfig};
use crate::engine::Engine;
use crate::error::usage;
use crate::session::{Input, Session};

pub fn run(session: &Session, services: &[String], ignore_failures: bool) -> Result<ExitCode> {
    let global = session.global;
    let (loaded, eng) = session.input_and_engine(Input::ReadOnly)?;
    let plan = &loaded.plan;
    // The services the active profiles enable (and those named); named
    // services alone, without their dependencies, as compose pushes them.
    let selected = plan.select(services, &session.profiles()).map_err(usage)?;
    let config = crate::session::docker_config()?;
    let progress = progress_mode(global);
    let mut logins = Logins::new(&config);
    session.runtime()?.block_on(async {
        let mut pushed = 0;
        for svc in selected {
            if !services.is_empty() && !services.contains(&svc.name) {
                continue;
            }
            let Some(build) = &svc.build else {
                if !global.quiet {
                    crate::errln!(" Service {}  Skipped - no `build:` section", svc.name);
                }
                continue;
            };
            let mut images = vec![svc.image.clone()];
            images.extend(build.tags.iter().filter(|t| **t != svc.image).cloned());
            for image in images {
                match push_one(eng, &mut logins, &svc.name, &image, progress).await {
                    Ok(()) => {
                        pushed += 1;
                        if !global.quiet {
                            crate::errln!(" Image {image}  Pushed");
                        }
                    }
                    Err(e) if ignore_failures => crate::errln!("warning: {e:#}"),
                    Err(e) => return Err(e),
                }
            }
        }
        if pushed == 0 && !global.quiet && !plan.services.iter().any(|s| s.build.is_some()) {
            crate::errln!("no service has a `build:` section: nothing to push");
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Each registry host's credentials, looked up once (a helper runs once).
pub struct Logins<'c> {
    config: &'c DockerConfig,
    known: HashMap<String, Option<Credentials>>,
}

impl<'c> Logins<'c> {
    pub fn new(config: &'c DockerConfig) -> Logins<'c> {
        Logins {
            config,
            known: HashMap::new(),
        }
    }

    /// The credentials for the registry of `image` (None: anonymous).
    pub fn for_image(&mut self, image: &str) -> Result<Option<Credentials>> {
        let host = registry::registry_host(image);
        if let Some(c) = self.known.get(&host) {
            return Ok(c.clone());
        }
        let c = self.config.credentials(&host)?;
        self.known.insert(host, c.clone());
        Ok(c)
    }

    pub fn shown(&self) -> &str {
        self.config.shown()
    }
}

async fn push_one(
    eng: &Engine,
    logins: &mut Logins<'_>,
    service: &str,
    image: &str,
    progress: crate::engine::build::Progress,
) -> Result<()> {
    // Without a registry in its name the image would go to Docker Hub's
    // official `library/` namespace, which nobody can push to.
    let (repo, _) = registry::split_tag(image);
    if registry::registry_host(image) == registry::DOCKER_HUB && !repo.contains('/') {
        return Err(usage(format!(
            "service {service}: image {image} names no registry: set `registry` in devctl.toml's [project] (e.g. `registry = \"registry.example.com:5000/team\"`) or give the service an `image` with one"
        )));
    }
    if image_id(eng, image).await?.is_none() {
        return Err(usage(format!(
            "service {service}: image {image} is not on this engine: build it first (`devctl build {service}`)"
        )));
    }
    let creds = logins.for_image(image)?;
    registry::push(eng, image, creds.as_ref(), logins.shown(), progress).await
}
