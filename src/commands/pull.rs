//! `devctl pull [SERVICE…] [--ignore-pull-failures]`: the images of the
//! services that do not build, as `docker compose pull --ignore-buildable`
//! pulls them (a built service's image comes from `devctl build`, see
//! ARCHITECTURE.md); `pull_policy: never` and `build` are skipped, an
//! explicit `missing` skips an image that is present (unless its tag is
//! `latest`), as compose does.

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::Result;

use crate::commands::build::progress_mode;
use crate::commands::push::Logins;
use crate::engine::apply::image_id;
use crate::engine::registry;
use crate::error::usage;
use crate::session::{Input, Session};

pub fn run(session: &Session, services: &[String], ignore_failures: bool) -> Result<ExitCode> {
    let global = session.global;
    let (loaded, eng) = session.input_and_engine(Input::ReadOnly)?;
    let plan = &loaded.plan;
    let selected = plan.select(services, &session.profiles()).map_err(usage)?;
    let config = crate::session::docker_config()?;
    let progress = progress_mode(global);
    let mut logins = Logins::new(&config);
    let say = |line: String| {
        if !global.quiet {
            crate::errln!("{line}");
        }
    };
    session.runtime()?.block_on(async {
        // image → the service it was pulled for
        let mut pulled: HashMap<&str, &str> = HashMap::new();
        for svc in selected {
            if !services.is_empty() && !services.contains(&svc.name) {
                continue;
            }
            let name = &svc.name;
            if svc.build.is_some() {
                say(format!(
                    " Service {name}  Skipped - its image is built (`devctl build {name}`)"
                ));
                continue;
            }
            if matches!(svc.pull_policy.as_str(), "never" | "build") {
                say(format!(
                    " Service {name}  Skipped - its pull_policy is `{}`",
                    svc.pull_policy
                ));
                continue;
            }
            let image = svc.image.as_str();
            if svc.pull_policy == "missing"
                && svc.pull_policy_explicit
                && registry::split_tag(image).1 != "latest"
                && image_id(eng, image).await?.is_some()
            {
                say(format!(
                    " Service {name}  Skipped - image {image} is present (pull_policy `missing`)"
                ));
                continue;
            }
            if let Some(other) = pulled.get(image) {
                say(format!(
                    " Service {name}  Skipped - image {image} is pulled for service {other}"
                ));
                continue;
            }
            let result = match logins.for_image(image) {
                Ok(creds) => {
                    registry::pull(
                        eng,
                        image,
                        svc.platform.as_deref(),
                        creds.as_ref(),
                        logins.shown(),
                        progress,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => {
                    // for the refresh windows of `pull_policy`
                    let _ = crate::engine::stamp::record_pull(
                        std::path::Path::new(&plan.working_dir),
                        image,
                        crate::engine::stamp::now(),
                    );
                    pulled.insert(image, name);
                    say(format!(" Image {image}  Pulled"));
                }
                Err(e) if ignore_failures => crate::errln!("warning: {e:#}"),
                Err(e) => return Err(e),
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
