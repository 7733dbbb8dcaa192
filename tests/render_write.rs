//! Atomic, change-only writes of output files: what a reader polling the
//! folder can observe.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use feedmill::render::write_if_changed;

fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp."))
        .collect()
}

#[test]
fn write_if_changed_skips_identical_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("public/topics/defense.atom");
    let doc = "<?xml version=\"1.0\"?>\n<feed><title>Kallxo.com Вести</title></feed>\n".to_string();

    assert!(write_if_changed(&path, doc.as_bytes()).unwrap());
    assert_eq!(fs::read_to_string(&path).unwrap(), doc);

    // Age the file so that any rewrite would show in its mtime.
    let old = SystemTime::now() - Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let inode = fs::metadata(&path).unwrap().ino();

    assert!(!write_if_changed(&path, doc.as_bytes()).unwrap());
    let meta = fs::metadata(&path).unwrap();
    assert_eq!(meta.modified().unwrap(), old);
    assert_eq!(meta.ino(), inode);

    // Different content (same length, then another length) is written.
    let same_len = doc.replace("Kallxo.com", "Kallxo.org");
    assert_eq!(same_len.len(), doc.len());
    assert!(write_if_changed(&path, same_len.as_bytes()).unwrap());
    assert_eq!(fs::read_to_string(&path).unwrap(), same_len);
    assert_ne!(
        fs::metadata(&path).unwrap().ino(),
        inode,
        "replaced by rename"
    );
    assert!(write_if_changed(&path, b"short").unwrap());
    assert_eq!(fs::read(&path).unwrap(), b"short");

    assert!(temp_files(path.parent().unwrap()).is_empty());
    let mode = fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o002, 0, "world-writable: {mode:o}");
}

#[test]
fn write_if_changed_reports_errors_and_leaves_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    // The target is a folder: the rename fails, and the temp file goes away.
    let target = dir.path().join("feed.atom");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("keep"), b"x").unwrap();
    assert!(write_if_changed(&target, b"<feed/>").is_err());
    assert!(temp_files(dir.path()).is_empty());
    assert!(target.join("keep").exists());

    // A parent that is a file cannot be created.
    let blocked = dir.path().join("file");
    fs::write(&blocked, b"x").unwrap();
    assert!(write_if_changed(&blocked.join("feed.atom"), b"<feed/>").is_err());
}

/// Readers polling while feeds are rewritten see an old or a new file,
/// never a missing or partial one.
#[test]
fn readers_never_see_a_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.atom");
    let docs: Vec<Vec<u8>> = (0..2)
        .map(|i| vec![b'a' + i as u8; 256 * 1024 + i * 1000])
        .collect();
    write_if_changed(&path, &docs[0]).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (path, stop, docs) = (path.clone(), stop.clone(), docs.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let got = fs::read(&path).expect("the feed file is always there");
                assert!(docs.contains(&got), "partial read of {} bytes", got.len());
                reads += 1;
            }
            reads
        })
    };
    for i in 0..40 {
        assert!(write_if_changed(&path, &docs[(i + 1) % 2]).unwrap());
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
    assert!(temp_files(dir.path()).is_empty());
}

/// Run by `files_are_never_world_writable_even_with_umask_0` in a child
/// process whose umask is 0.
#[test]
#[ignore = "run by files_are_never_world_writable_even_with_umask_0"]
fn child_write_under_umask() {
    let dir = PathBuf::from(std::env::var("FEEDMILL_TEST_DIR").unwrap());
    assert!(write_if_changed(&dir.join("feed.atom"), b"<feed/>").unwrap());
}

#[test]
fn files_are_never_world_writable_even_with_umask_0() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg("umask 000 && exec \"$0\" --exact child_write_under_umask --ignored --quiet")
        .arg(&exe)
        .env("FEEDMILL_TEST_DIR", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child test failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = fs::metadata(dir.path().join("feed.atom"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o664, "mode {mode:o}");
}

#[test]
fn temporary_files_of_killed_writers_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.atom");
    // A process that has exited: its pid names no running process.
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let own = std::process::id();
    let names = [
        format!(".feed.atom.tmp.{dead}.3"),
        format!(".feed.atom.tmp.{own}.99"), // this process: maybe in flight
        ".feed.atom.tmp.1.0".to_string(),   // pid 1 runs
        format!(".other.atom.tmp.{dead}.0"), // another file's business
    ];
    for n in &names {
        fs::write(dir.path().join(n), "partial").unwrap();
    }
    write_if_changed(&path, b"<feed/>").unwrap();
    let mut left = temp_files(dir.path());
    left.sort();
    let mut want: Vec<String> = names[1..].to_vec();
    want.sort();
    assert_eq!(left, want);
    // Also when the content is unchanged and nothing is written.
    fs::write(dir.path().join(&names[0]), "partial").unwrap();
    assert!(!write_if_changed(&path, b"<feed/>").unwrap());
    assert!(!dir.path().join(&names[0]).exists());
}
