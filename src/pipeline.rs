//! One poll cycle: fetch → parse → normalize → tag → store, then render.
//!
//! `once` runs one cycle over every enabled source; `run` (the daemon) runs
//! the same [`poll_sources`] over the sources that are due. Fetching and
//! parsing run concurrently; every write goes through the single [`Store`]
//! owned by the caller, in transactions that each hold whole polls.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio::task::JoinSet;

use crate::config::{Config, SourceConfig};
use crate::fetch::{FetchOutcome, Fetcher, Validators};
use crate::model::ParsedFeed;
use crate::parse;
use crate::render::{self, RenderReport};
use crate::store::{
    Batch, PollStats, PruneStats, SourceInfo, SourceState, Store, StoreError, TaggedItem,
};
use crate::topics::Matcher;

/// A failing source is still tried at least once a day: feeds come back, and
/// a reader silently disabling them is what users of other tools complain of.
const BACKOFF_MAX: Duration = Duration::from_secs(24 * 60 * 60);

/// How often old stories are pruned (`[retention]`): the database grows
/// by a few hundred stories an hour at most, so hourly is plenty.
const PRUNE_EVERY: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// Sources of a cycle fetched, parsed or waiting to be written at once: at
/// least this many, else twice `[http] concurrency`. Polls run on while the
/// writer writes, so a larger window only holds more parsed feeds (cold
/// N=1000: 64 gave the same time for 124 MB peak instead of 99 MB).
const MIN_WINDOW: usize = 32;

/// Bounds of one write transaction of a cycle: sources and items in it, and
/// how long results are gathered before writing. A commit re-writes every
/// index page the polls touched, so fewer, larger commits cost far less
/// than one per source; the bounds keep the WAL and the delay small.
pub const BATCH_SOURCES: usize = 256;
pub const BATCH_ITEMS: usize = 10_000;
const BATCH_WAIT: Duration = Duration::from_millis(100);

/// Items that make a batch worth its commit: with this many ready, the
/// writer writes at once instead of waiting [`BATCH_WAIT`] for more. When
/// the writer is the slowest stage (a cold poll of thousands of sources),
/// the next batch gathers while this one is written, and every wait was
/// the writer idle: a tenth of a cold poll of 10,000 sources.
const BATCH_ENOUGH_ITEMS: usize = 2_000;

/// What happened to one source in a cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollOutcome {
    /// New or changed items were stored (or none were, but the body changed).
    Stored(PollStats),
    /// 304, or a body identical to the last one: nothing parsed or written.
    Unchanged,
    Failed(String),
}

/// One source's result, named for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceReport {
    pub name: String,
    pub url: String,
    pub outcome: PollOutcome,
    /// From the start of the fetch to the end of parsing (not the store
    /// write): what the source cost, for the poll-duration metrics.
    pub elapsed: Duration,
}

/// Everything a cycle did, for the summary line and for `STATUS=`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleReport {
    pub sources: Vec<SourceReport>,
}

impl CycleReport {
    pub fn failed(&self) -> impl Iterator<Item = &SourceReport> {
        self.sources
            .iter()
            .filter(|s| matches!(s.outcome, PollOutcome::Failed(_)))
    }

    /// Totals of new and updated items over all sources.
    pub fn totals(&self) -> PollStats {
        let mut total = PollStats::default();
        for s in &self.sources {
            if let PollOutcome::Stored(stats) = &s.outcome {
                total.new += stats.new;
                total.updated += stats.updated;
                total.unchanged += stats.unchanged;
            }
        }
        total
    }

    /// Whether any stored item changed, i.e. whether outputs need rendering.
    pub fn changed_anything(&self) -> bool {
        let t = self.totals();
        t.new + t.updated > 0
    }

    pub fn summary(&self) -> String {
        let failed = self.failed().count();
        let unchanged = self
            .sources
            .iter()
            .filter(|s| s.outcome == PollOutcome::Unchanged)
            .count();
        let t = self.totals();
        format!(
            "polled {} sources: {} ok ({} unchanged), {} failed; {} new items, {} updated",
            self.sources.len(),
            self.sources.len() - failed,
            unchanged,
            failed,
            t.new,
            t.updated
        )
    }
}

/// Everything a cycle needs that lives as long as the config. Cloning it
/// is cheap (shared parts), so each poll can run as a task of its own.
#[derive(Clone)]
pub struct Pipeline {
    pub config: Arc<Config>,
    pub fetcher: Arc<Fetcher>,
    pub matcher: Arc<Matcher>,
    /// One permit per core: parsing is CPU work, and more parsers than
    /// cores only hold more feeds in memory at once.
    parse_slots: Arc<tokio::sync::Semaphore>,
}

impl Pipeline {
    pub fn new(config: Arc<Config>) -> anyhow::Result<Pipeline> {
        let fetcher = Fetcher::new(&config.http)?;
        let matcher = Matcher::new(&config.topics)?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Pipeline {
            config,
            fetcher: Arc::new(fetcher),
            matcher: Arc::new(matcher),
            parse_slots: Arc::new(tokio::sync::Semaphore::new(cores)),
        })
    }

    /// Brings the store in line with the config: the sources it knows and the
    /// topics its items carry (re-tagging when topic rules changed).
    pub fn prepare_store(&self, store: &mut Store) -> Result<bool, StoreError> {
        store.set_near_duplicates((&self.config.dedup).into());
        store.sync_sources(&source_infos(&self.config))?;
        let config = Arc::clone(&self.config);
        let matcher = Arc::clone(&self.matcher);
        let tagger = move |source: &str, text: &str| match config.source(source) {
            Some(s) => tag(&matcher, &s.tags, s.region.as_deref(), text),
            // A source no longer configured keeps keyword topics only.
            None => tag(&matcher, &[], None, text),
        };
        store.retag_if_changed(&self.tag_fingerprint(), &tagger)
    }

    /// Topic rules plus every source's tags: when this changes, stored items
    /// are re-tagged so feeds follow the config without a re-fetch.
    fn tag_fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.matcher.fingerprint().as_bytes());
        for s in &self.config.sources {
            hasher.update(s.name.as_bytes());
            hasher.update([0]);
            hasher.update(s.region.as_deref().unwrap_or("").as_bytes());
            hasher.update([0]);
            for t in &s.tags {
                hasher.update(t.as_bytes());
                hasher.update([1]);
            }
            hasher.update([2]);
        }
        format!("{:x}", hasher.finalize())
    }

    /// Prunes stories past `[retention]` when the last prune of this
    /// database is an hour old or more (or never ran, or lies in the
    /// future); returns what it removed when it ran. Call it after
    /// rendering: the feeds' windows are kept either way, but then no
    /// removed story is still in a file on disk.
    pub fn prune_if_due(
        &self,
        store: &mut Store,
        now: DateTime<Utc>,
    ) -> Result<Option<PruneStats>, StoreError> {
        let recent = store
            .last_prune()?
            .is_some_and(|t| t <= now && now - t < PRUNE_EVERY);
        if recent {
            return Ok(None);
        }
        let stats = store.prune(&self.config.retention_policy(), now)?;
        if stats.stories > 0 {
            tracing::info!(
                stories = stats.stories,
                copies = stats.copies,
                "pruned stories past [retention]"
            );
        }
        Ok(Some(stats))
    }

    /// Writes every output file (see [`render::render_all`]) and records
    /// what they were rendered from, for [`Pipeline::render_if_stale`].
    pub fn render(&self, store: &mut Store) -> anyhow::Result<RenderReport> {
        let marker = self.render_marker(store)?;
        let report = render::render_all(&self.config, store)?;
        store.set_rendered(&marker)?;
        Ok(report)
    }

    /// Renders unless the outputs are current: rendered by this version of
    /// feedmill, with these output settings, from the store as it is now,
    /// and still on disk. A poll where every source answered 304 then costs
    /// no render at all. `None` when nothing needed writing.
    pub fn render_if_stale(&self, store: &mut Store) -> anyhow::Result<Option<RenderReport>> {
        let marker = self.render_marker(store)?;
        let on_disk = self.config.output.path.exists()
            && (!self.config.output.index || self.config.index_path().exists());
        if on_disk && store.rendered()?.as_deref() == Some(marker.as_str()) {
            return Ok(None);
        }
        self.render(store).map(Some)
    }

    /// The store's content version with a digest of everything else the
    /// outputs depend on: the binary's version, the output settings and the
    /// topics (names, labels). Sources need no part here: their regions and
    /// tags reach the outputs through the store, which counts such changes.
    fn render_marker(&self, store: &Store) -> Result<String, StoreError> {
        let c = &self.config;
        let settings = format!(
            "{}\0{:?}\0{:?}",
            env!("CARGO_PKG_VERSION"),
            c.output,
            c.topics
        );
        Ok(format!(
            "{}:{:x}",
            store.content_version()?,
            Sha256::digest(settings.as_bytes())
        ))
    }

    /// How long a successful poll holds the next one back, when the server
    /// (Cache-Control, Expires) or the feed (`<ttl>`) asks for that: a lower
    /// bound on the interval, never more than a day, so a misconfigured
    /// server cannot silence a source.
    fn cache_hold(
        &self,
        fresh_until: Option<DateTime<Utc>>,
        ttl_minutes: Option<u32>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        if !self.config.schedule.honor_cache_hints {
            return None;
        }
        let ttl = ttl_minutes.map(|m| now + chrono::Duration::minutes(i64::from(m)));
        let hold = fresh_until.max(ttl)?;
        let cap =
            now + chrono::Duration::from_std(BACKOFF_MAX).unwrap_or(chrono::Duration::hours(24));
        Some(hold.min(cap)).filter(|t| *t > now)
    }

    /// Polls `sources` now: fetches and parses concurrently (bounded by the
    /// fetcher's limits), and writes each result as it arrives, one
    /// transaction per source. Never fails as a whole because a source did;
    /// only a store error stops the cycle.
    pub async fn poll_sources(
        &self,
        store: &mut Store,
        sources: &[SourceConfig],
    ) -> Result<CycleReport, StoreError> {
        self.poll_sources_with(store, sources, &mut |_| {}).await
    }

    /// [`Pipeline::poll_sources`], calling `on_done` with each source's
    /// result as soon as it is stored (for progress output).
    pub async fn poll_sources_with(
        &self,
        store: &mut Store,
        sources: &[SourceConfig],
        on_done: &mut (dyn FnMut(&SourceReport) + Send),
    ) -> Result<CycleReport, StoreError> {
        // Sources are started as others are written, never all at once: a
        // parsed feed waits in memory until the single writer stores it, so
        // the window, not the number of sources, bounds memory. Each poll is
        // a task of its own, so fetching and parsing go on (on the runtime's
        // workers and the parse threads) while this task writes; dropping
        // the set (a cancelled cycle) aborts them.
        let window = (self.config.http.concurrency * 2).max(MIN_WINDOW);
        let mut queue = sources.iter();
        let mut in_flight = JoinSet::new();
        let mut report = CycleReport::default();
        let mut start_more = |in_flight: &mut JoinSet<Done>, store: &Store| {
            while in_flight.len() < window {
                let Some(source) = queue.next() else { break };
                let state = store.source_state(&source.name)?.unwrap_or_default();
                let pipeline = self.clone();
                let source = source.clone();
                in_flight.spawn(async move { pipeline.fetch_and_parse(source, state).await });
            }
            Ok::<_, StoreError>(())
        };
        loop {
            start_more(&mut in_flight, store)?;
            let Some(first) = next_done(&mut in_flight).await else {
                break;
            };
            // Every result that is ready goes into one transaction: a commit
            // costs more than the rows of a typical poll (see store/batch.rs).
            // Results are gathered for a short while (or until the batch is
            // large) before writing, unless enough are ready already: no
            // transaction is open while waiting, so the cycle stays
            // cancel-safe.
            let deadline = tokio::time::Instant::now() + BATCH_WAIT;
            let mut items = first.items();
            let mut ready = vec![first];
            while ready.len() < BATCH_SOURCES && items < BATCH_ITEMS {
                let done = match ready_done(&mut in_flight) {
                    Some(done) => Some(done),
                    None if items >= BATCH_ENOUGH_ITEMS => None,
                    None => tokio::time::timeout_at(deadline, next_done(&mut in_flight))
                        .await
                        .ok()
                        .flatten(),
                };
                let Some(done) = done else { break };
                items += done.items();
                ready.push(done);
                start_more(&mut in_flight, store)?;
            }
            let mut batch = store.batch()?;
            let mut done = Vec::with_capacity(ready.len());
            for polled in ready {
                done.push(self.record(&mut batch, polled)?);
            }
            batch.commit()?;
            for d in done {
                on_done(&d);
                report.sources.push(d);
            }
        }
        report.sources.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(report)
    }

    /// Writes one source's result into `batch`.
    fn record(&self, batch: &mut Batch<'_>, done: Done) -> Result<SourceReport, StoreError> {
        let Done {
            source,
            polled,
            elapsed,
            failures_before,
        } = done;
        let now = Utc::now();
        let outcome = match polled {
            Polled::NotModified { fresh_until } => {
                let hold = self.cache_hold(fresh_until, None, now);
                batch.record_unchanged(&source.name, None, hold, now)?;
                PollOutcome::Unchanged
            }
            Polled::SameBody {
                validators,
                fresh_until,
            } => {
                let hold = self.cache_hold(fresh_until, None, now);
                batch.record_unchanged(&source.name, Some(&validators), hold, now)?;
                PollOutcome::Unchanged
            }
            Polled::Parsed(parsed) => {
                let hold = self.cache_hold(parsed.fresh_until, parsed.feed.ttl_minutes, now);
                let stats = batch.record_fetched(
                    &source.name,
                    &parsed.feed.meta,
                    &parsed.validators,
                    &parsed.body_hash,
                    parsed.redirected_to.as_deref(),
                    &parsed.items,
                    hold,
                    now,
                )?;
                PollOutcome::Stored(stats)
            }
            Polled::Failed {
                message,
                retry_after,
            } => {
                let interval = schedule_interval(&self.config, &source, now);
                let not_before =
                    retry_after.unwrap_or_else(|| now + backoff(failures_before + 1, interval));
                batch.record_failure(&source.name, &message, Some(not_before), now)?;
                PollOutcome::Failed(message)
            }
        };
        Ok(SourceReport {
            name: source.name,
            url: source.url.to_string(),
            outcome,
            elapsed,
        })
    }

    async fn fetch_and_parse(&self, source: SourceConfig, state: SourceState) -> Done {
        let started = std::time::Instant::now();
        let polled = match self.fetcher.fetch(&source.url, &state.validators).await {
            Err(e) => Polled::Failed {
                message: e.message,
                retry_after: e.retry_after,
            },
            Ok(FetchOutcome::NotModified { fresh_until }) => Polled::NotModified { fresh_until },
            Ok(FetchOutcome::Fetched(fetched)) => {
                let body_hash = format!("{:x}", Sha256::digest(&fetched.body));
                if state.body_hash.as_deref() == Some(body_hash.as_str()) {
                    Polled::SameBody {
                        validators: fetched.validators,
                        fresh_until: fetched.fresh_until,
                    }
                } else {
                    // Parsing and sanitizing are CPU work: keep them off the
                    // async workers so fetches keep flowing meanwhile.
                    let matcher = Arc::clone(&self.matcher);
                    let tags = source.tags.clone();
                    let region = source.region.clone();
                    let name = source.name.clone();
                    let fresh_until = fetched.fresh_until;
                    let budget = self.config.limits.source_timeout;
                    let deadline = fetched.started + budget;
                    let limits = self.config.limits.parse_limits(Some(deadline));
                    // The semaphore is never closed; without a permit the
                    // parse runs anyway rather than failing the source.
                    let permit = Arc::clone(&self.parse_slots).acquire_owned().await.ok();
                    let parsing = tokio::task::spawn_blocking(move || {
                        let _permit = permit;
                        let mut feed = parse::parse_feed_with(
                            &fetched.body,
                            fetched.content_type.as_deref(),
                            &fetched.final_url,
                            Utc::now(),
                            &limits,
                        )?;
                        let items = tag_items(&matcher, &tags, region.as_deref(), &mut feed);
                        Ok::<_, parse::ParseError>(ParsedPoll {
                            items,
                            feed,
                            validators: fetched.validators,
                            body_hash,
                            redirected_to: fetched.permanent_redirect.map(|u| u.to_string()),
                            fresh_until,
                        })
                    });
                    // The parser checks the deadline between items; this
                    // also covers a single step that runs long.
                    let joined = tokio::time::timeout_at(deadline.into(), parsing).await;
                    match joined {
                        Ok(Ok(Ok(parsed))) => Polled::Parsed(Box::new(parsed)),
                        Ok(Ok(Err(e))) => Polled::Failed {
                            message: format!("{}: {e}", source.url),
                            retry_after: None,
                        },
                        Err(_) => Polled::Failed {
                            message: format!(
                                "{}: took longer than the limit of {} ([limits] source_timeout)",
                                source.url,
                                crate::fetch::human_duration(budget)
                            ),
                            retry_after: None,
                        },
                        Ok(Err(e)) => Polled::Failed {
                            message: format!("source {name}: parser stopped unexpectedly: {e}"),
                            retry_after: None,
                        },
                    }
                }
            }
        };
        Done {
            source,
            polled,
            elapsed: started.elapsed(),
            failures_before: state.consecutive_failures,
        }
    }
}

/// The next finished poll of `set`.
async fn next_done(set: &mut JoinSet<Done>) -> Option<Done> {
    loop {
        if let Some(done) = finished(set.join_next().await?) {
            return Some(done);
        }
    }
}

/// A finished poll of `set` if one is ready now, without waiting.
fn ready_done(set: &mut JoinSet<Done>) -> Option<Done> {
    loop {
        if let Some(done) = finished(set.try_join_next()?) {
            return Some(done);
        }
    }
}

/// A joined poll's result. A poll that panicked (a bug: bad input is an
/// error, not a panic) panics the cycle as it would have inline; a
/// cancelled one is none (the set cancels none but by being dropped).
fn finished(joined: Result<Done, tokio::task::JoinError>) -> Option<Done> {
    match joined {
        Ok(done) => Some(done),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => None,
    }
}

impl Done {
    /// Items to write.
    fn items(&self) -> usize {
        match &self.polled {
            Polled::Parsed(p) => p.items.len(),
            _ => 0,
        }
    }
}

/// A source fetched (and parsed), ready to be written.
struct Done {
    source: SourceConfig,
    polled: Polled,
    elapsed: Duration,
    /// Consecutive failures before this poll, for the backoff.
    failures_before: u32,
}

enum Polled {
    NotModified {
        fresh_until: Option<DateTime<Utc>>,
    },
    SameBody {
        validators: Validators,
        fresh_until: Option<DateTime<Utc>>,
    },
    Parsed(Box<ParsedPoll>),
    Failed {
        message: String,
        retry_after: Option<DateTime<Utc>>,
    },
}

struct ParsedPoll {
    feed: ParsedFeed,
    items: Vec<TaggedItem>,
    validators: Validators,
    body_hash: String,
    redirected_to: Option<String>,
    fresh_until: Option<DateTime<Utc>>,
}

/// Tags the feed's items, taking them out of `feed` (whose items are then
/// empty): the store needs them tagged, and a copy would double a large
/// feed's memory while it waits for the writer.
fn tag_items(
    matcher: &Matcher,
    tags: &[String],
    region: Option<&str>,
    feed: &mut ParsedFeed,
) -> Vec<TaggedItem> {
    std::mem::take(&mut feed.items)
        .into_iter()
        .map(|item| {
            let topics = tag(matcher, tags, region, &item.match_text);
            TaggedItem::new(item, topics)
        })
        .collect()
}

/// Keyword topics (those limited to regions only for sources there) plus
/// the source's own tags, deduplicated, in a stable order.
fn tag(matcher: &Matcher, tags: &[String], region: Option<&str>, text: &str) -> Vec<String> {
    let mut topics = matcher.topics_in(text, region);
    for t in tags {
        if !topics.contains(t) {
            topics.push(t.clone());
        }
    }
    topics
}

/// Delay before the next attempt after `failures` consecutive failures: the
/// source's own polling interval doubled per failure after the first (so a
/// failing source skips 1, 3, 7… of its polls), capped at a day.
pub fn backoff(failures: u32, interval: chrono::Duration) -> chrono::Duration {
    let cap = chrono::Duration::from_std(BACKOFF_MAX).unwrap_or(chrono::Duration::hours(24));
    let exp = failures.saturating_sub(1).min(20);
    let interval = interval.max(chrono::Duration::seconds(1));
    interval.checked_mul(1 << exp).map_or(cap, |d| d.min(cap))
}

/// The time between two runs of a source's schedule (at least a second).
fn schedule_interval(
    config: &Config,
    source: &SourceConfig,
    now: DateTime<Utc>,
) -> chrono::Duration {
    let tz = config.schedule.timezone;
    let first = source.schedule.next_after(now, tz);
    let second = first.and_then(|t| source.schedule.next_after(t, tz));
    match (first, second) {
        (Some(a), Some(b)) => b - a,
        _ => chrono::Duration::from_std(BACKOFF_MAX).unwrap_or(chrono::Duration::hours(24)),
    }
}

/// When a source is next due: by its schedule after `now`, but not before
/// its backoff or Retry-After, plus the source's jitter. `None` for a
/// disabled source.
pub fn next_due(
    config: &Config,
    source: &SourceConfig,
    state: Option<&SourceState>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if !source.enabled {
        return None;
    }
    let tz = config.schedule.timezone;
    let not_before = held_until(config, state, now);
    // The first scheduled time at or after the backoff ends.
    let after = match not_before {
        Some(nb) => nb - chrono::Duration::seconds(1),
        None => now,
    };
    let at = source.schedule.next_after(after, tz)?;
    Some(
        at + jitter(
            &source.name,
            source.schedule.next_after(at, tz).map(|n| n - at),
        ),
    )
}

/// Until when a source is held back: by backoff or Retry-After after a
/// failure, or by a cache lifetime after a success (ignored once cache hints
/// are turned off in the config).
pub fn held_until(
    config: &Config,
    state: Option<&SourceState>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let state = state?;
    let is_backoff = state.consecutive_failures > 0;
    state
        .not_before
        .filter(|t| *t > now && (is_backoff || config.schedule.honor_cache_hints))
}

/// A fixed offset per source (a tenth of its interval, at most a minute), so
/// forty sources on one schedule do not hit their hosts in the same second.
/// Derived from the name, so it survives restarts and shows in `status`.
fn jitter(name: &str, interval: Option<chrono::Duration>) -> chrono::Duration {
    let Some(interval) = interval else {
        return chrono::Duration::zero();
    };
    let max_ms = (interval.num_milliseconds() / 10).clamp(0, 60_000);
    if max_ms == 0 {
        return chrono::Duration::zero();
    }
    let digest = Sha256::digest(name.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let spread = u64::from_le_bytes(first) % max_ms as u64;
    chrono::Duration::milliseconds(spread as i64)
}

pub fn source_infos(config: &Config) -> Vec<SourceInfo> {
    config
        .sources
        .iter()
        .map(|s| SourceInfo {
            name: s.name.clone(),
            url: s.url.to_string(),
            region: s.region.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_stable_and_bounded() {
        let quarter = Some(chrono::Duration::minutes(15));
        assert_eq!(jitter("Koha", quarter), jitter("Koha", quarter));
        let spread: std::collections::BTreeSet<_> = (0..40)
            .map(|i| jitter(&format!("source {i}"), quarter))
            .collect();
        assert!(spread.len() > 30, "forty sources get different offsets");
        assert!(spread
            .iter()
            .all(|j| *j >= chrono::Duration::zero() && *j < chrono::Duration::seconds(60)));
        assert!(
            jitter("x", Some(chrono::Duration::seconds(1))) < chrono::Duration::milliseconds(100)
        );
        assert_eq!(jitter("x", None), chrono::Duration::zero());
    }

    #[test]
    fn backoff_doubles_and_caps_at_a_day() {
        let quarter = chrono::Duration::minutes(15);
        assert_eq!(backoff(1, quarter), chrono::Duration::minutes(15));
        assert_eq!(backoff(2, quarter), chrono::Duration::minutes(30));
        assert_eq!(backoff(4, quarter), chrono::Duration::hours(2));
        assert_eq!(backoff(7, quarter), chrono::Duration::hours(16));
        assert_eq!(backoff(8, quarter), chrono::Duration::hours(24));
        assert_eq!(backoff(u32::MAX, quarter), chrono::Duration::hours(24));
        assert_eq!(
            backoff(3, chrono::Duration::seconds(1)),
            chrono::Duration::seconds(4)
        );
        assert_eq!(
            backoff(1, chrono::Duration::zero()),
            chrono::Duration::seconds(1)
        );
    }
}
