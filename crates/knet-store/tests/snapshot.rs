//! Lists at a resourceVersion: `list_at`, continue tokens that keep the first page's resourceVersion, expiry and the
//! inconsistent continue, and a property test against a model that records the state after every write.

mod support;

use std::collections::BTreeMap;

use knet_store::{Error, ListPage, ObjectKey, Options, Store, inconsistent_continue};
use proptest::prelude::*;
use serde_json::Value;
use support::{TempDir, config_map};

const RESOURCE: &str = "configmaps";

fn key(namespace: Option<&str>, name: &str) -> ObjectKey {
    match namespace {
        Some(namespace) => ObjectKey::namespaced(RESOURCE, namespace, name),
        None => ObjectKey::cluster(RESOURCE, name),
    }
}

/// `(namespace, name, data.key)` of each item, for readable assertions.
fn summary(items: &[Value]) -> Vec<(String, String, String)> {
    items
        .iter()
        .map(|o| {
            let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
            (text(&o["metadata"]["namespace"]), text(&o["metadata"]["name"]), text(&o["data"]["key"]))
        })
        .collect()
}

/// Every page of a list at `at` (or the current state), `limit` items at a time.
fn all_pages(store: &Store, namespace: Option<&str>, at: Option<u64>, limit: usize) -> Result<Vec<ListPage>, Error> {
    let mut pages = vec![match at {
        Some(at) => store.list_at(RESOURCE, namespace, at, Some(limit))?,
        None => store.list(RESOURCE, namespace, None, Some(limit))?,
    }];
    while let Some(token) = pages.last().and_then(|page| page.continue_token.clone()) {
        pages.push(store.list(RESOURCE, namespace, Some(&token), Some(limit))?);
    }
    Ok(pages)
}

fn items(pages: &[ListPage]) -> Vec<(String, String, String)> {
    pages.iter().flat_map(|page| summary(&page.items)).collect()
}

fn row(namespace: &str, name: &str, data: &str) -> (String, String, String) {
    (namespace.to_owned(), name.to_owned(), data.to_owned())
}

#[test]
fn list_at_shows_each_earlier_state() {
    let dir = TempDir::new("list-at");
    let store = Store::open(&dir.db()).unwrap();
    for (namespace, name) in [("a", "one"), ("a", "two"), ("b", "three")] {
        store.create(&key(Some(namespace), name), config_map(namespace, name, "v1")).unwrap(); // rv 1, 2, 3
    }
    store.update(&key(Some("a"), "two"), config_map("a", "two", "v2"), None).unwrap(); // rv 4
    store.delete(&key(Some("a"), "one"), None).unwrap(); // rv 5
    store.create(&key(Some("b"), "four"), config_map("b", "four", "v1")).unwrap(); // rv 6
    store.create(&key(Some("a"), "one"), config_map("a", "one", "again")).unwrap(); // rv 7
    store.create(&ObjectKey::namespaced("secrets", "a", "s"), config_map("a", "s", "other")).unwrap(); // rv 8

    let expected = [
        (0, vec![]),
        (1, vec![row("a", "one", "v1")]),
        (3, vec![row("a", "one", "v1"), row("a", "two", "v1"), row("b", "three", "v1")]),
        (4, vec![row("a", "one", "v1"), row("a", "two", "v2"), row("b", "three", "v1")]),
        (5, vec![row("a", "two", "v2"), row("b", "three", "v1")]),
        (6, vec![row("a", "two", "v2"), row("b", "four", "v1"), row("b", "three", "v1")]),
        (7, vec![row("a", "one", "again"), row("a", "two", "v2"), row("b", "four", "v1"), row("b", "three", "v1")]),
        (8, vec![row("a", "one", "again"), row("a", "two", "v2"), row("b", "four", "v1"), row("b", "three", "v1")]),
    ];
    for (at, rows) in &expected {
        for limit in [1, 2, 10] {
            let pages = all_pages(&store, None, Some(*at), limit).unwrap();
            assert_eq!(items(&pages), *rows, "at {at}, limit {limit}");
            assert!(pages.iter().all(|page| page.resource_version == *at), "every page shows {at}");
            let in_a: Vec<_> = rows.iter().filter(|(namespace, _, _)| namespace == "a").cloned().collect();
            assert_eq!(items(&all_pages(&store, Some("a"), Some(*at), limit).unwrap()), in_a, "a at {at}");
        }
    }
    // Items keep the resourceVersion they had at the time, not the current one.
    let at_4 = store.list_at(RESOURCE, Some("a"), 4, None).unwrap();
    let rvs: Vec<_> = at_4.items.iter().map(|o| o["metadata"]["resourceVersion"].clone()).collect();
    assert_eq!(rvs, ["1", "4"]);

    let err = store.list_at(RESOURCE, None, 9, None).unwrap_err();
    assert!(matches!(err, Error::FutureResourceVersion { requested: 9, current: 8 }), "{err:?}");
    assert_eq!(err.to_string(), "too large resource version: 9, current: 8");
}

#[test]
fn a_continued_list_keeps_its_resource_version_until_the_history_expires() {
    let dir = TempDir::new("continue");
    let options = Options { history_window: 3, compact_every: 1, ..Options::default() };
    let store = Store::open_with(&dir.db(), options).unwrap();
    for name in ["a", "b", "c", "d"] {
        store.create(&key(None, name), config_map("", name, "v1")).unwrap(); // rv 1..=4
    }
    let first = store.list(RESOURCE, None, None, Some(2)).unwrap();
    assert_eq!((summary(&first.items).len(), first.resource_version), (2, 4));
    let token = first.continue_token.unwrap();

    // Changes after the first page: behind the cursor, ahead of it, new keys on both sides.
    store.update(&key(None, "c"), config_map("", "c", "v2"), None).unwrap(); // rv 5
    store.delete(&key(None, "d"), None).unwrap(); // rv 6
    let second = store.list(RESOURCE, None, Some(&token), Some(2)).unwrap();
    assert_eq!(summary(&second.items), [row("", "c", "v1"), row("", "d", "v1")]);
    assert_eq!((second.resource_version, second.continue_token), (4, None));

    // Three more writes compact the history past rv 4: the token has expired, and its remedy reads the present.
    for name in ["e", "f", "0"] {
        store.create(&key(None, name), config_map("", name, "v1")).unwrap(); // rv 7..=9
    }
    let err = store.list(RESOURCE, None, Some(&token), Some(2)).unwrap_err();
    assert!(matches!(err, Error::Expired { requested: 4, oldest: 6 }), "{err:?}");
    let err = store.list_at(RESOURCE, None, 5, None).unwrap_err();
    assert!(matches!(err, Error::Expired { requested: 5, oldest: 6 }), "{err:?}");
    let latest = inconsistent_continue(&token).unwrap();
    let rest = all_pages_from(&store, &latest, 1);
    assert_eq!(items(&rest), [row("", "c", "v2"), row("", "e", "v1"), row("", "f", "v1")]);
    assert!(rest.iter().all(|page| page.resource_version == 9), "the present, then the same state");
    assert!(matches!(store.list(RESOURCE, None, Some("djEAYQBi"), None), Err(Error::InvalidContinue { .. })));
}

fn all_pages_from(store: &Store, token: &str, limit: usize) -> Vec<ListPage> {
    let mut pages = vec![store.list(RESOURCE, None, Some(token), Some(limit)).unwrap()];
    while let Some(token) = pages.last().and_then(|page| page.continue_token.clone()) {
        pages.push(store.list(RESOURCE, None, Some(&token), Some(limit)).unwrap());
    }
    pages
}

/// One write of the model: `key` picks one of the keys, `resource` writes to another resource instead (which no
/// list of `RESOURCE` may show), `delete` deletes an existing object instead of updating it.
#[derive(Debug, Clone)]
struct Op {
    key: usize,
    other_resource: bool,
    delete: bool,
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(
        (0..KEYS.len(), proptest::bool::weighted(0.1), proptest::bool::ANY)
            .prop_map(|(key, other_resource, delete)| Op { key, other_resource, delete }),
        1..40,
    )
}

/// The key space: cluster-scoped keys sort before namespaced ones (namespace `""`).
const KEYS: [(Option<&str>, &str); 7] = [
    (None, "m"),
    (Some("a"), "x"),
    (Some("a"), "y"),
    (Some("a"), "z"),
    (Some("b"), "x"),
    (Some("b"), "y"),
    (None, "n"),
];

const WINDOW: u64 = 12;
const COMPACT_EVERY: u64 = 3;

/// The model: the state of `RESOURCE` after every write (index = resourceVersion), as `(namespace, name) -> object`.
struct Model {
    states: Vec<BTreeMap<(String, String), Value>>,
}

impl Model {
    fn apply(&mut self, store: &Store, op: &Op) {
        let (namespace, name) = KEYS[op.key];
        let mut state = self.states.last().cloned().unwrap_or_default();
        let resource = if op.other_resource { "secrets" } else { RESOURCE };
        let key =
            ObjectKey { resource: resource.to_owned(), namespace: namespace.map(str::to_owned), name: name.into() };
        let generation = self.states.len().to_string();
        let exists = store.get(&key).unwrap().is_some();
        let event = match (exists, op.delete) {
            (false, _) => store.create(&key, config_map(namespace.unwrap_or(""), name, &generation)).unwrap(),
            (true, false) => store.update(&key, config_map(namespace.unwrap_or(""), name, &generation), None).unwrap(),
            (true, true) => store.delete(&key, None).unwrap(),
        };
        assert_eq!(event.resource_version, self.states.len() as u64, "dense resourceVersions");
        if !op.other_resource {
            let map_key = (namespace.unwrap_or("").to_owned(), name.to_owned());
            match (exists, op.delete) {
                (true, true) => state.remove(&map_key),
                _ => state.insert(map_key, event.object),
            };
        }
        self.states.push(state);
    }

    fn revision(&self) -> u64 {
        self.states.len() as u64 - 1
    }

    /// The oldest resourceVersion a list can read at, by the compaction rule: every `COMPACT_EVERY`-th write deletes
    /// the events older than the last `WINDOW`.
    fn oldest(&self) -> u64 {
        let revision = self.revision();
        let last_compaction = revision - revision % COMPACT_EVERY;
        last_compaction.saturating_sub(WINDOW)
    }

    fn expected(&self, at: u64, namespace: Option<&str>) -> Vec<Value> {
        self.states[at as usize]
            .iter()
            .filter(|((ns, _), _)| namespace.is_none_or(|namespace| namespace == ns))
            .map(|(_, object)| object.clone())
            .collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, failure_persistence: None, ..ProptestConfig::default() })]

    /// Paging through a list at any resourceVersion the history still covers returns exactly the recorded state at
    /// it, in key order, even when writes (and compactions) happen between the pages; older ones are expired.
    #[test]
    fn pages_at_a_resource_version_show_exactly_the_state_then(
        before in ops(),
        between in ops(),
        queries in proptest::collection::vec(
            (0.0..=1.0_f64, 1..5_usize, proptest::option::of(proptest::sample::select(vec!["a", "b", ""]))),
            1..6,
        ),
    ) {
        let dir = TempDir::new("snapshot-prop");
        let options = Options { history_window: WINDOW, compact_every: COMPACT_EVERY, ..Options::default() };
        let store = Store::open_with(&dir.db(), options).unwrap();
        let mut model = Model { states: vec![BTreeMap::new()] };
        for op in &before {
            model.apply(&store, op);
        }
        let mut between = between.iter();
        for (fraction, limit, namespace) in queries {
            let at = (fraction * model.revision() as f64).round() as u64;
            let expected = model.expected(at, namespace);
            let mut got = Vec::new();
            let mut page = store.list_at(RESOURCE, namespace, at, Some(limit));
            loop {
                let oldest = model.oldest();
                if at < oldest {
                    let reported = match &page {
                        Err(Error::Expired { requested, oldest }) => Some((*requested, *oldest)),
                        _ => None,
                    };
                    prop_assert_eq!(reported, Some((at, oldest)), "at {} below {}: {:?}", at, oldest, page);
                    break;
                }
                let listed = page.unwrap();
                prop_assert_eq!(listed.resource_version, at);
                prop_assert!(listed.items.len() <= limit);
                got.extend(listed.items);
                let Some(token) = listed.continue_token else {
                    prop_assert_eq!(&got, &expected, "at {} in {:?}, limit {}", at, namespace, limit);
                    break;
                };
                // A write or two between pages: the next page must not see them.
                for op in between.by_ref().take(2) {
                    model.apply(&store, op);
                }
                page = store.list(RESOURCE, namespace, Some(&token), Some(limit));
            }
        }
    }
}
