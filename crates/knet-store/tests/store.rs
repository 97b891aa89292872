//! The store's contract: CRUD, preconditions, resourceVersions across restarts, pagination, history, concurrency.

mod support;

use std::sync::{Arc, Mutex};

use knet_store::{Error, EventKind, ObjectKey, Options, Store};
use serde_json::{Value, json};
use support::{TempDir, config_map, embedded_rv};

fn cm(namespace: &str, name: &str) -> ObjectKey {
    ObjectKey::namespaced("configmaps", namespace, name)
}

#[test]
fn the_store_is_shared_across_threads_by_cloning() {
    fn send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    send_sync_clone::<Store>();
}

#[test]
fn create_get_update_delete() {
    let dir = TempDir::new("crud");
    let store = Store::open(&dir.db()).unwrap();
    assert_eq!(store.current_revision(), 0);
    let key = cm("default", "settings");

    let added = store.create(&key, config_map("default", "settings", "one")).unwrap();
    assert_eq!((added.kind, added.resource_version, &added.key), (EventKind::Added, 1, &key));
    assert_eq!(added.object["metadata"]["resourceVersion"], "1");
    assert_eq!(store.get(&key).unwrap(), Some(added.object.clone()));
    assert_eq!(store.current_revision(), 1);

    let modified = store.update(&key, config_map("default", "settings", "two"), None).unwrap();
    assert_eq!((modified.kind, modified.resource_version), (EventKind::Modified, 2));
    let stored = store.get(&key).unwrap().unwrap();
    assert_eq!((stored["data"]["key"].as_str(), embedded_rv(&stored)), (Some("two"), 2));

    let deleted = store.delete(&key, None).unwrap();
    assert_eq!((deleted.kind, deleted.resource_version), (EventKind::Deleted, 3));
    // As etcd3 reports it: the last state, stamped with the delete's own resourceVersion.
    assert_eq!(deleted.object["data"]["key"], "two");
    assert_eq!(embedded_rv(&deleted.object), 3);
    assert_eq!(store.get(&key).unwrap(), None);

    let again = store.create(&key, config_map("default", "settings", "three")).unwrap();
    assert_eq!(again.resource_version, 4);
}

#[test]
fn refusals_name_the_object_and_change_nothing() {
    let dir = TempDir::new("refusals");
    let store = Store::open(&dir.db()).unwrap();
    let key = cm("default", "settings");
    store.create(&key, config_map("default", "settings", "one")).unwrap();

    let err = store.create(&key, config_map("default", "settings", "dup")).unwrap_err();
    assert!(matches!(&err, Error::AlreadyExists { key: k } if *k == key), "{err:?}");
    assert_eq!(err.to_string(), "configmaps default/settings already exists");

    let missing = cm("default", "missing");
    let err = store.update(&missing, config_map("default", "missing", "x"), None).unwrap_err();
    assert!(matches!(&err, Error::NotFound { key: k } if *k == missing), "{err:?}");
    let err = store.delete(&missing, None).unwrap_err();
    assert!(matches!(&err, Error::NotFound { key: k } if *k == missing), "{err:?}");

    let err = store.create(&cm("default", "list"), json!([1, 2])).unwrap_err();
    assert!(matches!(err, Error::NotAnObject { .. }), "{err:?}");
    let err = store.create(&cm("default", "meta"), json!({"metadata": "no"})).unwrap_err();
    assert!(matches!(err, Error::NotAnObject { .. }), "{err:?}");
    let empty_namespace = ObjectKey { resource: "configmaps".into(), namespace: Some(String::new()), name: "x".into() };
    let err = store.create(&empty_namespace, json!({})).unwrap_err();
    assert!(matches!(err, Error::InvalidKey { .. }), "{err:?}");
    let err = store.get(&empty_namespace).unwrap_err();
    assert!(matches!(err, Error::InvalidKey { .. }), "{err:?}");
    let err = store.create(&cm("default", "a\0b"), json!({})).unwrap_err();
    assert!(matches!(err, Error::InvalidKey { .. }), "{err:?}");

    // No refused write consumed a resourceVersion: they stay dense.
    assert_eq!(store.current_revision(), 1);
    assert_eq!(store.create(&cm("default", "next"), json!({})).unwrap().resource_version, 2);
}

#[test]
fn cluster_scoped_and_namespaced_keys_do_not_collide() {
    let dir = TempDir::new("scopes");
    let store = Store::open(&dir.db()).unwrap();
    let cluster = ObjectKey::cluster("namespaces", "default");
    let namespaced = ObjectKey::namespaced("namespaces", "default", "default");
    store.create(&cluster, json!({"kind": "Namespace"})).unwrap();
    store.create(&namespaced, json!({"kind": "Odd"})).unwrap();
    assert_eq!(store.get(&cluster).unwrap().unwrap()["kind"], "Namespace");
    assert_eq!(store.get(&namespaced).unwrap().unwrap()["kind"], "Odd");
    let cluster_only = store.list("namespaces", None, None, None).unwrap();
    assert_eq!(cluster_only.items.len(), 2);
    assert_eq!(cluster_only.items[0]["kind"], "Namespace", "cluster-scoped objects sort first");
    // A metadata-less object gets one, to carry its resourceVersion.
    assert_eq!(store.get(&cluster).unwrap().unwrap()["metadata"], json!({"resourceVersion": "1"}));
}

#[test]
fn preconditions_detect_stale_copies() {
    let dir = TempDir::new("conflict");
    let store = Store::open(&dir.db()).unwrap();
    let key = cm("default", "settings");
    let created = store.create(&key, config_map("default", "settings", "one")).unwrap();
    store.create(&cm("default", "other"), json!({})).unwrap();

    let updated = store.update(&key, config_map("default", "settings", "two"), Some(created.resource_version)).unwrap();
    assert_eq!(updated.resource_version, 3);

    let err = store.update(&key, config_map("default", "settings", "stale"), Some(1)).unwrap_err();
    assert!(matches!(&err, Error::Conflict { key: k, expected: 1, actual: 3 } if *k == key), "{err:?}");
    assert_eq!(
        err.to_string(),
        "configmaps default/settings: the object has been modified (resourceVersion 3, expected 1): read it again and retry"
    );
    let err = store.delete(&key, Some(2)).unwrap_err();
    assert!(matches!(err, Error::Conflict { expected: 2, actual: 3, .. }), "{err:?}");

    assert_eq!(store.get(&key).unwrap().unwrap()["data"]["key"], "two");
    assert_eq!(store.current_revision(), 3);
    assert_eq!(store.delete(&key, Some(3)).unwrap().resource_version, 4);
}

#[test]
fn resource_versions_keep_growing_across_reopen_and_deletes() {
    let dir = TempDir::new("reopen");
    {
        let store = Store::open(&dir.db()).unwrap();
        for i in 0..5 {
            store.create(&cm("default", &format!("cm-{i}")), json!({})).unwrap();
        }
        for i in 0..5 {
            store.delete(&cm("default", &format!("cm-{i}")), None).unwrap();
        }
        assert_eq!(store.current_revision(), 10);
    }
    let store = Store::open(&dir.db()).unwrap();
    assert_eq!(store.current_revision(), 10, "the counter is persisted, not derived from the objects");
    assert_eq!(store.list("configmaps", None, None, None).unwrap().resource_version, 10);
    let event = store.create(&cm("default", "cm-0"), json!({})).unwrap();
    assert_eq!(event.resource_version, 11, "a deleted object's resourceVersion is never reused");
}

#[test]
fn list_pages_follow_namespace_then_name() {
    let dir = TempDir::new("list");
    let store = Store::open(&dir.db()).unwrap();
    let mut expected = Vec::new();
    for namespace in ["b-team", "a-team", "c-team"] {
        for i in (0..8).rev() {
            let name = format!("cm-{i}");
            store.create(&cm(namespace, &name), config_map(namespace, &name, "x")).unwrap();
            expected.push((namespace.to_owned(), name));
        }
    }
    store.create(&ObjectKey::namespaced("secrets", "a-team", "s"), json!({})).unwrap();
    expected.sort();
    let names = |items: &[Value]| -> Vec<(String, String)> {
        items
            .iter()
            .map(|o| {
                (o["metadata"]["namespace"].as_str().unwrap().into(), o["metadata"]["name"].as_str().unwrap().into())
            })
            .collect()
    };

    let all = store.list("configmaps", None, None, None).unwrap();
    assert_eq!(names(&all.items), expected);
    assert_eq!((all.resource_version, all.continue_token), (25, None));
    assert_eq!(names(&store.list("configmaps", None, None, Some(0)).unwrap().items), expected, "limit 0: no limit");

    for limit in [1, 5, 7, 8, 24, 25] {
        let mut pages = Vec::new();
        let mut token = None;
        loop {
            let page = store.list("configmaps", None, token.as_deref(), Some(limit)).unwrap();
            assert!(page.items.len() <= limit);
            assert_eq!(page.resource_version, 25);
            pages.extend(names(&page.items));
            match page.continue_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        assert_eq!(pages, expected, "limit {limit}");
    }

    let a_team: Vec<_> = expected.iter().filter(|(ns, _)| ns == "a-team").cloned().collect();
    let first = store.list("configmaps", Some("a-team"), None, Some(5)).unwrap();
    let token = first.continue_token.clone().expect("more a-team pages");
    let second = store.list("configmaps", Some("a-team"), Some(&token), Some(5)).unwrap();
    assert_eq!(second.continue_token, None, "the last page has no token, even when it is exactly full");
    assert_eq!([names(&first.items), names(&second.items)].concat(), a_team);

    // A continued page shows the state of the first page's resourceVersion: an object deleted before the next page
    // is still returned, an object created behind the cursor or ahead of it is not.
    store.delete(&cm("a-team", "cm-6"), None).unwrap();
    store.create(&cm("a-team", "cm-9"), config_map("a-team", "cm-9", "x")).unwrap();
    let rest = store.list("configmaps", Some("a-team"), Some(&token), None).unwrap();
    assert_eq!(names(&rest.items), a_team[5..]);
    assert_eq!(rest.resource_version, 25);
    // The inconsistent continue token reads the current state from the same key, and carries its resourceVersion.
    let latest = knet_store::inconsistent_continue(&token).unwrap();
    let rest = store.list("configmaps", Some("a-team"), Some(&latest), Some(1)).unwrap();
    assert_eq!(names(&rest.items), vec![("a-team".into(), "cm-5".into())]);
    assert_eq!(rest.resource_version, 27);
    let rest = store.list("configmaps", Some("a-team"), rest.continue_token.as_deref(), None).unwrap();
    assert_eq!(names(&rest.items), vec![("a-team".into(), "cm-7".into()), ("a-team".into(), "cm-9".into())]);
    assert_eq!(rest.resource_version, 27);

    let all_namespaces_token = store.list("configmaps", None, None, Some(1)).unwrap().continue_token.unwrap();
    let err = store.list("configmaps", Some("b-team"), Some(&all_namespaces_token), None).unwrap_err();
    assert!(matches!(err, Error::InvalidContinue { .. }), "a token from another namespace's list: {err:?}");
    for token in ["garbage", "", "dGVzdA"] {
        let err = store.list("configmaps", None, Some(token), None).unwrap_err();
        assert!(matches!(&err, Error::InvalidContinue { token: t } if t == token), "{err:?}");
    }
    assert!(store.list("deployments", None, None, None).unwrap().items.is_empty());
}

#[test]
fn events_since_replays_one_resource_in_order() {
    let dir = TempDir::new("events");
    let store = Store::open(&dir.db()).unwrap();
    store.create(&cm("a", "one"), config_map("a", "one", "1")).unwrap(); // rv 1
    store.create(&ObjectKey::namespaced("secrets", "a", "s"), json!({})).unwrap(); // rv 2
    store.create(&cm("b", "two"), config_map("b", "two", "1")).unwrap(); // rv 3
    store.update(&cm("a", "one"), config_map("a", "one", "2"), None).unwrap(); // rv 4
    store.delete(&cm("b", "two"), None).unwrap(); // rv 5

    let summary = |events: &[knet_store::Event]| -> Vec<(EventKind, String, u64)> {
        events.iter().map(|e| (e.kind, e.key.to_string(), e.resource_version)).collect()
    };
    let all = store.events_since("configmaps", None, 0).unwrap();
    assert_eq!(
        summary(&all),
        vec![
            (EventKind::Added, "configmaps a/one".into(), 1),
            (EventKind::Added, "configmaps b/two".into(), 3),
            (EventKind::Modified, "configmaps a/one".into(), 4),
            (EventKind::Deleted, "configmaps b/two".into(), 5),
        ]
    );
    for event in &all {
        assert_eq!(embedded_rv(&event.object), event.resource_version);
    }
    assert_eq!(all[3].object["data"]["key"], "1", "DELETED carries the last state");
    assert_eq!(
        summary(&store.events_since("configmaps", Some("a"), 1).unwrap()),
        vec![(EventKind::Modified, "configmaps a/one".into(), 4)]
    );
    assert!(store.events_since("configmaps", None, 5).unwrap().is_empty());
    assert!(store.events_since("configmaps", None, 99).unwrap().is_empty(), "a future resourceVersion: nothing yet");
    assert_eq!(summary(&store.events_since("secrets", None, 0).unwrap()).len(), 1);
}

#[test]
fn compaction_expires_old_resource_versions() {
    let dir = TempDir::new("compact");
    let options = Options { history_window: 5, compact_every: 4, ..Options::default() };
    let store = Store::open_with(&dir.db(), options.clone()).unwrap();
    for i in 1..=7 {
        store.create(&cm("a", &format!("cm-{i}")), json!({})).unwrap();
    }
    // No compaction yet at rv 4 (4 <= window), so the whole history is there.
    assert_eq!(store.events_since("configmaps", None, 0).unwrap().len(), 7);
    store.create(&cm("a", "cm-8"), json!({})).unwrap();
    // rv 8 compacted everything up to 8 - 5 = 3: a watch can start after 3, not before.
    assert_eq!(store.events_since("configmaps", None, 3).unwrap().len(), 5);
    let err = store.events_since("configmaps", None, 2).unwrap_err();
    assert!(matches!(err, Error::Expired { requested: 2, oldest: 3 }), "{err:?}");
    assert_eq!(err.to_string(), "too old resource version: 2 (3)");
    let err = store.events_since("configmaps", Some("a"), 0).unwrap_err();
    assert!(matches!(err, Error::Expired { requested: 0, oldest: 3 }), "{err:?}");

    drop(store);
    let store = Store::open_with(&dir.db(), options).unwrap();
    let err = store.events_since("configmaps", None, 2).unwrap_err();
    assert!(matches!(err, Error::Expired { requested: 2, oldest: 3 }), "the window survives a restart: {err:?}");
    let kept: Vec<u64> =
        store.events_since("configmaps", None, 3).unwrap().iter().map(|e| e.resource_version).collect();
    assert_eq!(kept, vec![4, 5, 6, 7, 8]);
}

#[test]
fn history_survives_restart() {
    let dir = TempDir::new("history");
    let before = {
        let store = Store::open(&dir.db()).unwrap();
        store.create(&cm("a", "one"), config_map("a", "one", "1")).unwrap();
        store.update(&cm("a", "one"), config_map("a", "one", "2"), None).unwrap();
        store.delete(&cm("a", "one"), None).unwrap();
        store.events_since("configmaps", None, 0).unwrap()
    };
    let store = Store::open(&dir.db()).unwrap();
    assert_eq!(store.events_since("configmaps", None, 0).unwrap(), before);
    assert_eq!(before.len(), 3);
}

#[test]
fn concurrent_writers_get_unique_increasing_resource_versions() {
    const THREADS: u64 = 4;
    const WRITES: u64 = 40;
    let dir = TempDir::new("concurrency");
    let store = Store::open(&dir.db()).unwrap();
    let hooked = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&hooked);
    store.set_commit_hook(Some(Box::new(move |event| sink.lock().unwrap().push(event.resource_version))));

    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                for i in 0..WRITES {
                    let key = cm(&format!("ns-{t}"), &format!("cm-{}", i % 5));
                    let event = if i < 5 {
                        store.create(&key, json!({})).unwrap()
                    } else {
                        store.update(&key, json!({"i": i}), None).unwrap()
                    };
                    // Every read sees at least this thread's own write.
                    assert!(store.current_revision() >= event.resource_version);
                    assert!(embedded_rv(&store.get(&key).unwrap().unwrap()) >= event.resource_version);
                    seen.push(event.resource_version);
                }
                seen
            })
        })
        .collect();
    let mut all = Vec::new();
    for handle in handles {
        let seen = handle.join().unwrap();
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "each thread's writes are ordered: {seen:?}");
        all.extend(seen);
    }
    all.sort_unstable();
    let dense: Vec<u64> = (1..=THREADS * WRITES).collect();
    assert_eq!(all, dense, "unique and dense");
    assert_eq!(*hooked.lock().unwrap(), dense, "the hook sees every commit in order");
    let history: Vec<u64> =
        store.events_since("configmaps", None, 0).unwrap().iter().map(|e| e.resource_version).collect();
    assert_eq!(history, dense);
}

#[test]
fn restart_preserves_every_object() {
    let dir = TempDir::new("restart");
    let mut written = Vec::new();
    {
        let store = Store::open(&dir.db()).unwrap();
        for i in 0..1_000 {
            let (namespace, name) = (format!("ns-{}", i % 7), format!("cm-{i:04}"));
            written.push(store.create(&cm(&namespace, &name), config_map(&namespace, &name, &i.to_string())).unwrap());
        }
    }
    let raw = rusqlite::Connection::open(dir.db()).unwrap();
    let mode: String = raw.query_row("PRAGMA journal_mode", [], |row| row.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let auto_vacuum: i64 = raw.query_row("PRAGMA auto_vacuum", [], |row| row.get(0)).unwrap();
    assert_eq!(auto_vacuum, 2, "a new file is incrementally vacuumable from its first table");
    drop(raw);

    let store = Store::open(&dir.db()).unwrap();
    let page = store.list("configmaps", None, None, None).unwrap();
    written.sort_by(|a, b| a.key.cmp(&b.key));
    let expected: Vec<Value> = written.into_iter().map(|e| e.object).collect();
    assert_eq!(page.items, expected);
    assert_eq!(page.resource_version, 1_000);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = TempDir::new("schema");
    drop(Store::open(&dir.db()).unwrap());
    let raw = rusqlite::Connection::open(dir.db()).unwrap();
    raw.execute("UPDATE schema_version SET version = 99", []).unwrap();
    drop(raw);
    let err = Store::open(&dir.db()).unwrap_err();
    assert!(matches!(err, Error::SchemaTooNew { found: 99, supported: 3, .. }), "{err:?}");
}

/// Each history event carries the state its write replaced; a file of schema 1 (without it) is migrated, its old
/// history kept with the previous state unknown.
#[test]
fn history_keeps_the_replaced_state_and_schema_1_is_migrated() {
    let dir = TempDir::new("previous");
    let key = cm("default", "settings");
    {
        let store = Store::open(&dir.db()).unwrap();
        let created = store.create(&key, config_map("default", "settings", "one")).unwrap();
        assert_eq!(created.previous, None);
        let updated = store.update(&key, config_map("default", "settings", "two"), None).unwrap();
        assert_eq!(updated.previous.as_ref().map(|p| p["data"]["key"].clone()), Some(json!("one")));
        let history = store.events_since("configmaps", None, 0).unwrap();
        assert_eq!(history[1].previous, updated.previous);
    }

    // The same two writes in a file of schema 1, as knet wrote it then.
    let dir = TempDir::new("schema-1");
    let raw = rusqlite::Connection::open(dir.db()).unwrap();
    raw.pragma_update(None, "journal_mode", "WAL").unwrap();
    raw.execute_batch(
        "CREATE TABLE schema_version (version INTEGER NOT NULL);
         INSERT INTO schema_version (version) VALUES (1);
         CREATE TABLE revision (rv INTEGER NOT NULL);
         INSERT INTO revision (rv) VALUES (2);
         CREATE TABLE objects (resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
             rv INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY (resource, namespace, name));
         CREATE TABLE events (rv INTEGER PRIMARY KEY, kind INTEGER NOT NULL, resource TEXT NOT NULL,
             namespace TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL);
         CREATE INDEX events_by_resource ON events (resource, rv);",
    )
    .unwrap();
    let stamped = |data: &str, rv: u64| {
        let mut object = config_map("default", "settings", data);
        object["metadata"]["resourceVersion"] = json!(rv.to_string());
        object.to_string()
    };
    raw.execute("INSERT INTO events VALUES (1, 1, 'configmaps', 'default', 'settings', ?1)", [stamped("one", 1)])
        .unwrap();
    raw.execute("INSERT INTO events VALUES (2, 2, 'configmaps', 'default', 'settings', ?1)", [stamped("two", 2)])
        .unwrap();
    raw.execute("INSERT INTO objects VALUES ('configmaps', 'default', 'settings', 2, ?1)", [stamped("two", 2)])
        .unwrap();
    drop(raw);

    let store = Store::open(&dir.db()).unwrap();
    let deleted = store.delete(&key, None).unwrap();
    assert_eq!(deleted.previous.as_ref().map(|p| p["data"]["key"].clone()), Some(json!("two")));
    let history = store.events_since("configmaps", None, 0).unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(
        (history[0].previous.as_ref(), history[1].previous.as_ref()),
        (None, None),
        "unknown before the migration"
    );
    assert!(history[2].previous.is_some());
    // A list at rv 1 would need the state rv 2 replaced, which schema 1 did not keep.
    let err = store.list_at("configmaps", None, 1, None).unwrap_err();
    assert!(matches!(err, Error::Expired { requested: 1, oldest: 2 }), "{err:?}");
    assert_eq!(store.list_at("configmaps", None, 2, None).unwrap().items.len(), 1);
}
