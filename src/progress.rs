//! `once` progress on stderr: one line redrawn in place on a terminal,
//! plain lines (one per source) when stderr is a file or a pipe, so logs
//! and CI output stay readable.

use std::io::Write;
use std::time::Instant;

use crate::pipeline::{PollOutcome, SourceReport};

/// Width of the bar in characters; the line stays under 80 columns with
/// the counts beside it.
const BAR: usize = 24;
/// Source names are cut to this many characters on the terminal line.
const NAME: usize = 28;

/// Progress of one cycle over `total` sources.
pub struct Progress<W: Write> {
    out: W,
    terminal: bool,
    total: usize,
    done: usize,
    failed: usize,
    started: Instant,
}

impl<W: Write> Progress<W> {
    /// `terminal`: whether `out` is a terminal (redraw one line) or not
    /// (print one line per source).
    pub fn new(out: W, terminal: bool, total: usize) -> Progress<W> {
        let mut p = Progress {
            out,
            terminal,
            total,
            done: 0,
            failed: 0,
            started: Instant::now(),
        };
        if terminal && total > 0 {
            p.draw("");
        }
        p
    }

    /// One source finished.
    pub fn source_done(&mut self, report: &SourceReport) {
        self.done += 1;
        let outcome = match &report.outcome {
            PollOutcome::Stored(s) => format!("{} new, {} updated", s.new, s.updated),
            PollOutcome::Unchanged => "unchanged".to_string(),
            PollOutcome::Failed(_) => {
                self.failed += 1;
                "failed".to_string()
            }
        };
        // A name with a line break would break the line it is on.
        let name: String = report.name.chars().filter(|c| !c.is_control()).collect();
        if self.terminal {
            self.draw(&name);
        } else {
            let width = self.total.to_string().len();
            let _ = writeln!(
                self.out,
                "[{:>width$}/{}] {name}: {outcome}",
                self.done, self.total
            );
        }
    }

    /// The cycle is over: on a terminal, the bar is replaced by nothing,
    /// so the summary that follows starts on a clean line.
    pub fn finish(&mut self) {
        if self.terminal && self.total > 0 {
            let _ = write!(self.out, "\r\x1b[2K");
            let _ = self.out.flush();
        }
    }

    fn draw(&mut self, last: &str) {
        let filled = (self.done * BAR).checked_div(self.total).unwrap_or(BAR);
        let bar: String = "#".repeat(filled) + &"-".repeat(BAR - filled);
        let failed = match self.failed {
            0 => String::new(),
            n => format!(", {n} failed"),
        };
        let name: String = last.chars().take(NAME).collect();
        let _ = write!(
            self.out,
            "\r\x1b[2K[{bar}] {}/{} sources{failed} {:.0}s {name}",
            self.done,
            self.total,
            self.started.elapsed().as_secs_f64()
        );
        let _ = self.out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::PollStats;
    use std::time::Duration;

    fn report(name: &str, outcome: PollOutcome) -> SourceReport {
        SourceReport {
            name: name.into(),
            url: "https://x.example/".into(),
            outcome,
            elapsed: Duration::ZERO,
        }
    }

    fn run(terminal: bool) -> String {
        let mut out = Vec::new();
        let mut p = Progress::new(&mut out, terminal, 12);
        let stored = PollStats {
            new: 3,
            updated: 1,
            unchanged: 0,
        };
        p.source_done(&report("Koha", PollOutcome::Stored(stored)));
        p.source_done(&report("RTS\n", PollOutcome::Failed("HTTP 500".into())));
        p.source_done(&report("KoSSev", PollOutcome::Unchanged));
        p.finish();
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn plain_lines_when_not_a_terminal() {
        assert_eq!(
            run(false),
            "[ 1/12] Koha: 3 new, 1 updated\n[ 2/12] RTS: failed\n[ 3/12] KoSSev: unchanged\n"
        );
    }

    #[test]
    fn one_redrawn_line_on_a_terminal() {
        let text = run(true);
        assert!(!text.contains('\n'), "{text:?}");
        let frames: Vec<&str> = text.split("\r\x1b[2K").filter(|f| !f.is_empty()).collect();
        assert_eq!(frames.len(), 4, "{frames:?}");
        assert!(
            frames[0].starts_with("[------------------------] 0/12 sources 0s"),
            "{frames:?}"
        );
        assert!(
            frames[1].starts_with("[##----------------------] 1/12 sources 0s Koha"),
            "{frames:?}"
        );
        assert!(
            frames[2].contains("2/12 sources, 1 failed") && frames[2].ends_with(" RTS"),
            "{frames:?}"
        );
        assert!(
            frames[3].starts_with("[######------------------] 3/12 sources, 1 failed"),
            "{frames:?}"
        );
        assert!(text.ends_with("\r\x1b[2K"), "the bar is cleared at the end");
    }
}
