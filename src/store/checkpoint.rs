//! WAL checkpoints on a thread of their own, so the writer does not wait
//! for them.
//!
//! A checkpoint copies the pages of the write-ahead log back into the
//! database file and syncs it. SQLite's automatic checkpoint runs it inside
//! the commit that fills the log, on the writer's thread: in a cold poll of
//! 10,000 sources that was a sixth of the writer's time, plus every `fsync`
//! it waited for, while the parsing threads waited for the writer.
//!
//! Here a commit that finds [`CHECKPOINT_PAGES`] in the log wakes a
//! checkpointer thread (with a connection of its own) and the writer goes
//! on. That `PASSIVE` checkpoint copies the log up to that commit without
//! blocking the writer, but cannot start the log over: the writer has
//! already begun its next transaction on top of it. While commits keep
//! coming in during its passes, the thread is woken again for what came
//! since. Once it has copied all but the latest commit of a log of
//! [`RESTART_LOGS`] times the starting size, that commit copies the one
//! commit left itself, and the log starts over at the next one. The writer
//! thus copies and syncs one commit's pages per 96 MiB or more of log and
//! waits for no `fsync` of the rest. (Copying whatever the thread's first
//! pass left, often several commits, cost the writer nearly a fifth of a
//! cold poll of 10,000 sources.) A log past [`CATCH_UP_LOGS`] times the
//! starting size is copied by the writer without waiting for the thread to
//! catch up, and one past [`MAX_LOG_PAGES`] (a reader holds old pages) with
//! `RESTART`, waiting for the thread and the readers, as SQLite's own
//! checkpoint would.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use rusqlite::wal::CheckpointMode;
use rusqlite::Connection;

/// Log pages (4 KiB) that start a checkpoint: 32 MiB, SQLite's default
/// would be 1,000. A cold poll of many sources dirties the same index
/// pages commit after commit; a larger log copies each of them back once
/// for many commits.
pub(super) const CHECKPOINT_PAGES: i32 = 8192;

/// Logs of the starting size (96 MiB) below which the writer leaves even
/// the last commit to the thread: each time the log starts over, the
/// writer syncs one commit's pages, so it should not start over often.
const RESTART_LOGS: i32 = 3;

/// Logs of the starting size (192 MiB) past which the writer copies what
/// is left itself rather than wake the thread again.
const CATCH_UP_LOGS: i32 = 6;

/// Log pages past which the writer checkpoints itself: 256 MiB of disk.
const MAX_LOG_PAGES: i32 = 8 * CHECKPOINT_PAGES;

/// The checkpointer thread of one store, started at the first commit that
/// needs a checkpoint (a store that never writes much never starts it).
pub(super) struct Checkpointer {
    shared: Arc<Shared>,
}

struct Shared {
    path: PathBuf,
    worker: Mutex<Option<Worker>>,
    /// The thread was woken and has not finished its checkpoint.
    busy: AtomicBool,
    /// Log pages the thread's last pass left copied (0 after a failure).
    copied: AtomicI32,
    /// Checkpoints the writer made itself (what the tests count).
    by_writer: AtomicU32,
}

struct Worker {
    wake: SyncSender<()>,
    thread: JoinHandle<()>,
}

impl Checkpointer {
    /// Makes `conn` (the store's writer) hand its checkpoints to a thread.
    /// Replaces the automatic checkpoint (`wal_autocheckpoint`).
    pub(super) fn install(conn: &mut Connection, path: &Path) -> rusqlite::Result<Checkpointer> {
        Checkpointer::install_with(conn, path, CHECKPOINT_PAGES, MAX_LOG_PAGES)
    }

    /// [`Checkpointer::install`] with other thresholds (tests).
    fn install_with(
        conn: &mut Connection,
        path: &Path,
        start_pages: i32,
        max_pages: i32,
    ) -> rusqlite::Result<Checkpointer> {
        let shared = Arc::new(Shared {
            path: path.to_path_buf(),
            worker: Mutex::new(None),
            busy: AtomicBool::new(false),
            copied: AtomicI32::new(0),
            by_writer: AtomicU32::new(0),
        });
        let hook = Arc::clone(&shared);
        let restart_pages = start_pages.saturating_mul(RESTART_LOGS);
        let catch_up_pages = start_pages.saturating_mul(CATCH_UP_LOGS);
        // Whether the thread was woken for this log and the writer has not
        // checkpointed since; the log's pages at the commit before.
        let mut woken = false;
        let mut before = 0;
        conn.wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages: i32| {
            let previous = std::mem::replace(&mut before, pages);
            let inline = if pages >= max_pages {
                Some(CheckpointMode::RESTART)
            } else if pages < start_pages || hook.busy.load(Ordering::Acquire) {
                None
            } else if !woken {
                woken = hook.wake();
                None
            } else if (hook.copied.load(Ordering::Acquire) >= previous && pages >= restart_pages)
                || pages >= catch_up_pages
            {
                // The thread copied the log up to the commit before, so
                // what is left is this commit (past the catch-up size, what
                // the thread has not reached); with nothing else copying,
                // the log starts over at the next commit.
                Some(CheckpointMode::PASSIVE)
            } else {
                // Commits came in during the thread's pass, or the log is
                // still short: one more pass, while the writer goes on.
                woken = hook.wake();
                None
            };
            if let Some(mode) = inline {
                woken = false;
                before = 0;
                hook.by_writer.fetch_add(1, Ordering::Relaxed);
                // An error from here would fail a commit that has already
                // happened; the log is only left longer.
                if let Err(e) = wal.checkpoint_v2(mode) {
                    tracing::warn!(
                        database = %hook.path.display(),
                        "checkpoint of a {pages}-page write-ahead log failed: {e}"
                    );
                }
            }
            Ok(())
        }))?;
        Ok(Checkpointer { shared })
    }
}

impl Shared {
    /// Wakes the checkpointer, starting it first if needed; a wake-up while
    /// one is pending is one wake-up. Whether it will checkpoint.
    fn wake(self: &Arc<Self>) -> bool {
        let mut worker = self.worker.lock().unwrap_or_else(PoisonError::into_inner);
        if worker.is_none() {
            match start(self) {
                Ok(w) => *worker = Some(w),
                Err(e) => {
                    tracing::warn!(
                        database = %self.path.display(),
                        "cannot start the checkpoint thread: {e}"
                    );
                    return false;
                }
            }
        }
        let Some(w) = worker.as_ref() else {
            return false;
        };
        self.busy.store(true, Ordering::Release);
        match w.wake.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) => true,
            // The thread ended (it could not open the database): the next
            // wake-up starts another.
            Err(TrySendError::Disconnected(())) => {
                *worker = None;
                self.busy.store(false, Ordering::Release);
                false
            }
        }
    }
}

fn start(shared: &Arc<Shared>) -> std::io::Result<Worker> {
    let (wake, woken) = sync_channel(1);
    let shared = Arc::clone(shared);
    let thread = std::thread::Builder::new()
        .name("checkpoint".into())
        .spawn(move || run(&shared, &woken))?;
    Ok(Worker { wake, thread })
}

fn run(shared: &Shared, woken: &Receiver<()>) {
    let path = shared.path.as_path();
    let conn = match open(path) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(
                database = %path.display(),
                "checkpoint thread cannot open the database: {e}"
            );
            shared.busy.store(false, Ordering::Release);
            return;
        }
    };
    while woken.recv().is_ok() {
        let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        });
        let copied = match done {
            Ok((log, copied)) => {
                tracing::trace!(log, copied, "checkpoint");
                i32::try_from(copied).unwrap_or(0)
            }
            Err(e) => {
                tracing::warn!(database = %path.display(), "checkpoint failed: {e}");
                0
            }
        };
        shared.copied.store(copied, Ordering::Release);
        shared.busy.store(false, Ordering::Release);
    }
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(super::schema::BUSY_TIMEOUT)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

impl Drop for Checkpointer {
    /// Stops the thread (after the checkpoint in progress) before the
    /// writer's connection closes, so the writer is the last connection and
    /// its close copies the rest of the log back as before.
    fn drop(&mut self) {
        let worker = self
            .shared
            .worker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(Worker { wake, thread }) = worker {
            drop(wake);
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn wal_bytes(db: &Path) -> u64 {
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        std::fs::metadata(&wal).map_or(0, |m| m.len())
    }

    /// 400 commits of one 8,000-byte row each, `pause` apart, into a new
    /// table; the largest the log file grew.
    fn commit_400(conn: &Connection, db: &Path, pause: Duration) -> u64 {
        conn.execute_batch("CREATE TABLE t (x BLOB)").unwrap();
        let mut largest = 0;
        for _ in 0..400 {
            conn.execute("INSERT INTO t VALUES (zeroblob(8000))", [])
                .unwrap();
            largest = largest.max(wal_bytes(db));
            std::thread::sleep(pause);
        }
        largest
    }

    /// A store's connection at `path` with a checkpointer of these
    /// thresholds, as `Store::open` makes them.
    fn writer(path: &Path, start_pages: i32, max_pages: i32) -> (Connection, Checkpointer) {
        let mut conn = super::super::schema::open(path).unwrap();
        let checkpointer =
            Checkpointer::install_with(&mut conn, path, start_pages, max_pages).unwrap();
        (conn, checkpointer)
    }

    /// Many commits: the log is copied back by the thread and starts over,
    /// so it stays near the threshold while the database file grows; on
    /// close everything is in the database file and the log is gone.
    #[test]
    fn the_thread_keeps_the_log_short_and_close_leaves_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ckpt.db");
        {
            let (conn, checkpointer) = writer(&path, 16, 1_000_000);
            // A writer works between commits (a cycle's commits are
            // seconds apart); the pause gives the thread that time.
            let largest = commit_400(&conn, &path, Duration::from_millis(2));
            // 400 commits of 3 pages each, without checkpoints, would be
            // 1,200 pages of log.
            assert!(largest < 200 * 4200, "largest log: {largest} bytes");
            assert!(checkpointer.shared.worker.lock().unwrap().is_some());
            drop(checkpointer);
            drop(conn);
        }
        assert_eq!(wal_bytes(&path), 0);
        let conn = Connection::open(&path).unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 400);
    }

    /// Below [`RESTART_LOGS`] starting sizes the writer leaves every pass to
    /// the thread (each copy of its own costs it a sync): 400 commits of 3
    /// pages are about 1,200 pages of log, 25 logs of 48. Without that
    /// floor (copying as soon as the thread had caught up) it made about 50.
    #[test]
    fn the_writer_copies_the_log_only_once_it_is_long() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ckpt.db");
        let (conn, checkpointer) = writer(&path, 16, 1_000_000);
        commit_400(&conn, &path, Duration::from_millis(2));
        let own = checkpointer.shared.by_writer.load(Ordering::Relaxed);
        assert!(own <= 26, "the writer checkpointed {own} times");
    }

    /// Past the limit the writer checkpoints itself: with no thread at all
    /// (a threshold that is never reached), the log still stays bounded.
    #[test]
    fn past_the_limit_the_writer_checkpoints_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ckpt.db");
        let (conn, checkpointer) = writer(&path, i32::MAX, 64);
        let largest = commit_400(&conn, &path, Duration::ZERO);
        assert!(largest <= 80 * 4200, "largest log: {largest} bytes");
        assert!(checkpointer.shared.worker.lock().unwrap().is_none());
    }
}
