//! Opening the database: pragmas, and schema migrations keyed by
//! `PRAGMA user_version`.
//!
//! Migrations are append-only: migration N (1-based) brings a database from
//! `user_version` N-1 to N. Never edit a released migration; add a new one.

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// Marks a database as feedmill's (`PRAGMA application_id`), so another
/// program's SQLite file is refused instead of being "migrated".
pub(super) const APPLICATION_ID: i32 = 0x4664_4d6c; // "FdMl"

/// How long a writer waits for another connection's lock before failing.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Page cache of the connection, in KiB (negative `cache_size` means KiB).
const CACHE_KIB: i64 = -32 * 1024;

const WAL_LIMIT_BYTES: i64 = 64 * 1024 * 1024;

/// The schema, one script per version.
///
/// Dedup rules of the contract live in constraints, not only in code:
/// - rule 1 and 3: `UNIQUE(source_id, identity)` on `copies`, where identity
///   is `guid:<guid>`, `link:<canonical link>` or `text:<sha256>`;
/// - rule 2: `story_links` maps each canonical link to exactly one story
///   (primary key), and a copy carrying a canonical link must belong to the
///   story that owns it (composite foreign key).
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: initial schema.
    r#"
    CREATE TABLE sources (
        id                   INTEGER PRIMARY KEY,
        name                 TEXT NOT NULL UNIQUE,
        url                  TEXT NOT NULL,
        region               TEXT,
        etag                 TEXT,
        last_modified        TEXT,
        body_hash            TEXT,
        last_attempt         TEXT,
        last_success         TEXT,
        last_error           TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
        not_before           TEXT,
        redirected_to        TEXT,
        feed_title           TEXT,
        feed_id              TEXT,
        feed_link            TEXT
    );

    -- One row per story (one output entry). What the entry shows comes from
    -- its first copy; `updated` is kept here because it never goes backwards.
    CREATE TABLE stories (
        id            INTEGER PRIMARY KEY,
        uid           TEXT NOT NULL UNIQUE CHECK (length(uid) = 36),
        first_copy_id INTEGER REFERENCES copies(id),
        first_seen    TEXT NOT NULL,
        updated       TEXT NOT NULL
    );
    CREATE INDEX stories_newest ON stories(updated DESC, uid);

    CREATE TABLE story_links (
        canonical_link TEXT PRIMARY KEY,
        story_id       INTEGER NOT NULL REFERENCES stories(id),
        UNIQUE (canonical_link, story_id)
    );

    -- One row per item as one source carries it.
    CREATE TABLE copies (
        id             INTEGER PRIMARY KEY,
        story_id       INTEGER NOT NULL REFERENCES stories(id),
        source_id      INTEGER NOT NULL REFERENCES sources(id),
        identity       TEXT NOT NULL CHECK (identity <> ''),
        link           TEXT,
        canonical_link TEXT,
        title          TEXT NOT NULL,
        summary_html   TEXT,
        content_html   TEXT,
        authors        TEXT NOT NULL DEFAULT '[]',
        categories     TEXT NOT NULL DEFAULT '[]',
        published      TEXT,
        updated        TEXT,
        match_text     TEXT NOT NULL,
        content_hash   TEXT NOT NULL,
        first_seen     TEXT NOT NULL,
        UNIQUE (source_id, identity),
        FOREIGN KEY (canonical_link, story_id) REFERENCES story_links(canonical_link, story_id)
    );
    CREATE INDEX copies_story ON copies(story_id, id);

    CREATE TABLE copy_topics (
        copy_id INTEGER NOT NULL REFERENCES copies(id),
        topic   TEXT NOT NULL,
        PRIMARY KEY (copy_id, topic)
    ) WITHOUT ROWID;
    CREATE INDEX copy_topics_topic ON copy_topics(topic, copy_id);

    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 2: near-duplicate index (see near_index.rs). Filled from Rust, since
    // keys are folded text: `near_index::ensure` builds it for the copies a
    // version-1 database already holds.
    r#"
    CREATE TABLE near_keys (
        key     TEXT NOT NULL,
        at      TEXT NOT NULL,
        copy_id INTEGER NOT NULL REFERENCES copies(id),
        PRIMARY KEY (key, at, copy_id)
    ) WITHOUT ROWID;
    CREATE INDEX near_keys_copy ON near_keys(copy_id);
    "#,
    // Near-duplicate keys as integers (a hash of the key, Unix seconds):
    // rows less than half as long, so a new copy's keys dirty fewer index
    // pages. Refilled from `copies` when the store opens (near_index::ensure).
    r#"
    DROP TABLE near_keys;
    CREATE TABLE near_keys (
        key     INTEGER NOT NULL,
        at      INTEGER NOT NULL,
        copy_id INTEGER NOT NULL REFERENCES copies(id),
        PRIMARY KEY (key, at DESC, copy_id)
    ) WITHOUT ROWID;
    CREATE INDEX near_keys_copy ON near_keys(copy_id);
    DELETE FROM meta WHERE key = 'near_index_version';
    "#,
    // 4: a story's copies with their sources, without reading the copies'
    // rows: the renderer's newest-first walk over every feed (read/window.rs)
    // reads only indexes with it. `IF NOT EXISTS`: a database put back to
    // an older version by hand (as tests do) may still have it.
    r#"
    CREATE INDEX IF NOT EXISTS copies_story_source ON copies(story_id, source_id);
    "#,
    // 5: near-duplicate keys without an index on copy ids or a foreign key:
    // each cost every new copy a B-tree row (or a lookup) per key. A copy's
    // rows are found from its title and dates when it is edited or pruned
    // (`near_index::unindex_copy`). Refilled when the store opens.
    r#"
    DROP TABLE near_keys;
    CREATE TABLE near_keys (
        key     INTEGER NOT NULL,
        at      INTEGER NOT NULL,
        copy_id INTEGER NOT NULL,
        PRIMARY KEY (key, at DESC, copy_id)
    ) WITHOUT ROWID;
    DELETE FROM meta WHERE key = 'near_index_version';
    "#,
    // 6: `copies_story_source` (story_id, source_id, and the row id every
    // index ends with) answers whatever `copies_story` (story_id, id) did,
    // so a new copy updates one index on its story less.
    r#"
    DROP INDEX IF EXISTS copies_story;
    "#,
    // 7: each copy's near-duplicate signature in its stored form
    // (near/stored.rs) with its story, so a candidate is compared without
    // reading its row (HTML and all) and folding its text again. A table of
    // its own: a column would make each `copies` row ~400 bytes longer,
    // and at about two rows a page that is a page more per three copies.
    // Copies stored before have no row here: they are compared from their
    // text, as before.
    r#"
    CREATE TABLE near_sigs (
        copy_id  INTEGER PRIMARY KEY REFERENCES copies(id),
        story_id INTEGER NOT NULL,
        sig      BLOB NOT NULL
    );
    "#,
    // 8: `stories` rebuilt without the UNIQUE index on `uid`. A uid is a
    // hash of the source and identity of the story's first copy, which
    // `copies`' UNIQUE(source_id, identity) already makes unique: that
    // copy lives as long as its story (only whole stories are pruned) and
    // sources are never deleted or renamed in place. The index repeated
    // that check at the price of a random-key B-tree insert per story,
    // dearer the larger the store. Run with foreign keys off (see `open`),
    // as SQLite's table rebuild requires.
    r#"
    CREATE TABLE stories_rebuilt (
        id            INTEGER PRIMARY KEY,
        uid           TEXT NOT NULL CHECK (length(uid) = 36),
        first_copy_id INTEGER REFERENCES copies(id),
        first_seen    TEXT NOT NULL,
        updated       TEXT NOT NULL
    );
    INSERT INTO stories_rebuilt (id, uid, first_copy_id, first_seen, updated)
        SELECT id, uid, first_copy_id, first_seen, updated FROM stories;
    DROP TABLE stories;
    ALTER TABLE stories_rebuilt RENAME TO stories;
    CREATE INDEX stories_newest ON stories(updated DESC, uid);
    "#,
];

/// Opens the connection, sets the pragmas and brings the schema up to date.
pub(super) fn open(path: &Path) -> Result<Connection, StoreError> {
    let err = |what: &str, e: rusqlite::Error| {
        StoreError(format!("database {}: {what}: {e}", path.display()))
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        // Never world-writable, whatever the umask.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(parent)
            .map_err(|e| {
                StoreError(format!(
                    "database {}: cannot create folder {}: {e}",
                    path.display(),
                    parent.display()
                ))
            })?;
    }
    create_private(path)?;
    let conn = Connection::open(path).map_err(|e| err("cannot open", e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| err("cannot set busy timeout", e))?;
    // The first statement that reads the file: a non-SQLite file fails
    // here. Auto-vacuum can only be chosen before the first table exists
    // (and before WAL): on a new database it lets pruning hand freed pages
    // back (see prune.rs); on an existing one it changes nothing.
    conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL")
        .map_err(|e| err("cannot read it as an SQLite database", e))?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| err("cannot enable WAL", e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        // Some filesystems (network mounts) cannot do WAL; the store still
        // works with a rollback journal, only with less read concurrency.
        tracing::warn!(
            database = %path.display(),
            journal_mode = %mode,
            "WAL journal mode unavailable; using the rollback journal"
        );
    }
    // SQLite gives the WAL and shared-memory files the database's mode.
    restrict(path);
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|e| err("cannot set synchronous mode", e))?;
    // The default 2 MiB page cache holds a fraction of the indexes a poll
    // touches (story links, near-duplicate keys, topics); every miss is a
    // read from the file. A fixed bound, so memory does not grow with the
    // database.
    conn.pragma_update(None, "cache_size", CACHE_KIB)
        .map_err(|e| err("cannot set the page cache size", e))?;
    // Checkpoints: see checkpoint.rs, which replaces the automatic one
    // for the store's writer. Until then (and for a connection that is not
    // the writer) the same threshold applies. The WAL file is cut back to
    // `WAL_LIMIT_BYTES` after each checkpoint.
    conn.pragma_update(
        None,
        "wal_autocheckpoint",
        super::checkpoint::CHECKPOINT_PAGES,
    )
    .map_err(|e| err("cannot set the checkpoint interval", e))?;
    conn.query_row(
        &format!("PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}"),
        [],
        |_| Ok(()),
    )
    .map_err(|e| err("cannot set the journal size limit", e))?;
    // Foreign keys are off while migrating (a table rebuild drops a parent
    // table, MIGRATIONS 8) and on for everything after.
    conn.pragma_update(None, "foreign_keys", false)
        .map_err(|e| err("cannot disable foreign keys for the migration", e))?;
    migrate(&conn, path)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(|e| err("cannot enable foreign keys", e))?;
    Ok(conn)
}

/// Mode of a new database file (before the umask): it holds everything
/// fetched and every source's state, for the service and its group only.
const DB_MODE: u32 = 0o640;

/// Creates the database file, empty, with [`DB_MODE`], unless it exists;
/// SQLite would create it world-readable.
fn create_private(path: &Path) -> Result<(), StoreError> {
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(DB_MODE)
        .open(path);
    match created {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError(format!(
            "database {}: cannot create the file: {e}",
            path.display()
        ))),
    }
}

/// Takes the permissions for others off the database and its journals
/// (made readable by an older version or by hand). Best effort: a file
/// owned by someone else is left as it is, with a warning.
fn restrict(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = Path::new(&name);
        let Ok(meta) = std::fs::metadata(file) else {
            continue;
        };
        let mode = meta.permissions().mode();
        if mode & 0o007 == 0 {
            continue;
        }
        let private = std::fs::Permissions::from_mode(mode & !0o007);
        if let Err(e) = std::fs::set_permissions(file, private) {
            tracing::warn!(
                file = %file.display(),
                "the database can be read by other users and its permissions cannot be changed: {e}"
            );
        }
    }
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

fn application_id(conn: &Connection) -> rusqlite::Result<i32> {
    conn.query_row("PRAGMA application_id", [], |r| r.get(0))
}

/// Applies the missing migrations, each in its own immediate transaction
/// that re-reads the version, so two processes opening the same new file
/// cannot both apply the same script.
fn migrate(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let err = |what: &str, e: rusqlite::Error| {
        StoreError(format!("database {}: {what}: {e}", path.display()))
    };
    let latest = MIGRATIONS.len() as i64;
    loop {
        // `unchecked_transaction` because the connection is borrowed shared;
        // nothing else uses it during `open`.
        let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
            .map_err(|e| err("cannot start the schema migration", e))?;
        let version = user_version(&tx).map_err(|e| err("cannot read the schema version", e))?;
        let app_id = application_id(&tx).map_err(|e| err("cannot read the application id", e))?;
        if (version > 0 || app_id != 0) && app_id != APPLICATION_ID {
            return Err(StoreError(format!(
                "database {} is not a feedmill database (application_id {app_id:#x}); \
                 point `database` at another file",
                path.display()
            )));
        }
        if version > latest {
            return Err(StoreError(format!(
                "database {} has schema version {version}, newer than this feedmill \
                 understands ({latest}); upgrade feedmill or use another database file",
                path.display()
            )));
        }
        if version < 0 {
            return Err(StoreError(format!(
                "database {} has an invalid schema version {version}",
                path.display()
            )));
        }
        if version == latest {
            return tx
                .commit()
                .map_err(|e| err("cannot finish the schema check", e));
        }
        let next = version + 1;
        let script = MIGRATIONS[version as usize];
        tx.execute_batch(script)
            .map_err(|e| err(&format!("schema migration {next} failed"), e))?;
        tx.pragma_update(None, "user_version", next)
            .map_err(|e| err(&format!("schema migration {next} failed"), e))?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(|e| err(&format!("schema migration {next} failed"), e))?;
        tx.commit()
            .map_err(|e| err(&format!("schema migration {next} failed"), e))?;
        tracing::debug!(database = %path.display(), version = next, "schema migrated");
    }
}
