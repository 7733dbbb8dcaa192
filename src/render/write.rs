//! Atomic, change-only file replacement.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temp files of concurrent writes within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

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
/// folder cost one sync of it (`render_all`).
pub(crate) fn replace_if_changed(path: &Path, bytes: &[u8]) -> io::Result<Option<PathBuf>> {
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
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
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
}
