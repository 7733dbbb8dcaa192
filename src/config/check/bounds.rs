//! Bounds: `[limits]` (what one source may cost), `[retention]` (how long
//! stories are kept), and where the database may not live.

use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLimits {
    max_items_per_feed: S<i64>,
    max_item_bytes: S<i64>,
    source_timeout: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRetention {
    max_age: S<String>,
    max_items: S<i64>,
}

impl Ctx<'_> {
    pub(super) fn limits(
        &self,
        raw: Option<RawLimits>,
        http: &HttpConfig,
    ) -> Result<LimitsConfig, ConfigError> {
        let mut limits = LimitsConfig::default();
        let Some(raw) = raw else {
            // A long [http] timeout must not be cut short by the default.
            limits.source_timeout = limits.source_timeout.max(http.timeout);
            return Ok(limits);
        };
        if let Some(n) = &raw.max_items_per_feed {
            limits.max_items_per_feed =
                self.int(n, "limits.max_items_per_feed", MAX_ITEMS_LIMIT)? as usize;
        }
        if let Some(n) = &raw.max_item_bytes {
            limits.max_item_bytes = self.int(n, "limits.max_item_bytes", MAX_BODY_LIMIT)? as usize;
        }
        match &raw.source_timeout {
            Some(t) => {
                let d = parse_duration(t.get_ref())
                    .map_err(|e| self.err(t.span(), "limits.source_timeout", e))?;
                if d < http.timeout {
                    return Err(self.err(
                        t.span(),
                        "limits.source_timeout",
                        format_args!(
                            "{:?} is shorter than http.timeout; a source's poll includes its request",
                            t.get_ref()
                        ),
                    ));
                }
                limits.source_timeout = d;
            }
            None => limits.source_timeout = limits.source_timeout.max(http.timeout),
        }
        Ok(limits)
    }

    pub(super) fn retention(
        &self,
        raw: Option<RawRetention>,
    ) -> Result<RetentionConfig, ConfigError> {
        let mut retention = RetentionConfig::default();
        let Some(raw) = raw else {
            return Ok(retention);
        };
        if let Some(t) = &raw.max_age {
            retention.max_age = parse_duration_up_to(t.get_ref(), MAX_RETENTION_AGE)
                .map_err(|e| self.err(t.span(), "retention.max_age", e))?;
        }
        if let Some(n) = &raw.max_items {
            retention.max_items = self.int(n, "retention.max_items", MAX_RETENTION_ITEMS)? as usize;
        }
        Ok(retention)
    }

    /// A web server serves the output folder: a database inside it would
    /// be served too.
    pub(super) fn database_outside_output(
        &self,
        raw: Option<&Spanned<String>>,
        database: &Path,
        output: &OutputConfig,
    ) -> Result<(), ConfigError> {
        let (Some(db), Some(out_dir)) = (raw, output.path.parent()) else {
            return Ok(());
        };
        if lexical(database).starts_with(lexical(out_dir)) {
            return Err(self.err(
                db.span(),
                "database",
                format_args!(
                    "{} is inside the output folder {}, which a web server serves; keep the database elsewhere",
                    database.display(),
                    out_dir.display()
                ),
            ));
        }
        Ok(())
    }
}

/// `path` with `..` taken out by name, for comparing where two paths lie;
/// symbolic links are not followed, so only for checks, never for opening.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
