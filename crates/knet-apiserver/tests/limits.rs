//! Kubernetes' size limits, asked of the running server by curl over HTTP/1.1 and HTTP/2 alike: a request body over
//! 3 MiB gets the 413 `Status`, ConfigMap and Secret data over 1 MiB the 422 of kube-apiserver's validation, and a URL
//! or a header block over the API's limits a `Status` that says so, never a bare error page or a reset.

use std::path::Path;
use std::process::Command;

use knet_apiserver::{Config, Server};
use serde_json::{Value, json};

mod support;
use support::TempDir;

/// Runs curl against the server with the admin token, over `http` ("1.1" or "2"); returns the status and the body.
fn curl(server: &Server, dir: &Path, http: &str, args: &[&str]) -> (u16, Value) {
    let token = std::fs::read_to_string(dir.join("token")).unwrap();
    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--cacert"])
        .arg(dir.join("ca.crt"))
        .arg(if http == "2" { "--http2" } else { "--http1.1" })
        .args(["--header", &format!("Authorization: Bearer {}", token.trim())])
        .args(["--write-out", "\n%{http_code} %{http_version}"])
        .args(args.iter().map(|a| a.replace("{server}", &format!("https://{}", server.address))))
        .output()
        .expect("curl runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "curl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    let (body, trailer) = stdout.rsplit_once('\n').expect("the status line");
    let (code, version) = trailer.split_once(' ').expect("code and version");
    assert_eq!(version, http, "curl spoke HTTP/{http}");
    (code.parse().unwrap(), serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned())))
}

fn assert_status(answer: &(u16, Value), code: u16, message: &str) {
    let (got, status) = answer;
    assert_eq!(*got, code, "{status}");
    assert_eq!(status["kind"], "Status", "{status}");
    assert_eq!(status["code"], code, "{status}");
    assert!(status["message"].as_str().is_some_and(|m| m.contains(message)), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn size_limits_answer_with_a_status_over_http1_and_http2() {
    let dir = TempDir::new("limits");
    let server = Server::start(&Config { state_dir: dir.0.clone(), port: 0, no_dataplane: true }).await.unwrap();
    let server = std::sync::Arc::new(server);
    let body_dir = dir.0.join("bodies");
    std::fs::create_dir_all(&body_dir).unwrap();
    let write = |name: &str, object: Value| {
        let path = body_dir.join(name);
        std::fs::write(&path, object.to_string()).unwrap();
        format!("@{}", path.display())
    };
    let config_map = |name: &str, bytes: usize| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": "x".repeat(bytes)}});
    let huge = write("huge.json", config_map("huge", 4 * 1024 * 1024));
    let big = write("big.json", config_map("big", 1024 * 1024 + 1));
    let fits = write("fits.json", config_map("fits", 1024 * 1024 - 64));
    let secret = write(
        "secret.json",
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "big"}, "stringData": {"v": "y".repeat(1024 * 1024 + 1)}}),
    );
    // Too long for a command line: curl reads them from files (`-G --data-urlencode name@file` puts a file into the
    // query string, `-H @file` reads headers). The URL is 40 KiB: over the API's 32 KiB, under the 64 KiB beyond
    // which hyper's HTTP/1.1 parser refuses it before the server sees it.
    let selector = body_dir.join("selector.txt");
    std::fs::write(&selector, format!("a in ({})", "v,".repeat(10 * 1024))).unwrap();
    let long_url = format!("labelSelector@{}", selector.display());
    let header = body_dir.join("header.txt");
    std::fs::write(&header, format!("X-Padding: {}\n", "p".repeat(40 * 1024))).unwrap();
    let long_header = format!("@{}", header.display());
    let huge_header_file = body_dir.join("huge-header.txt");
    std::fs::write(&huge_header_file, format!("X-Padding: {}\n", "p".repeat(100 * 1024))).unwrap();
    let huge_header = format!("@{}", huge_header_file.display());
    let (server_ref, dir_ref) = (std::sync::Arc::clone(&server), dir.0.clone());
    tokio::task::spawn_blocking(move || {
        let (server, dir) = (&*server_ref, dir_ref.as_path());
        let post = |http: &str, body: &str| {
            curl(
                server,
                dir,
                http,
                &[
                    "--header",
                    "Content-Type: application/json",
                    "--data-binary",
                    body,
                    "{server}/api/v1/namespaces/default/configmaps",
                ],
            )
        };
        for http in ["1.1", "2"] {
            assert_status(&post(http, &huge), 413, "Request entity too large: limit is 3145728");
            assert_status(
                &post(http, &big),
                422,
                r#"ConfigMap "big" is invalid: []: Too long: may not be more than 1048576 bytes"#,
            );
            let secret = curl(
                server,
                dir,
                http,
                &[
                    "--header",
                    "Content-Type: application/json",
                    "--data-binary",
                    &secret,
                    "{server}/api/v1/namespaces/default/secrets",
                ],
            );
            assert_status(
                &secret,
                422,
                r#"Secret "big" is invalid: data: Too long: may not be more than 1048576 bytes"#,
            );
            let url = curl(server, dir, http, &["--get", "--data-urlencode", &long_url, "{server}/api/v1/configmaps"]);
            assert_status(&url, 414, "Request-URI Too Long");
            let headers = curl(server, dir, http, &["--header", &long_header, "{server}/api/v1/configmaps"]);
            assert_status(&headers, 431, "Request Header Fields Too Large");
        }
        // Over hyper's own 64 KiB of HTTP/1.1 head: its bare 431, at once, not after the head-read timeout.
        let started = std::time::Instant::now();
        let (code, _) = curl(server, dir, "1.1", &["--header", &huge_header, "{server}/api/v1/configmaps"]);
        assert_eq!(code, 431);
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "answered at once: {:?}", started.elapsed());
        let (code, stored) = post("2", &fits);
        assert_eq!(code, 201, "1 MiB of data fits: {stored}");
    })
    .await
    .unwrap();
    std::sync::Arc::into_inner(server).expect("the test's only handle").stop().await;
}
