//! The API server as a local user and a careless client meet it: the state dir and every file in it private (the store
//! with its `-wal` and `-shm` included, also when the directory already existed open to everyone), a directory that
//! cannot be made private refused; plain HTTP to the HTTPS port answered as Go answers it; the identity APIs
//! (`SelfSubjectReview`, `SelfSubjectAccessReview`, `SelfSubjectRulesReview`) naming the admin and what it may do;
//! impersonation refused, never ignored; and a resource knet does not serve named in its 404.

use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec, SelfSubjectRulesReview,
    SelfSubjectRulesReviewSpec,
};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use knet_apiserver::{Config, Error, Server};
use kube::api::{Api, PostParams};

mod support;
use support::{TempDir, client};

async fn start(dir: &Path) -> Result<Server, Error> {
    Server::start(&Config { state_dir: dir.to_owned(), port: 0, no_dataplane: true }).await
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Regression: `store.db*` were 0644 in a state dir that already existed with 0755, so any local user could read
/// every Secret.
#[tokio::test]
async fn the_state_dir_and_every_file_in_it_are_private() {
    let dir = TempDir::new("private");
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A file left readable by someone before.
    std::fs::write(dir.0.join("notes"), "left by someone").unwrap();
    std::fs::set_permissions(dir.0.join("notes"), std::fs::Permissions::from_mode(0o644)).unwrap();

    let server = start(&dir.0).await.expect("the server starts");
    let secrets: Api<Secret> = Api::namespaced(client(&server.kubeconfig).await, "default");
    let secret = Secret {
        metadata: ObjectMeta { name: Some("db-password".to_owned()), ..ObjectMeta::default() },
        string_data: Some([("password".to_owned(), "hunter2".to_owned())].into_iter().collect()),
        ..Secret::default()
    };
    secrets.create(&PostParams::default(), &secret).await.expect("the Secret is stored");

    assert_eq!(mode(&dir.0), 0o700, "the state dir");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir.0).unwrap() {
        let path = entry.unwrap().path();
        files.push(path.file_name().unwrap().to_string_lossy().into_owned());
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    files.sort();
    for expected in ["store.db", "store.db-wal", "store.db-shm", "token", "kubeconfig", "ca.key", "notes"] {
        assert!(files.iter().any(|f| f == expected), "{expected} in {files:?}");
    }
    server.stop().await;
}

/// A state dir another user owns could be opened up again by its owner: `knet up` refuses it, saying why, and
/// writes nothing into it.
#[tokio::test]
async fn a_state_dir_of_another_user_is_refused() {
    let dir = TempDir::new("foreign");
    std::fs::create_dir_all(&dir.0).unwrap();
    let own_uid = std::fs::metadata("/proc/self").unwrap().uid();
    let other_uid = if own_uid == 65534 { 65533 } else { 65534 };
    let chowned = std::process::Command::new("chown").arg(other_uid.to_string()).arg(&dir.0).status().unwrap();
    assert!(chowned.success(), "the test changes the directory's owner (it runs as root, as CI does)");

    let error = start(&dir.0).await.expect_err("a directory of another user is refused");
    let message = error.to_string();
    assert!(message.starts_with(&format!("state dir: {} must be private to this user", dir.0.display())), "{message}");
    assert!(message.contains(&format!("it belongs to uid {other_uid}")), "{message}");
    let left: Vec<_> = std::fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.iter().all(|name| name == "lock"), "nothing but the lock file is written: {left:?}");
}

/// Plain HTTP to the HTTPS port gets Go's 400, readable by the client, instead of TLS bytes.
#[tokio::test]
async fn plain_http_gets_the_answer_go_gives() {
    let dir = TempDir::new("plain-http");
    let server = start(&dir.0).await.expect("the server starts");
    let address = server.address;
    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        stream.write_all(b"GET /version HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    })
    .await
    .unwrap();
    assert_eq!(answer, "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n");
    // TLS clients are still served.
    let version = client(&server.kubeconfig).await.apiserver_version().await.expect("HTTPS still works");
    assert_eq!(version.major, "1");
    server.stop().await;
}

/// `kubectl auth whoami` and `kubectl auth can-i` through kube-rs: the admin, its groups, and what it may do.
#[tokio::test]
async fn the_identity_apis_name_the_admin() {
    let dir = TempDir::new("identity");
    let server = start(&dir.0).await.expect("the server starts");
    let client = client(&server.kubeconfig).await;

    let whoami: SelfSubjectReview = Api::all(client.clone())
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await
        .expect("a SelfSubjectReview");
    let user = whoami.status.and_then(|s| s.user_info).expect("userInfo");
    assert_eq!(user.username.as_deref(), Some("knet-admin"));
    assert_eq!(user.groups, Some(vec!["system:masters".to_owned(), "system:authenticated".to_owned()]));

    let attributes = ResourceAttributes {
        namespace: Some("microservices".to_owned()),
        verb: Some("delete".to_owned()),
        group: Some("networking.k8s.io".to_owned()),
        resource: Some("networkpolicies".to_owned()),
        ..ResourceAttributes::default()
    };
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec { resource_attributes: Some(attributes), ..Default::default() },
        ..SelfSubjectAccessReview::default()
    };
    let answered: SelfSubjectAccessReview =
        Api::all(client.clone()).create(&PostParams::default(), &review).await.expect("a SelfSubjectAccessReview");
    assert!(answered.status.expect("status").allowed);
    assert_eq!(answered.spec.resource_attributes.and_then(|a| a.verb).as_deref(), Some("delete"), "spec echoed");

    let empty = SelfSubjectAccessReview::default();
    let refused = Api::<SelfSubjectAccessReview>::all(client.clone()).create(&PostParams::default(), &empty).await;
    let kube::Error::Api(refused) = refused.expect_err("a review without attributes is invalid") else {
        panic!("not an API error")
    };
    assert_eq!(refused.code, 422);
    assert!(refused.message.contains("exactly one of nonResourceAttributes or resourceAttributes"), "{refused:?}");

    let rules = SelfSubjectRulesReview {
        spec: SelfSubjectRulesReviewSpec { namespace: Some("default".to_owned()) },
        ..SelfSubjectRulesReview::default()
    };
    let rules: SelfSubjectRulesReview =
        Api::all(client.clone()).create(&PostParams::default(), &rules).await.expect("a SelfSubjectRulesReview");
    let status = rules.status.expect("status");
    assert!(!status.incomplete);
    assert_eq!(serde_json::to_value(&status.resource_rules).unwrap()[0]["verbs"], serde_json::json!(["*"]));

    // Nothing was stored: a review is an answer, not an object.
    let listed = client
        .request_text(
            hyper::Request::get("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews").body(vec![]).unwrap(),
        )
        .await;
    let kube::Error::Api(listed) = listed.expect_err("reviews cannot be listed") else { panic!("not an API error") };
    assert_eq!(listed.code, 405);
    server.stop().await;
}

/// `kubectl --as` and every `Impersonate-*` header get a 403 that says why, never the admin's answer.
#[tokio::test]
async fn impersonation_is_refused_with_the_reason() {
    let dir = TempDir::new("impersonation");
    let server = start(&dir.0).await.expect("the server starts");
    let client = client(&server.kubeconfig).await;
    let cases = [
        (
            "Impersonate-User",
            "bob",
            r#"users "bob" is forbidden: User "knet-admin" cannot impersonate resource "users" in API group "" at the cluster scope"#,
        ),
        (
            "Impersonate-Group",
            "devs",
            r#"groups "devs" is forbidden: User "knet-admin" cannot impersonate resource "groups" in API group """#,
        ),
        ("Impersonate-Uid", "42", r#"uids.authentication.k8s.io "42" is forbidden"#),
        ("Impersonate-Extra-Scopes", "view", r#"userextras.authentication.k8s.io "scopes=view" is forbidden"#),
    ];
    for (header, value, message) in cases {
        let request =
            hyper::Request::get("/api/v1/namespaces/default/secrets").header(header, value).body(vec![]).unwrap();
        let kube::Error::Api(refused) = client.request_text(request).await.expect_err(header) else {
            panic!("{header}: not an API error")
        };
        assert_eq!(refused.code, 403, "{header}");
        assert_eq!(refused.reason, "Forbidden", "{header}");
        assert!(refused.message.starts_with(message), "{header}: {}", refused.message);
        assert!(
            refused.message.ends_with("run the command without --as / --as-group / --as-uid"),
            "{}",
            refused.message
        );
    }
    server.stop().await;
}

/// A resource knet does not serve is named in its 404; the pod subresources of the node data plane answer 503.
/// (Asked of the handler directly: kube-rs retries a 503, as client-go does.)
#[tokio::test]
async fn unserved_resources_and_subresources_say_what_is_missing() {
    let dir = TempDir::new("unserved");
    let server = start(&dir.0).await.expect("the server starts");
    let token = std::fs::read_to_string(dir.0.join("token")).unwrap();
    let handler = knet_apiserver::app(std::sync::Arc::clone(server.state()));
    let ask = |method: &str, path: &str| {
        let request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {}", token.trim()))
            .body(http_body_util::Full::new(hyper::body::Bytes::new()))
            .unwrap();
        let handler = handler.clone();
        async move {
            let response = handler.handle(request).await;
            let code = response.status().as_u16();
            let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
            let status: serde_json::Value = serde_json::from_slice(&body).expect("a Status body");
            (code, status["message"].as_str().unwrap_or_default().to_owned())
        }
    };
    for path in [
        "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers",
        "/apis/autoscaling/v2/horizontalpodautoscalers",
    ] {
        let (code, message) = ask("GET", path).await;
        assert_eq!(code, 404, "{path}");
        assert_eq!(message, r#"the server doesn't have a resource type "horizontalpodautoscalers""#);
    }
    for subresource in ["log", "exec", "attach", "portforward"] {
        let path = format!("/api/v1/namespaces/kube-system/pods/any/{subresource}");
        let (code, message) = ask(if subresource == "log" { "GET" } else { "POST" }, &path).await;
        assert_eq!(code, 503, "{path}");
        assert_eq!(
            message,
            format!("pods/{subresource} is served by the node data plane, which this knet does not run yet")
        );
    }
    server.stop().await;
}
