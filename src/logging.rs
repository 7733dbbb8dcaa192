//! Logging setup: `--log-level`, refined by `RUST_LOG`; journald-friendly.

use std::fmt;
use std::io::IsTerminal;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Under systemd (`JOURNAL_STREAM` set) the
/// journal adds its own timestamps, so ours and colours are left out, and
/// each line starts with its syslog priority (`<3>` error … `<7>` debug),
/// which journald reads, so `journalctl -p warning` works.
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
        builder.with_ansi(false).event_format(JournalFormat).init();
    } else {
        // Colour only for a person at a terminal: a log file or cron's mail
        // would show the escape codes. NO_COLOR (no-color.org) turns it off.
        let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        builder.with_ansi(colour).init();
    }
    Ok(())
}

/// One line per event: `<priority>message key=value…`.
struct JournalFormat;

impl<S, N> FormatEvent<S, N> for JournalFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write!(writer, "<{}>", syslog_priority(*event.metadata().level()))?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

fn syslog_priority(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        _ => 7,
    }
}
