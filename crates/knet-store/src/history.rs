//! Reading the watch history: all events after a resourceVersion, or a page of them bounded by count and bytes.
//!
//! Both read in one transaction, so the check against the history's oldest event and the events returned agree. The
//! paged read first walks the events' small columns (rv and size, no texts) to find where the page ends, then parses
//! only the events of the page: a watcher catching up never holds more than one page in memory, however long the
//! history is.

use rusqlite::{Connection, Row};

use crate::error::{During, Error, Result};
use crate::store::{kind_from_sql, parse, read_revision, rv_from_sql, rv_to_sql};
use crate::{Event, ObjectKey, Store};

impl Store {
    /// The events of `resource` (in `namespace`, if given) with a resourceVersion greater than `after_rv`, oldest
    /// first.
    ///
    /// Fails with [`Error::Expired`] when events after `after_rv` have been compacted away: the client must list
    /// again. An `after_rv` at or beyond the current revision returns no events (a watch then waits for the next
    /// broadcast). The API server maps a watch from resourceVersion "0" or "" to "from the current state" itself.
    ///
    /// The result is as long as the history allows (up to [`crate::Options::history_bytes`] of JSON text, parsed);
    /// [`Store::events_page`] reads it in bounded pieces.
    pub fn events_since(&self, resource: &str, namespace: Option<&str>, after_rv: u64) -> Result<Vec<Event>> {
        self.read_events("events_since", resource, namespace, after_rv, None)
    }

    /// Like [`Store::events_since`], but at most `max_events` events and at most `max_bytes` of their
    /// [`Event::size`]s, oldest first: the next page is the one after the last event's resourceVersion.
    ///
    /// A page holds at least one event when any exist after `after_rv`, even if that one alone is larger than
    /// `max_bytes` (`max_events` 0 is treated as 1), so that paging always progresses. An empty page means the
    /// watcher has caught up. Fails with [`Error::Expired`] as `events_since` does.
    pub fn events_page(
        &self,
        resource: &str,
        namespace: Option<&str>,
        after_rv: u64,
        max_events: usize,
        max_bytes: usize,
    ) -> Result<Vec<Event>> {
        let bound = Bound { events: max_events.max(1), bytes: max_bytes };
        self.read_events("events_page", resource, namespace, after_rv, Some(bound))
    }

    fn read_events(
        &self,
        operation: &'static str,
        resource: &str,
        namespace: Option<&str>,
        after_rv: u64,
        bound: Option<Bound>,
    ) -> Result<Vec<Event>> {
        self.read(|conn| {
            let tx = conn.transaction().during(operation)?;
            let oldest = oldest_start(&tx).during(operation)?;
            if after_rv < oldest {
                return Err(Error::Expired { requested: after_rv, oldest });
            }
            let after = rv_to_sql(after_rv);
            let until = match bound {
                None => i64::MAX,
                Some(bound) => match page_end(&tx, resource, namespace, after, bound).during(operation)? {
                    Some(until) => until,
                    None => return Ok(Vec::new()),
                },
            };
            let mut statement = tx
                .prepare_cached(
                    "SELECT rv, kind, namespace, name, size, value, previous FROM events
                     WHERE resource = ?1 AND rv > ?2 AND rv <= ?3 AND (?4 IS NULL OR namespace = ?4) ORDER BY rv",
                )
                .during(operation)?;
            let mut rows = statement.query(rusqlite::params![resource, after, until, namespace]).during(operation)?;
            let mut events = Vec::new();
            while let Some(row) = rows.next().during(operation)? {
                events.push(event_from_row(operation, resource, row)?);
            }
            Ok(events)
        })
    }
}

/// The limits of one [`Store::events_page`].
#[derive(Debug, Clone, Copy)]
struct Bound {
    events: usize,
    bytes: usize,
}

/// The oldest resourceVersion a watch can start after, or a list read at: the one before the oldest event. The
/// history holds a contiguous range of resourceVersions ending at the revision (every write appends one event,
/// compaction removes a prefix), so every later event is there; an empty history starts at the revision.
pub(crate) fn oldest_start(tx: &Connection) -> rusqlite::Result<u64> {
    let oldest_event: Option<i64> =
        tx.prepare_cached("SELECT min(rv) FROM events").and_then(|mut s| s.query_row([], |row| row.get(0)))?;
    match oldest_event {
        Some(rv) => Ok(rv_from_sql(rv).saturating_sub(1)),
        None => read_revision(tx),
    }
}

/// The resourceVersion of the last event of the page that starts after `after`, reading only rv and size; `None`
/// when there is no event after `after`.
fn page_end(
    tx: &Connection,
    resource: &str,
    namespace: Option<&str>,
    after: i64,
    bound: Bound,
) -> rusqlite::Result<Option<i64>> {
    let limit = i64::try_from(bound.events).unwrap_or(i64::MAX);
    let mut statement = tx.prepare_cached(
        "SELECT rv, size FROM events WHERE resource = ?1 AND rv > ?2 AND (?3 IS NULL OR namespace = ?3)
         ORDER BY rv LIMIT ?4",
    )?;
    let mut rows = statement.query(rusqlite::params![resource, after, namespace, limit])?;
    let (mut end, mut bytes) = (None, 0_usize);
    while let Some(row) = rows.next()? {
        let size = usize::try_from(row.get::<_, i64>(1)?).unwrap_or(usize::MAX);
        bytes = bytes.saturating_add(size);
        if end.is_some() && bytes > bound.bytes {
            break;
        }
        end = Some(row.get(0)?);
    }
    Ok(end)
}

/// One history row (rv, kind, namespace, name, size, value, previous) of `resource` as an [`Event`].
fn event_from_row(operation: &'static str, resource: &str, row: &Row<'_>) -> Result<Event> {
    let rv: i64 = row.get(0).during(operation)?;
    let kind = kind_from_sql(row.get(1).during(operation)?).during(operation)?;
    let namespace: String = row.get(2).during(operation)?;
    let key = ObjectKey {
        resource: resource.to_owned(),
        namespace: (!namespace.is_empty()).then_some(namespace),
        name: row.get(3).during(operation)?,
    };
    let size = usize::try_from(row.get::<_, i64>(4).during(operation)?).unwrap_or(usize::MAX);
    let text: String = row.get(5).during(operation)?;
    let object = parse(&text, || format!("history event {rv}"))?;
    let previous = match row.get::<_, Option<String>>(6).during(operation)? {
        Some(text) => Some(parse(&text, || format!("the previous state of history event {rv}"))?),
        None => None,
    };
    Ok(Event { kind, key, object, resource_version: rv_from_sql(rv), previous, size })
}
