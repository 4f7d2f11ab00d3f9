//! `devctl logs [-f] [SERVICE…]`: every container's output, each line
//! prefixed with the container's name; with `-f`, containers that appear
//! later (started, scaled, recreated) are followed too.

use std::collections::HashSet;
use std::io::Write;
use std::pin::Pin;
use std::time::Duration;

use anyhow::{anyhow, Result};
use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::stream::{select_all, Stream, StreamExt};

use super::apply::{name_of, project_containers};
use super::plan::LABEL_SERVICE;
use super::Engine;

/// (container id, container name, item); `None` marks the end of a
/// container's stream (it stopped), so a restart is followed again.
type LogItem = (
    String,
    String,
    Option<Result<LogOutput, bollard::errors::Error>>,
);
type LogStream<'a> = Pin<Box<dyn Stream<Item = LogItem> + 'a>>;

/// ANSI colours for container prefixes (as compose cycles them).
const COLORS: [&str; 6] = ["36", "33", "32", "35", "34", "31"];

/// The prefix of container number `i` in colour `i` (or plain).
fn paint(name: &str, width: usize, i: usize, color: bool) -> String {
    if color {
        format!("\x1b[{}m{name:<width$} |\x1b[0m", COLORS[i % COLORS.len()])
    } else {
        format!("{name:<width$} |")
    }
}

/// Splits `message` into lines, each prefixed with `prefix | `.
pub fn prefix_lines(prefix: &str, width: usize, message: &[u8], out: &mut Vec<u8>) {
    prefix_lines_with(&paint(prefix, width, 0, false), message, out)
}

fn prefix_lines_with(prefix: &str, message: &[u8], out: &mut Vec<u8>) {
    let text = String::from_utf8_lossy(message);
    for line in text.split_inclusive('\n') {
        let _ = write!(out, "{prefix} {line}");
        if !line.ends_with('\n') {
            out.push(b'\n');
        }
    }
}

pub async fn logs(
    eng: &Engine,
    project: &str,
    services: &[String],
    follow: bool,
    color: bool,
) -> Result<()> {
    let mut colors: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    // One-off containers (`devctl run`) print to their own terminal; as in
    // `docker compose logs`, they are not followed here.
    let wanted = |c: &bollard::models::ContainerSummary| {
        !super::apply::is_oneoff(c)
            && (services.is_empty()
                || c.labels
                    .as_ref()
                    .and_then(|l| l.get(LABEL_SERVICE))
                    .is_some_and(|s| services.iter().any(|x| x == s)))
    };
    let mut seen: HashSet<String> = HashSet::new();
    let mut streams = select_all(Vec::<LogStream<'_>>::new());
    let mut width = 0usize;
    // Streams: the engine's answer may take long to start (`-f`).
    let long = eng.long();
    let open = |id: String, name: String| -> LogStream<'_> {
        let opts = LogsOptionsBuilder::default()
            .follow(follow)
            .stdout(true)
            .stderr(true)
            .tail("all")
            .build();
        let (id2, name2) = (id.clone(), name.clone());
        Box::pin(
            long.logs(&id, Some(opts))
                .map(move |item| (id.clone(), name.clone(), Some(item)))
                .chain(futures_util::stream::once(
                    async move { (id2, name2, None) },
                )),
        )
    };
    for c in project_containers(eng, project).await? {
        if !wanted(&c) {
            continue;
        }
        let name = name_of(&c);
        width = width.max(name.len());
        if let Some(id) = c.id.clone() {
            seen.insert(id.clone());
            streams.push(open(id, name));
        }
    }
    if !follow && streams.is_empty() {
        devctl_out::errln!("no containers for project {project}: `devctl start` creates them");
        return Ok(());
    }
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            item = streams.next(), if !streams.is_empty() => match item {
                None => if !follow { break },
                Some((id, _, None)) => {
                    seen.remove(&id);
                }
                Some((_, name, Some(Ok(out)))) => {
                    let mut buf = Vec::new();
                    let next = colors.len();
                    let i = *colors.entry(name.clone()).or_insert(next);
                    prefix_lines_with(&paint(&name, width, i, color), &out.into_bytes(), &mut buf);
                    devctl_out::write_stdout(&buf)?;
                }
                Some((_, name, Some(Err(e)))) => {
                    // a container removed while followed ends its stream
                    if !follow {
                        return Err(anyhow!(e).context(format!("reading the logs of {name}")));
                    }
                }
            },
            _ = tick.tick(), if follow => {
                for c in project_containers(eng, project).await? {
                    let Some(id) = c.id.clone() else { continue };
                    if !wanted(&c) || seen.contains(&id) {
                        continue;
                    }
                    let name = name_of(&c);
                    width = width.max(name.len());
                    seen.insert(id.clone());
                    streams.push(open(id, name));
                }
            }
        }
        if !follow && streams.is_empty() {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_get_aligned_prefixes() {
        let mut out = Vec::new();
        prefix_lines("p-db-1", 8, b"one\ntwo", &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "p-db-1   | one\np-db-1   | two\n"
        );
    }
}
