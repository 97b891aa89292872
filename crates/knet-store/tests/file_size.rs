//! The file shrinks back after churn: large objects created, updated and deleted leave a database file plus `-wal`
//! within a small multiple of what the store still holds, measured on the real files.

mod support;

use std::path::Path;

use knet_store::{ObjectKey, Options, Store};
use serde_json::json;
use support::TempDir;

const MIB: u64 = 1024 * 1024;

/// The database file plus its `-wal`, in bytes.
fn on_disk(db: &Path) -> u64 {
    let len = |path: &Path| std::fs::metadata(path).map_or(0, |m| m.len());
    len(db) + len(&db.with_extension("db-wal"))
}

/// Issue 7: after 300 ConfigMaps of 1 MB were created, updated and deleted, the file stayed at its peak of gigabytes.
/// Scaled down here (48 objects of 512 KiB, updated once, 4 MiB of history) to keep the test quick, with the same
/// shape: the peak holds 24 MiB of objects, the end none. `knet-store-bench churn` runs the full size.
#[test]
fn the_file_shrinks_back_after_large_writes_and_deletes() {
    const OBJECTS: usize = 48;
    const UPDATES: usize = 1;
    let dir = TempDir::new("file-size");
    let db = dir.db();
    let options = Options { history_bytes: 4 * MIB, ..Options::default() };
    let store = Store::open_with(&db, options).unwrap();
    let key = |i: usize| ObjectKey::namespaced("configmaps", "churn", format!("cm-{i:03}"));
    let object = |i: usize, generation: usize| {
        // Distinct text on every write, so nothing is shared between versions.
        let filler = format!("{i:03}-{generation}-").repeat(512 * 1024 / 6);
        json!({"kind": "ConfigMap", "metadata": {"name": format!("cm-{i:03}")}, "data": {"filler": filler}})
    };

    let mut peak = 0;
    for generation in 0..=UPDATES {
        for i in 0..OBJECTS {
            if generation == 0 {
                store.create(&key(i), object(i, generation)).unwrap();
            } else {
                store.update(&key(i), object(i, generation), None).unwrap();
            }
            peak = peak.max(on_disk(&db));
        }
    }
    for i in 0..OBJECTS {
        store.delete(&key(i), None).unwrap();
        peak = peak.max(on_disk(&db));
    }
    // What the store still holds: no objects, and the history within its budget.
    let oldest = match store.events_since("configmaps", None, 0) {
        Err(knet_store::Error::Expired { oldest, .. }) => oldest,
        other => panic!("the history was compacted by bytes: {other:?}"),
    };
    let live: u64 = store.events_since("configmaps", None, oldest).unwrap().iter().map(|e| e.size as u64).sum();
    assert!(live <= 4 * MIB, "{live}");
    assert!(store.list("configmaps", None, None, None).unwrap().items.is_empty());

    let after = on_disk(&db);
    eprintln!("peak {:.1} MiB, after the churn {:.1} MiB, live {:.1} MiB", mib(peak), mib(after), mib(live));
    assert!(peak > 24 * MIB, "the peak held every object: {:.1} MiB", mib(peak));
    // A small multiple of the live data plus a constant: the WAL's size limit (4 MiB) and the free pages a file may
    // keep for reuse (4 MiB, or a quarter of the file).
    assert!(after <= 2 * live + 8 * MIB, "after the churn {:.1} MiB, live {:.1} MiB", mib(after), mib(live));

    // The file is whole: reopened, every write counted, SQLite's own check passes.
    drop(store);
    let store = Store::open(&db).unwrap();
    assert_eq!(store.current_revision(), (OBJECTS * (UPDATES + 2)) as u64);
    let integrity: String =
        rusqlite::Connection::open(&db).unwrap().query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap();
    assert_eq!(integrity, "ok");
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / MIB as f64
}

/// The disk a client can fill is bounded: past `quota_bytes` of pages in use, creates and updates are refused with
/// `QuotaExceeded` and leave nothing behind, deletes still go through, and the room they make is usable again.
#[test]
fn writes_past_the_quota_are_refused_and_deletes_make_room() {
    let dir = TempDir::new("quota");
    let options = Options { quota_bytes: 4 * MIB, history_bytes: MIB, ..Options::default() };
    let store = Store::open_with(&dir.db(), options).unwrap();
    let key = |i: usize| ObjectKey::namespaced("configmaps", "quota", format!("cm-{i:03}"));
    let object = |i: usize| json!({"metadata": {"name": format!("cm-{i:03}")}, "data": {"v": "q".repeat(256 * 1024)}});
    let mut stored = 0;
    let refused = loop {
        match store.create(&key(stored), object(stored)) {
            Ok(_) => stored += 1,
            Err(error) => break error,
        }
        assert!(stored < 100, "the quota stops the writes long before 25 MiB");
    };
    let knet_store::Error::QuotaExceeded { used, quota } = refused else { panic!("{refused:?}") };
    assert_eq!(quota, 4 * MIB);
    assert!(used > quota, "{used}");
    assert!(stored >= 8, "the quota is what stops them: {stored} stored");
    let revision = store.current_revision();
    assert!(store.get(&key(stored)).unwrap().is_none(), "the refused create left nothing");
    assert!(matches!(store.update(&key(0), object(0), None), Err(knet_store::Error::QuotaExceeded { .. })));
    for i in 0..stored / 2 {
        store.delete(&key(i), None).expect("deletes always go through");
    }
    assert_eq!(store.current_revision(), revision + (stored / 2) as u64);
    store.create(&key(stored), object(stored)).expect("the deletes made room");
}
