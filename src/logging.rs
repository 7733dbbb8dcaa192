//! Logging setup: `--log-level`, refined by `RUST_LOG`; journald-friendly.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Under systemd (`JOURNAL_STREAM` set) the
/// journal adds its own timestamps, so ours and colours are left out.
pub fn init(level: Option<&str>) -> Result<(), String> {
    let base = match level {
        Some(l) => {
            let l = l.to_ascii_lowercase();
            if !["error", "warn", "info", "debug", "trace", "off"].contains(&l.as_str()) {
                return Err(format!(
                    "--log-level {l:?} is not one of error, warn, info, debug, trace, off"
                ));
            }
            l
        }
        None => "info".to_string(),
    };
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::try_new(format!("{base},{spec}"))
            .map_err(|e| format!("RUST_LOG {spec:?} is not a valid filter: {e}"))?,
        _ => EnvFilter::new(base),
    };
    let under_journal = std::env::var_os("JOURNAL_STREAM").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    if under_journal {
        builder.without_time().with_ansi(false).init();
    } else {
        builder.init();
    }
    Ok(())
}
