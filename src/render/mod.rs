//! Renderer: stored entries → Atom 1.0 files, replaced atomically and only
//! when their content changed.
//!
//! [`atom_document`] (and [`AtomWriter`], the same one entry at a time) and
//! [`index_document`] are pure (entries in, bytes out) and
//! [`write_if_changed`] knows nothing of Atom; [`render_all`] decides which
//! feeds exist and streams their entries from the store into files.

mod atom;
mod index;
mod write;

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::PathBuf;

use crate::config::{Config, OutputConfig};
use crate::store::{EntryFilter, Store};

pub use atom::{atom_document, AtomWriter, FeedInfo, REGION_SCHEME};
pub use index::{index_document, FeedKind, Headline, IndexFeed};
pub use write::write_if_changed;

/// A feed could not be rendered: one sentence naming the output file.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RenderError(pub String);

/// How many output files a render wrote and how many it left alone because
/// their content was already current.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderReport {
    pub written: usize,
    pub unchanged: usize,
}

/// One output file to render.
struct FeedPlan {
    path: PathBuf,
    info: FeedInfo,
    filter: EntryFilter,
    kind: FeedKind,
    /// Topic label or region name, for the index page.
    label: String,
}

/// Writes the main feed and, as configured, every topic and region feed,
/// then the index page (`[output] index`), which is not counted in the
/// report's feeds.
///
/// Entries stream from the store into each document (no feed's entries are
/// held), and other threads write each finished document while the next
/// one is rendered, so the flushes to disk cost no rendering time; each
/// folder is synced once, after its last file.
pub fn render_all(config: &Config, store: &Store) -> Result<RenderReport, RenderError> {
    let labels: HashMap<String, String> = config
        .topics
        .iter()
        .map(|t| (t.name.clone(), label_of(&t.name, t.label.as_deref())))
        .collect();
    let plans = feed_plans(config, &labels);
    let filters: Vec<EntryFilter> = plans.iter().map(|p| p.filter.clone()).collect();
    let dir = config.output_dir();
    let mut listed = Vec::new();
    // The feed being read, to name it if reading fails.
    let mut reading = 0;
    let (read, tally) = write::write_concurrently(|queue| {
        let mut atom = AtomWriter::new(&labels);
        let mut count = 0;
        let mut latest = Vec::new();
        store.stream_entries(&filters, config.output.max_entries, |i, entry| {
            let plan = &plans[i];
            if let Some(entry) = entry {
                atom.push(entry);
                count += 1;
                if config.output.index && latest.len() < headlines(plan.kind) {
                    latest.push(Headline::of(entry));
                }
                return ControlFlow::Continue(());
            }
            if config.output.index {
                listed.push(index_feed(plan, &dir, count, std::mem::take(&mut latest)));
            }
            count = 0;
            reading = i + 1;
            let document = atom.finish(&plan.info).into_bytes();
            // Refused after a failed write, which `write_concurrently` returns.
            if queue.send(plan.path.clone(), document, true) {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(())
            }
        })
    })
    .map_err(RenderError)?;
    read.map_err(|e| {
        let path = plans
            .get(reading)
            .map_or(dir.as_path(), |p| p.path.as_path());
        RenderError(format!(
            "cannot read the entries of {}: {e}",
            path.display()
        ))
    })?;
    // After the feeds, so that the page never names a feed not yet there. A
    // main feed named index.html would be overwritten by the page.
    let index_path = config.index_path();
    if config.output.index && index_path != config.output.path {
        let page = index_document(&config.output.title, &listed);
        write_if_changed(&index_path, page.as_bytes())
            .map_err(|e| RenderError(format!("cannot write {}: {e}", index_path.display())))?;
    }
    Ok(RenderReport {
        written: tally.written,
        unchanged: tally.unchanged,
    })
}

/// Headlines the index page shows for a feed.
fn headlines(kind: FeedKind) -> usize {
    match kind {
        FeedKind::All => index::MAIN_HEADLINES,
        _ => index::SUB_HEADLINES,
    }
}

/// A feed as the index page lists it: its address relative to the page.
fn index_feed(
    plan: &FeedPlan,
    dir: &std::path::Path,
    entries: usize,
    latest: Vec<Headline>,
) -> IndexFeed {
    let href = plan
        .path
        .strip_prefix(dir)
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
        })
        .unwrap_or_default();
    IndexFeed {
        kind: plan.kind,
        title: plan.info.title.clone(),
        label: plan.label.clone(),
        href,
        entries,
        latest,
    }
}

/// The main feed, then topic feeds (configured topics, then source tags that
/// are not topics), then region feeds, each name once.
fn feed_plans(config: &Config, labels: &HashMap<String, String>) -> Vec<FeedPlan> {
    let output = &config.output;
    let mut plans = vec![FeedPlan {
        path: output.path.clone(),
        info: FeedInfo {
            id: output
                .self_url
                .clone()
                .unwrap_or_else(|| "urn:feedmill:feed:all".to_string()),
            title: output.title.clone(),
            self_url: output.self_url.clone(),
            author: output.title.clone(),
        },
        filter: EntryFilter::All,
        kind: FeedKind::All,
        label: output.title.clone(),
    }];
    if output.per_topic {
        let names = config
            .topics
            .iter()
            .map(|t| &t.name)
            .chain(config.sources.iter().flat_map(|s| &s.tags));
        for name in unique_safe_names(names) {
            let label = labels.get(name).map_or(name, String::as_str);
            plans.push(FeedPlan {
                path: config.topic_feed_path(name),
                info: sub_feed(output, "topics", "topic", name, label),
                filter: EntryFilter::Topic(name.to_string()),
                kind: FeedKind::Topic,
                label: label.to_string(),
            });
        }
    }
    if output.per_region {
        let regions = config.sources.iter().filter_map(|s| s.region.as_ref());
        for region in unique_safe_names(regions) {
            plans.push(FeedPlan {
                path: config.region_feed_path(region),
                info: sub_feed(output, "regions", "region", region, region),
                filter: EntryFilter::Region(region.to_string()),
                kind: FeedKind::Region,
                label: region.to_string(),
            });
        }
    }
    plans
}

/// Names in first-seen order, without repeats, and only those that are safe
/// as a file name (`[a-z0-9-]+`); config validation should already ensure
/// that, but a name like `../x` must never become a path.
fn unique_safe_names<'a>(names: impl Iterator<Item = &'a String>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for name in names {
        let safe = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !safe {
            tracing::warn!(name = %name, "not rendering a feed for a name that is not [a-z0-9-]+");
        } else if !out.contains(&name.as_str()) {
            out.push(name);
        }
    }
    out
}

fn label_of(name: &str, label: Option<&str>) -> String {
    match label.map(str::trim) {
        Some(l) if !l.is_empty() => l.to_string(),
        _ => name.to_string(),
    }
}

/// A topic or region feed: its address sits next to the main feed's
/// (`<folder of self_url>/<folder>/<name>.atom`) and doubles as its id; with
/// no public address the id is a URN.
fn sub_feed(output: &OutputConfig, folder: &str, kind: &str, name: &str, label: &str) -> FeedInfo {
    let self_url = output.self_url.as_deref().and_then(|base| {
        let base = url::Url::parse(base).ok()?;
        base.join(&format!("{folder}/{name}.atom"))
            .ok()
            .map(String::from)
    });
    FeedInfo {
        id: self_url
            .clone()
            .unwrap_or_else(|| format!("urn:feedmill:feed:{kind}:{name}")),
        title: format!("{}: {label}", output.title),
        self_url,
        author: output.title.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(self_url: Option<&str>) -> OutputConfig {
        OutputConfig {
            path: PathBuf::from("/srv/news/feed.atom"),
            title: "Regional news".into(),
            self_url: self_url.map(String::from),
            max_entries: 10,
            per_topic: true,
            per_region: true,
            index: true,
        }
    }

    #[test]
    fn sub_feed_ids_follow_self_url() {
        let table = [
            (
                Some("https://news.example.org/feed.atom"),
                "https://news.example.org/topics/defense.atom",
            ),
            (
                Some("https://news.example.org/balkans/all.atom"),
                "https://news.example.org/balkans/topics/defense.atom",
            ),
            (None, "urn:feedmill:feed:topic:defense"),
            (Some("not a url"), "urn:feedmill:feed:topic:defense"),
        ];
        for (self_url, want) in table {
            let info = sub_feed(&output(self_url), "topics", "topic", "defense", "Defense");
            assert_eq!(info.id, want, "{self_url:?}");
            assert_eq!(info.title, "Regional news: Defense");
            assert_eq!(info.author, "Regional news");
            assert_eq!(
                info.self_url.as_deref(),
                want.starts_with("https:").then_some(want)
            );
        }
        let region = sub_feed(&output(None), "regions", "region", "kosovo", "kosovo");
        assert_eq!(region.id, "urn:feedmill:feed:region:kosovo");
        assert_eq!(region.title, "Regional news: kosovo");
    }

    #[test]
    fn unsafe_and_repeated_names_are_skipped() {
        let names: Vec<String> = ["defense", "../etc", "defense", "", "Energy", "eu-2"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(unique_safe_names(names.iter()), vec!["defense", "eu-2"]);
    }

    #[test]
    fn labels_fall_back_to_names() {
        assert_eq!(
            label_of("defense", Some("Defense & security")),
            "Defense & security"
        );
        assert_eq!(label_of("defense", Some("  ")), "defense");
        assert_eq!(label_of("defense", None), "defense");
    }
}
