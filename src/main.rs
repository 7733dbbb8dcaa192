//! The `feedmill` command line: parses arguments, loads the config, runs a
//! command, and maps failures to the contract's exit statuses.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use feedmill::config::Config;
use feedmill::pipeline::Pipeline;
use feedmill::progress::Progress;
use feedmill::store::Store;
use feedmill::{daemon, logging, status};

#[derive(Parser)]
#[command(
    name = "feedmill",
    version,
    about = "Polls regional news feeds, deduplicates and tags their stories, writes Atom feeds."
)]
struct Cli {
    /// Config file [default: $FEEDMILL_CONFIG, else /etc/feedmill/feedmill.toml]
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// error, warn, info, debug or trace (RUST_LOG, when set, refines it)
    #[arg(long, global = true, value_name = "LEVEL")]
    log_level: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Daemon: poll each source on its schedule until SIGTERM/SIGINT; SIGHUP reloads the config
    Run,
    /// Poll every enabled source once now (ignoring schedules), store, write outputs, exit
    Once,
    /// Validate the config; print a short summary; exit 0 when valid
    Check,
    /// One row per source: state, last attempt, last success, last error, items, next due
    Status {
        /// Print a JSON array instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Rewrite the output feeds from the database, without fetching
    Render,
    /// Move subscriptions between feedmill and feed readers (OPML)
    #[command(subcommand)]
    Opml(OpmlCommand),
}

#[derive(Subcommand)]
enum OpmlCommand {
    /// Print the enabled sources as OPML 2.0, one folder per region
    Export,
    /// Print [[source]] tables for the feeds in FILE that are not configured yet
    Import {
        /// An OPML file exported by a feed reader
        file: PathBuf,
    },
}

/// Failures that the contract gives exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    if let Err(e) = logging::init(cli.log_level.as_deref()) {
        eprintln!("feedmill: {e}");
        return ExitCode::from(2);
    }
    match run_command(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let usage = e.downcast_ref::<feedmill::config::ConfigError>().is_some()
                || e.downcast_ref::<UsageError>().is_some();
            eprintln!("feedmill: {e:#}");
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

fn config_path(cli: &Cli) -> PathBuf {
    cli.config
        .clone()
        .or_else(|| std::env::var_os("FEEDMILL_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/etc/feedmill/feedmill.toml"))
}

fn run_command(cli: Cli) -> anyhow::Result<()> {
    let path = config_path(&cli);
    let config = Config::load(&path)?;
    match cli.command {
        Command::Check => {
            print!("{}", check_summary(&config));
            Ok(())
        }
        Command::Status { json } => {
            // A status query must not create a database where none is yet.
            let states = if config.database.exists() {
                Store::open(&config.database)?.source_states()?
            } else {
                Vec::new()
            };
            let rows = status::collect(&config, &states, chrono::Utc::now());
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                print!("{}", status::table(&rows));
            }
            Ok(())
        }
        Command::Render => {
            let mut store = Store::open(&config.database)?;
            let config = Arc::new(config);
            let pipeline = Pipeline::new(Arc::clone(&config))?;
            pipeline.prepare_store(&mut store)?;
            let report = pipeline.render(&mut store)?;
            println!(
                "wrote {} feeds ({} unchanged) under {}",
                report.written,
                report.unchanged,
                config.output_dir().display()
            );
            Ok(())
        }
        Command::Once => runtime()?.block_on(once(Arc::new(config))),
        Command::Opml(OpmlCommand::Export) => {
            print!("{}", feedmill::opml::export(&config));
            Ok(())
        }
        Command::Opml(OpmlCommand::Import { file }) => {
            let imported = feedmill::opml::import_file(&file, &config)
                .map_err(|e| UsageError(e.to_string()))?;
            for warning in &imported.warnings {
                eprintln!("feedmill: {warning}");
            }
            print!("{}", imported.toml);
            eprintln!(
                "feedmill: {} new source(s) from {}; {} already configured or listed twice; {} left out",
                imported.sources.len(),
                file.display(),
                imported.duplicates,
                imported.warnings.len()
            );
            Ok(())
        }
        Command::Run => runtime()?.block_on(daemon::run(path, config)),
    }
}

/// glibc gives each thread that allocates while another holds the lock an
/// arena of its own, up to eight per core, and memory freed in one arena
/// is never reused by another. Parsing moves from thread to thread of the
/// blocking pool, so a cold poll of 1,000 sources ended with some 15 MB of
/// freed but unreturnable memory spread over arenas. Two arenas (one per
/// core of a small server) measured smaller and no slower (cold
/// `cargo bench --bench e2e`, N = 1,000: peak RSS 111 MB, now 99 MB). An
/// explicit `MALLOC_ARENA_MAX` in the environment wins.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: called first thing in main, before any other thread
        // exists; mallopt only sets an allocator parameter.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

async fn once(config: Arc<Config>) -> anyhow::Result<()> {
    let mut store = Store::open(&config.database)?;
    let pipeline = Pipeline::new(Arc::clone(&config))?;
    pipeline.prepare_store(&mut store)?;
    let sources: Vec<_> = config
        .sources
        .iter()
        .filter(|s| s.enabled)
        .cloned()
        .collect();
    let stderr = std::io::stderr();
    let terminal = stderr.is_terminal();
    let mut progress = Progress::new(stderr, terminal, sources.len());
    let report = pipeline
        .poll_sources_with(&mut store, &sources, &mut |done| progress.source_done(done))
        .await?;
    progress.finish();
    for failed in report.failed() {
        if let feedmill::pipeline::PollOutcome::Failed(message) = &failed.outcome {
            eprintln!(
                "source {:?} ({}) failed: {message}",
                failed.name, failed.url
            );
        }
    }
    let rendered = pipeline.render_if_stale(&mut store)?;
    pipeline.prune_if_due(&mut store, chrono::Utc::now())?;
    match rendered {
        Some(r) => println!(
            "{}; wrote {} feeds ({} unchanged)",
            report.summary(),
            r.written,
            r.unchanged
        ),
        None => println!("{}; feeds already current, none written", report.summary()),
    }
    Ok(())
}

fn check_summary(config: &Config) -> String {
    let enabled = config.sources.iter().filter(|s| s.enabled).count();
    let mut regions: Vec<&str> = config
        .sources
        .iter()
        .filter_map(|s| s.region.as_deref())
        .collect();
    regions.sort_unstable();
    regions.dedup();
    format!(
        "{}: OK\n  {} sources ({} enabled) in {} regions, {} topics\n  database: {}\n  output:   {}\n",
        config.path.display(),
        config.sources.len(),
        enabled,
        regions.len(),
        config.topics.len(),
        config.database.display(),
        config.output.path.display()
    )
}
