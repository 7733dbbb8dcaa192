//! `feedmill run`: the same pipeline as `once`, driven by each source's
//! schedule, until SIGTERM/SIGINT.
//!
//! One task owns the store and does all the waiting: it sleeps until the
//! next source is due, polls what is due through [`Pipeline::poll_sources`],
//! and renders when stored items changed. Signals are handled between and
//! during cycles: a poll cycle is cancel-safe because every store write is
//! one synchronous transaction between two awaits, so dropping a cycle on
//! SIGTERM abandons fetches in flight but never half a write.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sd_notify::NotifyState;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::time::Interval;

use crate::config::{Config, SourceConfig};
use crate::pipeline::{held_until, next_due, CycleReport, Pipeline};
use crate::serve::{ServeState, Server};
use crate::status::rfc3339;
use crate::store::Store;

/// Longest sleep without looking at the clock again (a suspended machine
/// or a clock step then costs at most this).
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// Outputs are rendered once no other poll is due within this long, so a
/// burst of sources polled a few seconds apart costs one render.
const RENDER_SETTLE: chrono::TimeDelta = chrono::TimeDelta::seconds(2);
/// ...but a change waits no longer than this: schedules a few seconds
/// apart never leave `RENDER_SETTLE` free, and would starve the outputs.
const MAX_RENDER_DELAY: chrono::TimeDelta = chrono::TimeDelta::seconds(10);

/// Runs until SIGTERM or SIGINT. SIGHUP reloads the config: an invalid new
/// config is logged and the running one kept.
pub async fn run(path: PathBuf, config: Config) -> anyhow::Result<()> {
    let mut signals = Signals::new()?;
    let mut daemon = Daemon::start(path, config)?;
    let server = match daemon.config.serve.listen {
        Some(addr) => Some(Server::bind(addr, Arc::clone(&daemon.serve)).await?),
        None => None,
    };
    let mut watchdog = sd_notify::watchdog_enabled().map(|period| {
        let mut interval = tokio::time::interval(period / 2);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        interval
    });
    notify(&[
        NotifyState::Ready,
        NotifyState::Status(&daemon.status_line()),
    ]);
    tracing::info!(
        sources = daemon.config.sources.len(),
        config = %daemon.path.display(),
        "feedmill running"
    );
    loop {
        let wait = daemon.time_to_next_due(Utc::now());
        tokio::select! {
            _ = signals.terminate.recv() => break,
            _ = signals.interrupt.recv() => break,
            _ = signals.hangup.recv() => daemon.reload(),
            _ = tick(&mut watchdog) => notify(&[NotifyState::Watchdog]),
            _ = tokio::time::sleep(wait) => {
                let due = daemon.due_sources(Utc::now());
                if !due.is_empty() {
                    let cycle = daemon.poll(due);
                    tokio::pin!(cycle);
                    // SIGHUP waits for the cycle to end; SIGTERM does not.
                    let finished = loop {
                        tokio::select! {
                            result = &mut cycle => break Some(result),
                            _ = signals.terminate.recv() => break None,
                            _ = signals.interrupt.recv() => break None,
                            _ = tick(&mut watchdog) => notify(&[NotifyState::Watchdog]),
                        }
                    };
                    match finished {
                        Some(result) => result?,
                        None => {
                            tracing::info!("stopping: polls in flight abandoned, nothing half-written");
                            break;
                        }
                    }
                }
                daemon.render_if_settled(Utc::now())?;
                if !daemon.dirty {
                    daemon.pipeline.prune_if_due(&mut daemon.store, Utc::now())?;
                }
                notify(&[NotifyState::Status(&daemon.status_line())]);
            }
        }
    }
    notify(&[NotifyState::Stopping]);
    if let Some(server) = server {
        server.shutdown().await;
    }
    daemon.render_if_dirty()?;
    tracing::info!("feedmill stopped");
    Ok(())
}

struct Signals {
    terminate: Signal,
    interrupt: Signal,
    hangup: Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        Ok(Signals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }
}

/// The daemon's state: one place for what changes while it runs.
struct Daemon {
    path: PathBuf,
    config: Arc<Config>,
    pipeline: Pipeline,
    store: Store,
    /// When each enabled source is next due.
    due: HashMap<String, DateTime<Utc>>,
    /// Stored items changed since the last render.
    dirty: bool,
    /// When a poll first changed stored items after the last render.
    changed_since: Option<DateTime<Utc>>,
    last_cycle: Option<(DateTime<Utc>, CycleReport)>,
    /// Health and metrics, shared with the HTTP server when `[serve]` is on.
    serve: Arc<ServeState>,
}

impl Daemon {
    fn start(path: PathBuf, config: Config) -> anyhow::Result<Daemon> {
        let config = Arc::new(config);
        let mut store = Store::open(&config.database)?;
        let pipeline = Pipeline::new(Arc::clone(&config))?;
        pipeline.prepare_store(&mut store)?;
        let serve = ServeState::new(&config);
        let mut daemon = Daemon {
            path,
            config,
            pipeline,
            store,
            due: HashMap::new(),
            dirty: true,
            changed_since: None,
            last_cycle: None,
            serve,
        };
        // Always: the last process may have been killed between storing
        // items and rendering them. Unchanged files are not rewritten.
        daemon.render_if_dirty()?;
        let now = Utc::now();
        for source in daemon.config.sources.clone() {
            daemon.schedule_after_restart(&source, now)?;
        }
        Ok(daemon)
    }

    /// A source whose last attempt is older than its latest scheduled time
    /// is due now, once; the others keep their schedule. So a restart
    /// catches up on what was missed without polling everything at start.
    fn schedule_after_restart(
        &mut self,
        source: &SourceConfig,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        if !source.enabled {
            self.due.remove(&source.name);
            return Ok(());
        }
        let state = self.store.source_state(&source.name)?;
        let missed = match state.as_ref().and_then(|s| s.last_attempt) {
            None => true,
            Some(last) => source
                .schedule
                .next_after(last, self.config.schedule.timezone)
                .is_some_and(|t| t <= now),
        };
        let held_back = held_until(&self.config, state.as_ref(), now).is_some();
        let at = if missed && !held_back {
            Some(now)
        } else {
            next_due(&self.config, source, state.as_ref(), now)
        };
        match at {
            Some(at) => self.due.insert(source.name.clone(), at),
            None => self.due.remove(&source.name),
        };
        Ok(())
    }

    fn time_to_next_due(&self, now: DateTime<Utc>) -> Duration {
        let next = self.due.values().min().copied();
        let wait = next.map_or(MAX_SLEEP, |t| (t - now).to_std().unwrap_or_default());
        let wait = wait.min(MAX_SLEEP);
        // While a render is pending, wake up to do it once things settle.
        if self.dirty {
            wait.min(RENDER_SETTLE.to_std().unwrap_or_default())
        } else {
            wait
        }
    }

    fn due_sources(&self, now: DateTime<Utc>) -> Vec<SourceConfig> {
        self.config
            .sources
            .iter()
            .filter(|s| self.due.get(&s.name).is_some_and(|t| *t <= now))
            .cloned()
            .collect()
    }

    async fn poll(&mut self, due: Vec<SourceConfig>) -> anyhow::Result<()> {
        let report = match self.pipeline.poll_sources(&mut self.store, &due).await {
            Ok(report) => report,
            Err(e) => {
                self.serve.health.failed(Utc::now(), e.to_string());
                return Err(e.into());
            }
        };
        let now = Utc::now();
        self.serve
            .metrics
            .record_cycle(&report, self.store.merged_total(), now);
        self.serve.health.completed(now, report.summary());
        for s in report.failed() {
            if let crate::pipeline::PollOutcome::Failed(message) = &s.outcome {
                tracing::warn!(source = %s.name, "poll failed: {message}");
            }
        }
        if report.changed_anything() || report.failed().next().is_some() {
            tracing::info!("{}", report.summary());
        } else {
            tracing::debug!("{}", report.summary());
        }
        self.dirty |= report.changed_anything();
        if report.changed_anything() {
            self.changed_since.get_or_insert(now);
        }
        for source in &due {
            let state = self.store.source_state(&source.name)?;
            match next_due(&self.config, source, state.as_ref(), now) {
                Some(t) => self.due.insert(source.name.clone(), t),
                None => self.due.remove(&source.name),
            };
        }
        self.last_cycle = Some((now, report));
        Ok(())
    }

    /// Renders when items changed and no other poll is due in a moment.
    fn render_if_settled(&mut self, now: DateTime<Utc>) -> anyhow::Result<()> {
        let busy = self.due.values().any(|t| *t <= now + RENDER_SETTLE);
        let overdue = self
            .changed_since
            .is_some_and(|t| now - t >= MAX_RENDER_DELAY);
        if self.dirty && (!busy || overdue) {
            self.render_if_dirty()?;
        }
        Ok(())
    }

    fn render_if_dirty(&mut self) -> anyhow::Result<()> {
        if self.dirty {
            let report = self.pipeline.render(&mut self.store).inspect_err(|e| {
                self.serve.health.failed(Utc::now(), e.to_string());
            })?;
            tracing::debug!(
                written = report.written,
                unchanged = report.unchanged,
                "rendered"
            );
            self.dirty = false;
            self.changed_since = None;
        }
        Ok(())
    }

    /// SIGHUP: load the config again; on success, new and changed sources
    /// are scheduled afresh, removed ones dropped, unchanged ones keep their
    /// due time; on failure the running config stays.
    fn reload(&mut self) {
        notify(&[NotifyState::Reloading]);
        match self.try_reload() {
            Ok(()) => tracing::info!(sources = self.config.sources.len(), "config reloaded"),
            Err(e) => tracing::error!("config not reloaded, the running one is kept: {e:#}"),
        }
        notify(&[NotifyState::Ready, NotifyState::Status(&self.status_line())]);
    }

    fn try_reload(&mut self) -> anyhow::Result<()> {
        let new = Config::load(&self.path)?;
        if new.database != self.config.database {
            tracing::warn!(
                "the new config names another database ({}); restart feedmill to switch",
                new.database.display()
            );
        }
        let new = Arc::new(new);
        let pipeline = Pipeline::new(Arc::clone(&new))?;
        pipeline.prepare_store(&mut self.store)?;
        let old = std::mem::replace(&mut self.config, Arc::clone(&new));
        self.pipeline = pipeline;
        self.serve.reconfigure(&new);
        if new.serve.listen != old.serve.listen {
            tracing::warn!("[serve] listen changed; restart feedmill to apply it");
        }
        let now = Utc::now();
        self.due
            .retain(|name, _| new.source(name).is_some_and(|s| s.enabled));
        for source in &new.sources {
            let unchanged = old.source(&source.name).is_some_and(|o| {
                o.url == source.url
                    && o.schedule.expr == source.schedule.expr
                    && o.enabled == source.enabled
            });
            if !unchanged || !self.due.contains_key(&source.name) {
                self.schedule_after_restart(source, now)?;
            }
        }
        // Titles, labels, regions or paths may have changed: render now.
        self.dirty = true;
        self.render_if_dirty()
    }

    /// One line for `systemctl status`: the last cycle and what comes next.
    fn status_line(&self) -> String {
        let next = self
            .due
            .values()
            .min()
            .map_or("nothing scheduled".to_string(), |t| {
                format!("next poll {}", rfc3339(*t))
            });
        match &self.last_cycle {
            None => format!("{} sources; {next}", self.config.sources.len()),
            Some((at, report)) => format!("{} {}; {next}", rfc3339(*at), report.summary()),
        }
    }
}

async fn tick(watchdog: &mut Option<Interval>) {
    match watchdog {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Tells systemd (when it is listening) how we are doing; without
/// `NOTIFY_SOCKET` this does nothing.
fn notify(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::debug!("sd_notify failed: {e}");
    }
}
