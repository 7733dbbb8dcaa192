//! Atomic, change-only file replacement, one file at a time
//! ([`write_if_changed`]) or many while they are rendered
//! ([`write_concurrently`]).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Mutex};

/// Distinguishes temp files of concurrent writes within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Threads that write and flush files while the next ones are rendered: a
/// flush waits on the disk, not the processor, and disks take several at
/// once.
const WRITERS: usize = 3;

/// Finished files waiting for a writer: bounds the documents in memory.
const QUEUE: usize = 2;

/// Files [`write_concurrently`] replaced and left alone (only those sent as
/// counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub written: usize,
    pub unchanged: usize,
}

/// A finished file on its way to a writer.
struct Job {
    path: PathBuf,
    bytes: Vec<u8>,
    counted: bool,
}

/// Where the renderer sends finished files.
pub(crate) struct FileQueue<'a> {
    jobs: mpsc::SyncSender<Job>,
    failed: &'a AtomicBool,
}

impl FileQueue<'_> {
    /// Queues `bytes` for `path` (in the tally when `counted`). False once a
    /// write failed: rendering more is pointless then.
    pub(crate) fn send(&self, path: PathBuf, bytes: Vec<u8>, counted: bool) -> bool {
        !self.failed.load(Ordering::Relaxed)
            && self
                .jobs
                .send(Job {
                    path,
                    bytes,
                    counted,
                })
                .is_ok()
    }
}

/// Runs `render` with a queue for its finished files, which a few threads
/// replace meanwhile ([`write_if_changed`], in no particular order); then
/// syncs each folder a file was replaced in, once. Returns what `render`
/// returned and the tally, or the first failure as one sentence naming the
/// file. After a failure the queue refuses files, and what was already
/// renamed is still synced.
pub(crate) fn write_concurrently<R>(
    render: impl FnOnce(&FileQueue<'_>) -> R,
) -> Result<(R, Tally), String> {
    let failed = AtomicBool::new(false);
    let (sender, receiver) = mpsc::sync_channel(QUEUE);
    let receiver = Mutex::new(receiver);
    let (rendered, done) = std::thread::scope(|scope| {
        let mut writers = Vec::new();
        for n in 0..WRITERS {
            let spawned = std::thread::Builder::new()
                .name(format!("feedmill-write-{n}"))
                .spawn_scoped(scope, || writer(&receiver, &failed));
            match spawned {
                Ok(handle) => writers.push(handle),
                Err(e) if writers.is_empty() => {
                    return Err(format!("cannot start a thread to write files: {e}"));
                }
                // Fewer writers are still writers.
                Err(_) => break,
            }
        }
        let queue = FileQueue {
            jobs: sender,
            failed: &failed,
        };
        let rendered = render(&queue);
        drop(queue);
        let done: Vec<Writer> = writers
            .into_iter()
            .map(|w| {
                w.join().unwrap_or_else(|_| Writer {
                    error: Some("a thread writing files failed".into()),
                    ..Writer::default()
                })
            })
            .collect();
        Ok((rendered, done))
    })?;
    let mut tally = Tally::default();
    let mut folders: Vec<PathBuf> = Vec::new();
    let mut error = None;
    for w in done {
        tally.written += w.tally.written;
        tally.unchanged += w.tally.unchanged;
        for folder in w.folders {
            if !folders.contains(&folder) {
                folders.push(folder);
            }
        }
        error = error.or(w.error);
    }
    for folder in &folders {
        if let Err(e) = sync_dir(folder) {
            error.get_or_insert_with(|| format!("cannot write {}: {e}", folder.display()));
        }
    }
    match error {
        Some(e) => Err(e),
        None => Ok((rendered, tally)),
    }
}

/// What one writer thread did.
#[derive(Default)]
struct Writer {
    tally: Tally,
    folders: Vec<PathBuf>,
    error: Option<String>,
}

fn writer(jobs: &Mutex<mpsc::Receiver<Job>>, failed: &AtomicBool) -> Writer {
    let mut done = Writer::default();
    loop {
        let job = match jobs.lock() {
            Ok(jobs) => jobs.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok(job) = job else {
            return done;
        };
        // After a failure, jobs are only taken off the queue, so that the
        // renderer never waits on a full one.
        if failed.load(Ordering::Relaxed) {
            continue;
        }
        match replace_if_changed(&job.path, &job.bytes) {
            Ok(Some(folder)) => {
                done.tally.written += usize::from(job.counted);
                if !done.folders.contains(&folder) {
                    done.folders.push(folder);
                }
            }
            Ok(None) => done.tally.unchanged += usize::from(job.counted),
            Err(e) => {
                failed.store(true, Ordering::Relaxed);
                done.error = Some(format!("cannot write {}: {e}", job.path.display()));
            }
        }
    }
}

/// Replaces the file at `path` with `bytes`, unless it already holds exactly
/// those bytes. Returns whether the file was written.
///
/// Parent folders are created. The new content goes to a temporary file in
/// the same folder (`.NAME.tmp.PID.N`), is flushed to disk, and is renamed
/// over the target, and the folder is synced, so a reader sees either the
/// old file or the new one, never a partial file, even across a crash. The
/// file's permissions follow the umask, but are never world-writable.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    match replace_if_changed(path, bytes)? {
        Some(dir) => {
            sync_dir(&dir)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// [`write_if_changed`] but for the folder sync: returns the folder to sync
/// when the file was replaced, so that several files written into one
/// folder cost one sync of it.
fn replace_if_changed(path: &Path, bytes: &[u8]) -> io::Result<Option<PathBuf>> {
    let file_name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not name a file", path.display()),
        )
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Readable for the web server, writable by no one else, whatever the umask.
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)?;
    remove_stale_temps(dir, file_name);
    if same_content(path, bytes)? {
        return Ok(None);
    }

    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(format!(".tmp.{}.{n}", std::process::id()));
    let temp = dir.join(temp_name);

    let result = write_and_rename(&temp, path, bytes);
    if result.is_err() {
        // Best effort: the error that matters is the one being returned.
        let _ = fs::remove_file(&temp);
    }
    result?;
    Ok(Some(dir.to_path_buf()))
}

fn write_and_rename(temp: &Path, target: &Path, bytes: &[u8]) -> io::Result<()> {
    // 0o666 lets the umask decide, like any file a program creates.
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o666)
        .open(temp)?;
    let mode = file.metadata()?.permissions().mode();
    if mode & 0o002 != 0 {
        // A public feed that anyone on the host could rewrite is a hole,
        // whatever umask the service was started with.
        file.set_permissions(fs::Permissions::from_mode(mode & 0o7775))?;
    }
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(temp, target)
}

/// Removes the temporary files of `file_name` that a killed process left
/// behind (`.NAME.tmp.PID.N` whose PID is not running), so crashes do not
/// pile them up. Best effort: a file that cannot be removed stays.
fn remove_stale_temps(dir: &Path, file_name: &std::ffi::OsStr) {
    let proc_fs = Path::new("/proc");
    // Without /proc there is no telling a live writer from a dead one.
    if !proc_fs.join("self").exists() {
        return;
    }
    let Some(name) = file_name.to_str() else {
        return;
    };
    let prefix = format!(".{name}.tmp.");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let entry_name = entry.file_name();
        let Some(rest) = entry_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let Some(pid) = rest.split('.').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !proc_fs.join(pid.to_string()).exists() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Whether `path` exists and holds exactly `bytes`. Compares a buffer at a
/// time, stopping at the first difference, and reads at most one buffer
/// more than `bytes.len()`, so a huge unrelated file costs nothing.
fn same_content(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() != bytes.len() as u64 {
        return Ok(false);
    }
    let mut buf = vec![0u8; COMPARE_BUFFER.min(bytes.len() + 1)];
    let mut rest = bytes;
    loop {
        let n = match file.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok(rest.is_empty());
        }
        // Longer than it was a moment ago, or different.
        if n > rest.len() || buf[..n] != rest[..n] {
            return Ok(false);
        }
        rest = &rest[n..];
    }
}

/// Bytes of the existing file compared at a time.
const COMPARE_BUFFER: usize = 64 * 1024;

/// Makes the rename itself durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    match File::open(dir).and_then(|d| d.sync_all()) {
        Ok(()) => Ok(()),
        // Some filesystems cannot fsync a directory; the rename is still
        // atomic there, only its durability is up to the filesystem.
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_content_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.atom");
        let big: Vec<u8> = (0..3 * COMPARE_BUFFER + 17)
            .map(|i| (i % 251) as u8)
            .collect();
        let mut last_differs = big.clone();
        if let Some(b) = last_differs.last_mut() {
            *b ^= 1;
        }
        let mut boundary_differs = big.clone();
        boundary_differs[COMPARE_BUFFER] ^= 1;
        let table: [(&[u8], &[u8], bool); 7] = [
            (&big, &big, true),
            (&big, &last_differs, false),
            (&big, &boundary_differs, false),
            (&big, &big[..big.len() - 1], false),
            (&big[..big.len() - 1], &big, false),
            (b"", b"", true),
            (b"<feed/>", b"<feed/>", true),
        ];
        for (i, (on_disk, bytes, want)) in table.into_iter().enumerate() {
            fs::write(&path, on_disk).unwrap();
            assert_eq!(same_content(&path, bytes).unwrap(), want, "case {i}");
        }
        assert!(!same_content(&dir.path().join("missing"), b"").unwrap());
    }

    #[test]
    fn concurrent_writes_tally_and_replace_every_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = |n: usize| dir.path().join(format!("f{}/{n}.atom", n % 3));
        let doc =
            |n: usize, round: usize| format!("<feed>{n} {}</feed>", n.max(round)).into_bytes();
        // Round 10 changes files 0..=9 only.
        for (round, want) in [(0, (20, 0)), (0, (0, 20)), (10, (10, 10))] {
            let (sent, tally) = write_concurrently(|queue| {
                (0..20).all(|n| queue.send(path(n), doc(n, round), true))
                    && queue.send(dir.path().join("page.html"), b"page".to_vec(), false)
            })
            .unwrap();
            assert!(sent);
            assert_eq!((tally.written, tally.unchanged), want, "round {round}");
            for n in 0..20 {
                assert_eq!(fs::read(path(n)).unwrap(), doc(n, round));
            }
        }
        assert_eq!(fs::read(dir.path().join("page.html")).unwrap(), b"page");
    }

    #[test]
    fn a_failed_write_is_told_and_stops_the_queue() {
        let dir = tempfile::tempdir().unwrap();
        // A file where a folder should be: nothing can be written under it.
        fs::write(dir.path().join("blocked"), b"").unwrap();
        let bad = dir.path().join("blocked/feed.atom");
        let result = write_concurrently(|queue| {
            let mut accepted = 0;
            for n in 0..200 {
                let path = if n == 0 {
                    bad.clone()
                } else {
                    dir.path().join(format!("{n}.atom"))
                };
                if !queue.send(path, b"<feed/>".to_vec(), true) {
                    break;
                }
                accepted += 1;
            }
            accepted
        });
        let Err(e) = result else {
            panic!("{result:?} for a file under a file");
        };
        // The first file fails at once, while each other one waits for the
        // disk: the queue refuses files long before the 200th.
        let written = fs::read_dir(dir.path()).unwrap().count() - 1;
        assert!(written < 199, "{written} files written after the failure");
        assert!(
            e.starts_with(&format!("cannot write {}: ", bad.display())),
            "{e}"
        );
        let temps = fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().starts_with('.'))
            })
            .count();
        assert_eq!(temps, 0, "temporary files left");
    }
}
