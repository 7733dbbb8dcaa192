//! `feedmill run`: the same pipeline as `once`, driven by each source's
//! schedule, until SIGTERM/SIGINT.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::signal::unix::{signal, SignalKind};

use crate::config::Config;
use crate::pipeline::{next_due, Pipeline};
use crate::render;
use crate::store::Store;

/// Runs until SIGTERM or SIGINT. SIGHUP reloads the config: an invalid new
/// config is logged and the running one kept.
pub async fn run(path: PathBuf, config: Config) -> anyhow::Result<()> {
    let mut config = Arc::new(config);
    let mut store = Store::open(&config.database)?;
    let mut pipeline = Pipeline::new(Arc::clone(&config))?;
    if pipeline.prepare_store(&mut store)? {
        render::render_all(&config, &store)?;
    }
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut due = schedule_all(&config, &store, Utc::now())?;
    tracing::info!(sources = config.sources.len(), "feedmill running");
    loop {
        let now = Utc::now();
        let next = due.values().min().copied();
        let sleep_for = next
            .map(|t| (t - now).to_std().unwrap_or_default())
            .unwrap_or(std::time::Duration::from_secs(3600));
        tokio::select! {
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
            _ = hangup.recv() => {
                match Config::load(&path) {
                    Ok(new) => {
                        if new.database != config.database {
                            tracing::warn!("the new config names another database; restart feedmill to switch");
                        }
                        config = Arc::new(new);
                        pipeline = Pipeline::new(Arc::clone(&config))?;
                        pipeline.prepare_store(&mut store)?;
                        render::render_all(&config, &store)?;
                        due = schedule_all(&config, &store, Utc::now())?;
                        tracing::info!(sources = config.sources.len(), "config reloaded");
                    }
                    Err(e) => tracing::error!("config not reloaded, the running one is kept: {e}"),
                }
            }
            _ = tokio::time::sleep(sleep_for) => {
                let now = Utc::now();
                let ready: Vec<_> = config
                    .sources
                    .iter()
                    .filter(|s| due.get(&s.name).is_some_and(|t| *t <= now))
                    .cloned()
                    .collect();
                if ready.is_empty() {
                    continue;
                }
                let report = pipeline.poll_sources(&mut store, &ready).await?;
                for s in report.failed() {
                    tracing::warn!(source = %s.name, "poll failed: {:?}", s.outcome);
                }
                if report.changed_anything() {
                    render::render_all(&config, &store)?;
                }
                tracing::info!("{}", report.summary());
                let after = Utc::now();
                for s in &ready {
                    let state = store.source_state(&s.name)?;
                    match next_due(&config, s, state.as_ref(), after) {
                        Some(t) => due.insert(s.name.clone(), t),
                        None => due.remove(&s.name),
                    };
                }
            }
        }
    }
    tracing::info!("feedmill stopped");
    Ok(())
}

/// When each enabled source is next due. A source whose last attempt is older
/// than its previous scheduled time is due now, so a restart catches up once
/// instead of polling everything at start.
fn schedule_all(
    config: &Config,
    store: &Store,
    now: DateTime<Utc>,
) -> anyhow::Result<HashMap<String, DateTime<Utc>>> {
    let mut due = HashMap::new();
    for s in config.sources.iter().filter(|s| s.enabled) {
        let state = store.source_state(&s.name)?;
        let last = state.as_ref().and_then(|st| st.last_attempt);
        let overdue = match last {
            None => true,
            Some(last) => s
                .schedule
                .next_after(last, config.schedule.timezone)
                .is_some_and(|t| t <= now),
        };
        let backoff_over = state
            .as_ref()
            .and_then(|st| st.not_before)
            .is_none_or(|nb| nb <= now);
        let at = if overdue && backoff_over {
            Some(now)
        } else {
            next_due(config, s, state.as_ref(), now)
        };
        if let Some(at) = at {
            due.insert(s.name.clone(), at);
        }
    }
    Ok(due)
}
