//! Several polls in one write transaction.
//!
//! A commit costs far more than a row: every page the transaction touched
//! is appended to the WAL again, and the index pages of a poll (story links,
//! near-duplicate keys, topics) are spread over the whole file. A cycle
//! therefore writes all the results that are ready at once in one
//! [`Batch`]; each poll is still stored wholly or not at all, because the
//! batch is.

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{params, Transaction};

use super::near::NearDupSettings;
use super::{db_err, immediate, ts, unknown_source, write, PollStats, Store, StoreError};
use crate::fetch::Validators;
use crate::model::FeedMeta;

/// An open write transaction on the store. Dropped without
/// [`Batch::commit`], it rolls back and nothing of it is stored.
pub struct Batch<'s> {
    tx: Transaction<'s>,
    path: &'s Path,
    near: NearDupSettings,
    /// The store's running count of merged copies, bumped on commit.
    merged_total: &'s mut u64,
    merged: u64,
}

impl<'s> Batch<'s> {
    pub(super) fn begin(store: &'s mut Store) -> Result<Batch<'s>, StoreError> {
        let Store {
            conn,
            path,
            near,
            merged,
            ..
        } = store;
        let tx = immediate(conn, path, "cannot start a write transaction")?;
        Ok(Batch {
            tx,
            path,
            near: *near,
            merged_total: merged,
            merged: 0,
        })
    }

    /// Makes every poll recorded in this batch durable.
    pub fn commit(self) -> Result<(), StoreError> {
        self.tx
            .commit()
            .map_err(|e| db_err(self.path, "cannot commit the polls", e))?;
        *self.merged_total += self.merged;
        Ok(())
    }

    /// See [`Store::record_fetched`].
    #[allow(clippy::too_many_arguments)]
    pub fn record_fetched(
        &mut self,
        source: &str,
        meta: &FeedMeta,
        validators: &Validators,
        body_hash: &str,
        redirected_to: Option<&str>,
        items: &[super::TaggedItem],
        not_before: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<PollStats, StoreError> {
        let (stats, merged) = write::record_fetched(
            &self.tx,
            self.path,
            &self.near,
            write::Fetched {
                source,
                meta,
                validators,
                body_hash,
                redirected_to,
                items,
                not_before,
                now,
            },
        )?;
        self.merged += merged;
        Ok(stats)
    }

    /// See [`Store::record_unchanged`].
    pub fn record_unchanged(
        &self,
        source: &str,
        validators: Option<&Validators>,
        not_before: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = ts(now);
        let not_before = not_before.map(ts);
        let n = match validators {
            Some(v) => self
                .tx
                .prepare_cached(
                    "UPDATE sources SET etag = ?2, last_modified = ?3, last_attempt = ?4,
                        last_success = ?4, last_error = NULL, consecutive_failures = 0,
                        not_before = ?5
                     WHERE name = ?1",
                )
                .and_then(|mut st| {
                    st.execute(params![source, v.etag, v.last_modified, now, not_before])
                }),
            None => self
                .tx
                .prepare_cached(
                    "UPDATE sources SET last_attempt = ?2, last_success = ?2, last_error = NULL,
                        consecutive_failures = 0, not_before = ?3
                     WHERE name = ?1",
                )
                .and_then(|mut st| st.execute(params![source, now, not_before])),
        }
        .map_err(|e| {
            db_err(
                self.path,
                &format!("cannot record the poll of source {source:?}"),
                e,
            )
        })?;
        if n == 0 {
            return Err(unknown_source(self.path, source));
        }
        Ok(())
    }

    /// See [`Store::record_failure`].
    pub fn record_failure(
        &self,
        source: &str,
        error: &str,
        not_before: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let n = self
            .tx
            .prepare_cached(
                "UPDATE sources SET last_attempt = ?2, last_error = ?3,
                    consecutive_failures = consecutive_failures + 1, not_before = ?4
                 WHERE name = ?1",
            )
            .and_then(|mut st| st.execute(params![source, ts(now), error, not_before.map(ts)]))
            .map_err(|e| {
                db_err(
                    self.path,
                    &format!("cannot record the failure of source {source:?}"),
                    e,
                )
            })?;
        if n == 0 {
            return Err(unknown_source(self.path, source));
        }
        Ok(())
    }
}
