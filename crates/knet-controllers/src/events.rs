//! Events for notable actions, written as core/v1 Events (what `kubectl describe` lists under "Events:"), named as
//! client-go names them (`<object>.<hex nanoseconds>`, so they list in the order they happened), and aggregated as
//! client-go aggregates them: the same event again for the same object bumps `count` and `lastTimestamp` of the
//! first one instead of adding another.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, Resource, ResourceExt};

/// How many distinct events the recorder remembers for counting repeats.
const MAX_REMEMBERED: usize = 4096;

/// Whether an event reports the normal course of things or something a user should look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Normal,
    Warning,
}

/// Writes Events on behalf of the controllers.
#[derive(Clone)]
pub struct Recorder {
    client: Client,
    /// The name of the Event written for each (object, reason, message), and how often it happened.
    written: Arc<Mutex<HashMap<String, (String, i32)>>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

impl Recorder {
    pub fn new(client: Client) -> Recorder {
        Recorder { client, written: Arc::default() }
    }

    /// Records `reason: message` about `object`, as `component` (e.g. `deployment-controller`). Failures are
    /// reported on stderr and otherwise ignored: an event is never worth failing a reconcile for.
    pub async fn record<K>(&self, component: &str, object: &K, kind: Type, reason: &str, message: &str)
    where
        K: Resource<DynamicType = ()>,
    {
        match self.try_record(component, object, kind, reason, message).await {
            Ok(()) => {}
            // A namespace being deleted takes no new events; there is no one left to read them.
            Err(kube::Error::Api(status)) if status.code == 403 => {}
            Err(error) => {
                eprintln!("knet: {component}: recording event {reason} for {}: {error}", object.name_any());
            }
        }
    }

    /// Records the event unless `object` already has one with this reason and message (written before a restart,
    /// say): for what happens once in an object's life.
    pub async fn record_once<K>(
        &self,
        component: &str,
        object: &K,
        kind: Type,
        reason: &str,
        message: &str,
    ) -> kube::Result<()>
    where
        K: Resource<DynamicType = ()>,
    {
        let Some(uid) = object.uid() else { return Ok(()) };
        let namespace = object.namespace().unwrap_or_else(|| "default".to_owned());
        let api: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
        let fields = format!("involvedObject.uid={uid},reason={reason}");
        let existing = api.list(&kube::api::ListParams::default().fields(&fields)).await?;
        if existing.items.iter().any(|e| e.message.as_deref() == Some(message)) {
            return Ok(());
        }
        self.record(component, object, kind, reason, message).await;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, i32)>> {
        self.written.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn try_record<K>(
        &self,
        component: &str,
        object: &K,
        kind: Type,
        reason: &str,
        message: &str,
    ) -> kube::Result<()>
    where
        K: Resource<DynamicType = ()>,
    {
        let namespace = object.namespace().unwrap_or_else(|| "default".to_owned());
        let api: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
        let involved = ObjectReference {
            api_version: Some(K::api_version(&()).into_owned()),
            kind: Some(K::kind(&()).into_owned()),
            name: Some(object.name_any()),
            namespace: object.namespace(),
            uid: object.uid(),
            resource_version: object.resource_version(),
            ..Default::default()
        };
        let key = format!("{:?}/{:?}/{:?}/{reason}/{message}", involved.kind, involved.namespace, involved.uid);
        let timestamp = Timestamp::now();
        let now = Time(timestamp);
        let seen = self.lock().get(&key).cloned();
        if let Some((name, count)) = seen {
            let patch = serde_json::json!({ "count": count + 1, "lastTimestamp": now });
            match api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                Ok(_) => {
                    self.lock().insert(key, (name, count + 1));
                    return Ok(());
                }
                // Deleted meanwhile (with its namespace, say): write it anew.
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(error) => return Err(error),
            }
        }
        let name = format!("{}.{:x}", object.name_any(), timestamp.as_nanosecond());
        {
            let mut written = self.lock();
            // client-go keeps a bounded cache too: past it, a repeat starts a new Event instead of counting.
            if written.len() >= MAX_REMEMBERED {
                written.clear();
            }
            written.insert(key, (name.clone(), 1));
        }
        let event = Event {
            metadata: ObjectMeta { name: Some(name), namespace: Some(namespace), ..Default::default() },
            involved_object: involved,
            reason: Some(reason.to_owned()),
            message: Some(message.to_owned()),
            type_: Some(
                match kind {
                    Type::Normal => "Normal",
                    Type::Warning => "Warning",
                }
                .to_owned(),
            ),
            count: Some(1),
            first_timestamp: Some(now.clone()),
            last_timestamp: Some(now.clone()),
            event_time: None::<MicroTime>,
            source: Some(EventSource { component: Some(component.to_owned()), host: None }),
            reporting_component: Some(component.to_owned()),
            reporting_instance: Some(component.to_owned()),
            ..Default::default()
        };
        match api.create(&PostParams::default(), &event).await {
            Ok(_) => Ok(()),
            Err(error) => Err(error),
        }
    }
}
