//! Lists: pages of one resource's objects in key order, at the current state or at an earlier resourceVersion.
//!
//! A page at the current revision reads the `objects` table alone: the hot path of every GET of a collection. A page at
//! an earlier resourceVersion N merges two streams read in key order within one read transaction:
//!
//! ```text
//!  objects with rv <= N ............ unchanged since N: shown as they are now
//!  keys with a history event > N ... the first such event tells the state at N: ADDED means the key did not exist,
//!                                    otherwise its `previous` is the state at N (NULL: schema-1 history, expired)
//! ```
//!
//! The two sets of keys are disjoint (a key whose row has rv <= N was not written after N, and every write to a key
//! sets its row's rv or removes the row), and together they hold every key that existed at N. The second stream walks
//! the `events_by_key` index and reads only the first event of each key; both stop once the page is full, so a page
//! costs its objects plus the history entries of the keys it spans, not the whole history.

use rusqlite::{Connection, OptionalExtension};

use crate::error::{During, Error, Result};
use crate::history::oldest_start;
use crate::store::{kind_from_sql, parse, read_revision, rv_from_sql, rv_to_sql};
use crate::token::{self, Position};
use crate::{EventKind, ListPage, Store};

/// A page's rows before parsing: namespace, name, JSON text.
type Rows = Vec<(String, String, String)>;

impl Store {
    /// One page of the objects of `resource`, in one namespace or in all, ordered by namespace then name.
    ///
    /// Without `continue_after`, the page shows the current state and its resourceVersion is the store's revision at
    /// the read. With `continue_after`, the previous page's [`ListPage::continue_token`], it goes on after that page's
    /// last key at the state of that page's resourceVersion, which the token carries: objects created, changed or
    /// deleted since do not show up or show their state at that resourceVersion, as kube-apiserver's paginated lists
    /// do. It fails with [`Error::Expired`] once the history no longer reaches back to it (the API server answers 410
    /// with [`crate::inconsistent_continue`]'s token), and with [`Error::InvalidContinue`] for a token this store did
    /// not issue or one from a list of another namespace. A token from `inconsistent_continue` reads the state current
    /// at the read, and the tokens after it carry that page's resourceVersion.
    ///
    /// `limit` caps the number of items (`None` or `Some(0)`: no cap, as `limit=0` in the API).
    pub fn list(
        &self,
        resource: &str,
        namespace: Option<&str>,
        continue_after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<ListPage> {
        let position = match continue_after {
            // A token continues the list it came from: one from another namespace's list is refused.
            Some(token) => token::decode(token)
                .filter(|position| namespace.is_none_or(|namespace| namespace == position.namespace))
                .ok_or_else(|| Error::InvalidContinue { token: token.to_owned() })?,
            None => Position { at: None, namespace: String::new(), name: String::new() },
        };
        self.list_page(resource, namespace, position, limit)
    }

    /// The first page of the objects of `resource` (in `namespace`, if given) as they were at resourceVersion `at_rv`,
    /// ordered like [`Store::list`]: what the API server serves for `resourceVersionMatch=Exact`. Later pages come from
    /// [`Store::list`] with the page's continue token, which carries `at_rv`.
    ///
    /// Fails with [`Error::Expired`] when the history no longer reaches back to `at_rv` (410), and with
    /// [`Error::FutureResourceVersion`] when `at_rv` is beyond the current revision. `at_rv` equal to the revision
    /// costs what a list of the current state costs; an earlier one also reads the history of the keys the page spans.
    pub fn list_at(
        &self,
        resource: &str,
        namespace: Option<&str>,
        at_rv: u64,
        limit: Option<usize>,
    ) -> Result<ListPage> {
        let position = Position { at: Some(at_rv), namespace: String::new(), name: String::new() };
        self.list_page(resource, namespace, position, limit)
    }

    /// The page after `position` (the empty key: from the start), at `position.at` or the current revision.
    fn list_page(
        &self,
        resource: &str,
        namespace: Option<&str>,
        position: Position,
        limit: Option<usize>,
    ) -> Result<ListPage> {
        let limit = limit.filter(|&limit| limit > 0);
        // One row more than asked tells whether another page follows.
        let want = limit.map_or(usize::MAX, |limit| limit.saturating_add(1));
        let Position { at, namespace: after_namespace, name: after_name } = position;
        let after = After { namespace: &after_namespace, name: &after_name };
        let (resource_version, mut rows) = self.read(|conn| {
            let tx = conn.transaction().during("list")?;
            let revision = read_revision(&tx).during("list")?;
            let at = at.unwrap_or(revision);
            if at > revision {
                return Err(Error::FutureResourceVersion { requested: at, current: revision });
            }
            let rows = if at == revision {
                current_rows(&tx, resource, namespace, after, want).during("list")?
            } else {
                let oldest = oldest_start(&tx).during("list")?;
                if at < oldest {
                    return Err(Error::Expired { requested: at, oldest });
                }
                snapshot_rows(&tx, resource, namespace, after, at, want)?
            };
            Ok((at, rows))
        })?;
        let more = rows.len() > limit.unwrap_or(usize::MAX);
        if more {
            rows.pop();
        }
        let continue_token = match rows.last() {
            Some((namespace, name, _)) if more => Some(token::encode(&Position {
                at: Some(resource_version),
                namespace: namespace.clone(),
                name: name.clone(),
            })),
            _ => None,
        };
        let items = rows
            .iter()
            .map(|(namespace, name, text)| parse(text, || format!("{resource} {namespace}/{name}")))
            .collect::<Result<Vec<_>>>()?;
        Ok(ListPage { items, resource_version, continue_token })
    }
}

/// The key a page starts after; the empty key starts at the beginning.
#[derive(Debug, Clone, Copy)]
struct After<'a> {
    namespace: &'a str,
    name: &'a str,
}

/// Up to `want` current objects after `after`, in key order.
fn current_rows(
    tx: &Connection,
    resource: &str,
    namespace: Option<&str>,
    after: After<'_>,
    want: usize,
) -> rusqlite::Result<Rows> {
    // -1 is SQLite's "no limit".
    let sql_limit = i64::try_from(want).unwrap_or(-1);
    let mut rows = Vec::new();
    let mut statement;
    let mut query = match namespace {
        Some(namespace) => {
            statement = tx.prepare_cached(
                "SELECT namespace, name, value FROM objects WHERE resource = ?1 AND namespace = ?2
                 AND name > ?3 ORDER BY name LIMIT ?4",
            )?;
            statement.query(rusqlite::params![resource, namespace, after.name, sql_limit])?
        }
        None => {
            statement = tx.prepare_cached(
                "SELECT namespace, name, value FROM objects WHERE resource = ?1
                 AND (namespace, name) > (?2, ?3) ORDER BY namespace, name LIMIT ?4",
            )?;
            statement.query(rusqlite::params![resource, after.namespace, after.name, sql_limit])?
        }
    };
    while let Some(row) = query.next()? {
        rows.push((row.get(0)?, row.get(1)?, row.get(2)?));
    }
    Ok(rows)
}

/// Up to `want` objects after `after` as they were at `at`, in key order: the merge the module documentation
/// describes. The caller has checked that the history reaches back to `at`.
fn snapshot_rows(
    tx: &Connection,
    resource: &str,
    namespace: Option<&str>,
    after: After<'_>,
    at: u64,
    want: usize,
) -> Result<Rows> {
    let sql_at = rv_to_sql(at);
    let (unchanged_sql, changed_sql) = match namespace {
        Some(_) => (
            "SELECT namespace, name, value FROM objects WHERE resource = ?1 AND namespace = ?2 AND name > ?3
             AND rv <= ?4 ORDER BY name",
            "SELECT namespace, name, rv FROM events INDEXED BY events_by_key
             WHERE resource = ?1 AND namespace = ?2 AND name > ?3 AND rv > ?4 ORDER BY name, rv",
        ),
        None => (
            "SELECT namespace, name, value FROM objects WHERE resource = ?1 AND (namespace, name) > (?2, ?3)
             AND rv <= ?4 ORDER BY namespace, name",
            "SELECT namespace, name, rv FROM events INDEXED BY events_by_key
             WHERE resource = ?1 AND (namespace, name) > (?2, ?3) AND rv > ?4 ORDER BY namespace, name, rv",
        ),
    };
    let namespace_param = namespace.unwrap_or(after.namespace);
    let params = rusqlite::params![resource, namespace_param, after.name, sql_at];
    let mut unchanged_statement = tx.prepare_cached(unchanged_sql).during("list")?;
    let mut unchanged = unchanged_statement.query(params).during("list")?;
    let mut changed_statement = tx.prepare_cached(changed_sql).during("list")?;
    let mut changed = changed_statement.query(params).during("list")?;
    let mut first_event = tx.prepare_cached("SELECT kind, previous FROM events WHERE rv = ?1").during("list")?;

    let mut next_unchanged = || -> Result<Option<(String, String, String)>> {
        match unchanged.next().during("list")? {
            Some(row) => Ok(Some((row.get(0).during("list")?, row.get(1).during("list")?, row.get(2).during("list")?))),
            None => Ok(None),
        }
    };
    // The index walk returns every event after `at` of each key, oldest first: the first of each key is the one
    // that tells its state at `at`, the others are skipped.
    let mut last_changed: Option<(String, String)> = None;
    let mut next_changed = || -> Result<Option<(String, String, i64)>> {
        while let Some(row) = changed.next().during("list")? {
            let key: (String, String) = (row.get(0).during("list")?, row.get(1).during("list")?);
            if last_changed.as_ref() == Some(&key) {
                continue;
            }
            last_changed = Some(key.clone());
            return Ok(Some((key.0, key.1, row.get(2).during("list")?)));
        }
        Ok(None)
    };

    let mut rows = Vec::new();
    let mut unchanged_row = next_unchanged()?;
    let mut changed_key = next_changed()?;
    while rows.len() < want {
        let take_unchanged = match (&unchanged_row, &changed_key) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            // Never equal: the two streams hold disjoint keys (see the module documentation).
            (Some((u_namespace, u_name, _)), Some((c_namespace, c_name, _))) => {
                (u_namespace, u_name) < (c_namespace, c_name)
            }
        };
        if take_unchanged {
            rows.extend(unchanged_row.take());
            unchanged_row = next_unchanged()?;
            continue;
        }
        let Some((namespace, name, rv)) = changed_key.take() else { break };
        changed_key = next_changed()?;
        let (kind, previous): (i64, Option<String>) =
            first_event.query_row([rv], |row| Ok((row.get(0)?, row.get(1)?))).during("list")?;
        match (kind_from_sql(kind).during("list")?, previous) {
            // The key was created after `at`: it did not exist then.
            (EventKind::Added, _) => {}
            (_, Some(previous)) => rows.push((namespace, name, previous)),
            // History from before the store kept the replaced state (schema 1): the state at `at` is unknown.
            (_, None) => {
                let oldest = oldest_with_previous(tx).during("list")?;
                return Err(Error::Expired { requested: at, oldest });
            }
        }
    }
    Ok(rows)
}

/// The oldest resourceVersion a list can read at when the history holds rows without their previous state: the
/// newest such row's, since a list at it or later never needs one of them.
fn oldest_with_previous(tx: &Connection) -> rusqlite::Result<u64> {
    let newest_unknown: Option<i64> = tx
        .query_row("SELECT max(rv) FROM events WHERE previous IS NULL AND kind != 1", [], |row| row.get(0))
        .optional()?
        .flatten();
    Ok(newest_unknown.map_or(0, rv_from_sql).max(oldest_start(tx)?))
}
