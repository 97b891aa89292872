//! The watch history's bounds and reads: the byte budget beside the event window, event sizes, paged reads, and the
//! migration of a schema-2 file (sizes computed, the file made incrementally vacuumable, old history still listable).

mod support;

use knet_store::{Error, Event, EventKind, ObjectKey, Options, Store};
use serde_json::{Value, json};
use support::TempDir;

const RESOURCE: &str = "configmaps";

fn cm(namespace: &str, name: &str) -> ObjectKey {
    ObjectKey::namespaced(RESOURCE, namespace, name)
}

/// A ConfigMap whose JSON is about `bytes` long.
fn sized(namespace: &str, name: &str, bytes: usize, generation: u64) -> Value {
    json!({
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": {"generation": generation.to_string(), "filler": "x".repeat(bytes)},
    })
}

/// The size an event must report: the JSON text of its object plus the state it replaced.
fn text_size(event: &Event) -> usize {
    event.object.to_string().len() + event.previous.as_ref().map_or(0, |p| p.to_string().len())
}

/// The oldest resourceVersion a watch can start after, as the store reports it.
fn oldest(store: &Store) -> u64 {
    match store.events_since(RESOURCE, None, 0) {
        Ok(_) => 0,
        Err(Error::Expired { oldest, .. }) => oldest,
        Err(other) => panic!("{other:?}"),
    }
}

/// Checks the history invariants after a write: contiguous up to the revision, within both bounds, expired below.
fn check_history(store: &Store, options: &Options) {
    let oldest = oldest(store);
    let history = store.events_since(RESOURCE, None, oldest).unwrap();
    let rvs: Vec<u64> = history.iter().map(|e| e.resource_version).collect();
    let contiguous: Vec<u64> = (oldest + 1..=store.current_revision()).collect();
    assert_eq!(rvs, contiguous, "a contiguous range ending at the revision");
    let bytes: usize = history.iter().map(|e| e.size).sum();
    assert!(
        bytes as u64 <= options.history_bytes || history.len() == 1,
        "{bytes} bytes in {} events, budget {}",
        history.len(),
        options.history_bytes
    );
    assert!(history.len() as u64 <= options.history_window + options.compact_every);
    if oldest > 0 {
        let err = store.events_since(RESOURCE, None, oldest - 1).unwrap_err();
        assert!(matches!(err, Error::Expired { requested, oldest: o } if requested == oldest - 1 && o == oldest));
    }
    for event in &history {
        assert_eq!(event.size, text_size(event), "the stored size of rv {}", event.resource_version);
    }
}

/// Issue 7: 10,607 history events of 1 MB ConfigMaps held 1.87 GB. The byte budget holds on every write, beside the
/// event window, with the running total carried across a restart.
#[test]
fn history_is_bounded_by_bytes_as_well_as_events() {
    let dir = TempDir::new("history-bytes");
    let options = Options { history_window: 40, history_bytes: 30_000, compact_every: 10, ..Options::default() };
    let mut generation = 0;
    for round in 0..2 {
        // A new Store each round: the second starts from the total it reads from the table.
        let store = Store::open_with(&dir.db(), options.clone()).unwrap();
        for i in 0..30 {
            generation += 1;
            let name = format!("cm-{}", i % 7);
            let key = cm("default", &name);
            // Sizes vary from small to a fifth of the budget, so both bounds take turns.
            let object = sized("default", &name, 100 + (i * 997) % 6_000, generation);
            let event = match store.get(&key).unwrap() {
                None => store.create(&key, object).unwrap(),
                Some(_) if i % 5 == 4 => store.delete(&key, None).unwrap(),
                Some(_) => store.update(&key, object, None).unwrap(),
            };
            assert_eq!(event.size, text_size(&event), "the write reports its size");
            check_history(&store, &options);
        }
        assert!(oldest(&store) > 0, "round {round}: the history was compacted");
    }

    // A single event larger than the whole budget is kept alone, so a watch from just before it can start.
    let store = Store::open_with(&dir.db(), options).unwrap();
    let big = store.create(&cm("default", "big"), sized("default", "big", 50_000, 0)).unwrap();
    assert_eq!(oldest(&store), big.resource_version - 1);
    assert_eq!(store.events_since(RESOURCE, None, big.resource_version - 1).unwrap(), vec![big]);
}

#[test]
fn events_page_reads_the_history_in_bounded_pages() {
    let dir = TempDir::new("events-page");
    let store = Store::open(&dir.db()).unwrap();
    for i in 0..40_u64 {
        let namespace = if i % 3 == 0 { "a" } else { "b" };
        let name = format!("cm-{}", i % 4);
        let key = cm(namespace, &name);
        let object = sized(namespace, &name, (i as usize * 131) % 900, i);
        match store.get(&key).unwrap() {
            None => store.create(&key, object).unwrap(),
            Some(_) if i % 7 == 0 => store.delete(&key, None).unwrap(),
            Some(_) => store.update(&key, object, None).unwrap(),
        };
        if i % 5 == 0 {
            store.create(&ObjectKey::namespaced("secrets", namespace, format!("s-{i}")), json!({})).unwrap();
        }
    }
    for namespace in [None, Some("a"), Some("b")] {
        for after in [0, 10, 30] {
            let all = store.events_since(RESOURCE, namespace, after).unwrap();
            for (max_events, max_bytes) in [(1, usize::MAX), (3, usize::MAX), (100, 1), (100, 2_000), (4, 3_000)] {
                let mut paged = Vec::new();
                let mut from = after;
                loop {
                    let page = store.events_page(RESOURCE, namespace, from, max_events, max_bytes).unwrap();
                    let Some(last) = page.last() else { break };
                    from = last.resource_version;
                    let bytes: usize = page.iter().map(|e| e.size).sum();
                    assert!(page.len() <= max_events && (bytes <= max_bytes || page.len() == 1), "{bytes} bytes");
                    paged.extend(page);
                }
                assert_eq!(paged, all, "{namespace:?} after {after}, {max_events} events, {max_bytes} bytes");
            }
        }
    }
    assert!(store.events_page(RESOURCE, None, store.current_revision(), 10, 10).unwrap().is_empty(), "caught up");
    let first = store.events_page(RESOURCE, None, 0, 0, 0).unwrap();
    assert_eq!(first.len(), 1, "at least one event, however small the bounds");

    let dir = TempDir::new("events-page-expired");
    let options = Options { history_window: 2, compact_every: 1, ..Options::default() };
    let store = Store::open_with(&dir.db(), options).unwrap();
    for i in 0..5 {
        store.create(&cm("a", &format!("cm-{i}")), json!({})).unwrap();
    }
    let err = store.events_page(RESOURCE, None, 2, 10, 10_000).unwrap_err();
    assert!(matches!(err, Error::Expired { requested: 2, oldest: 3 }), "{err:?}");
}

/// The version 2 layout, as knet wrote it before issue 7: no `events.size`, no key index, no auto-vacuum.
const SCHEMA_2: &str = "
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (2);
CREATE TABLE revision (rv INTEGER NOT NULL);
CREATE TABLE objects (
    resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, rv INTEGER NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (resource, namespace, name)
);
CREATE TABLE events (
    rv INTEGER PRIMARY KEY, kind INTEGER NOT NULL, resource TEXT NOT NULL, namespace TEXT NOT NULL,
    name TEXT NOT NULL, value TEXT NOT NULL, previous TEXT
);
CREATE INDEX events_by_resource ON events (resource, rv);
";

/// A schema-2 file is migrated to 3: history sizes computed from the stored texts, the file vacuumed into
/// `auto_vacuum = INCREMENTAL`, and its history usable for lists at earlier resourceVersions, except before a row
/// that lacks its previous state (history migrated from schema 1), which is expired.
#[test]
fn schema_2_is_migrated_to_3() {
    let dir = TempDir::new("schema-2");
    let raw = rusqlite::Connection::open(dir.db()).unwrap();
    raw.pragma_update(None, "journal_mode", "WAL").unwrap();
    raw.execute_batch(SCHEMA_2).unwrap();
    let object = |name: &str, data: &str, rv: u64| {
        json!({"metadata": {"name": name, "namespace": "ns", "resourceVersion": rv.to_string()}, "data": {"k": data}})
            .to_string()
    };
    // rv 1: create one (v1); rv 2: create two; rv 3: update one, previous unknown (schema 1); rv 4: update two.
    let events: [(i64, i64, &str, String, Option<String>); 4] = [
        (1, 1, "one", object("one", "v1", 1), None),
        (2, 1, "two", object("two", "v1", 2), None),
        (3, 2, "one", object("one", "v2", 3), None),
        (4, 2, "two", object("two", "ü2", 4), Some(object("two", "v1", 2))),
    ];
    for (rv, kind, name, value, previous) in &events {
        raw.execute(
            "INSERT INTO events VALUES (?1, ?2, 'configmaps', 'ns', ?3, ?4, ?5)",
            rusqlite::params![rv, kind, name, value, previous],
        )
        .unwrap();
    }
    raw.execute_batch("INSERT INTO revision VALUES (4)").unwrap();
    raw.execute("INSERT INTO objects VALUES ('configmaps', 'ns', 'one', 3, ?1)", [&events[2].3]).unwrap();
    raw.execute("INSERT INTO objects VALUES ('configmaps', 'ns', 'two', 4, ?1)", [&events[3].3]).unwrap();
    let auto_vacuum: i64 = raw.query_row("PRAGMA auto_vacuum", [], |row| row.get(0)).unwrap();
    assert_eq!(auto_vacuum, 0, "a schema-2 file was not vacuumable");
    drop(raw);

    let store = Store::open(&dir.db()).unwrap();
    let history = store.events_since(RESOURCE, None, 0).unwrap();
    let sizes: Vec<usize> = history.iter().map(|e| e.size).collect();
    let expected: Vec<usize> = events
        .iter()
        .map(|(_, _, _, value, previous)| value.len() + previous.as_ref().map_or(0, String::len))
        .collect();
    assert_eq!(sizes, expected, "bytes, not characters: one value holds a two-byte ü");
    assert_eq!(history[3].kind, EventKind::Modified);

    let summary = |at: u64| -> Result<Vec<String>, Error> {
        let page = store.list_at(RESOURCE, None, at, None)?;
        Ok(page.items.iter().map(|o| format!("{}={}", o["metadata"]["name"], o["data"]["k"])).collect())
    };
    assert_eq!(summary(4).unwrap(), [r#""one"="v2""#, r#""two"="ü2""#]);
    assert_eq!(summary(3).unwrap(), [r#""one"="v2""#, r#""two"="v1""#]);
    let err = summary(2).unwrap_err();
    assert!(matches!(err, Error::Expired { requested: 2, oldest: 3 }), "rv 3 lacks the state it replaced: {err:?}");
    drop(store);

    let raw = rusqlite::Connection::open(dir.db()).unwrap();
    let auto_vacuum: i64 = raw.query_row("PRAGMA auto_vacuum", [], |row| row.get(0)).unwrap();
    assert_eq!(auto_vacuum, 2, "INCREMENTAL after the migration");
    let version: i64 = raw.query_row("SELECT version FROM schema_version", [], |row| row.get(0)).unwrap();
    assert_eq!(version, 3);
    let total: i64 = raw.query_row("SELECT history_bytes FROM revision", [], |row| row.get(0)).unwrap();
    assert_eq!(total as usize, expected.iter().sum::<usize>(), "the running total starts from the migrated history");
    let indexes: Vec<String> = raw
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'events' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(indexes, ["events_by_key", "events_by_resource"]);
}
