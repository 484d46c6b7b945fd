//! The webhook over real TLS on loopback: reviews, bad requests, size limits, health
//! and metrics endpoints, and a certificate rotated on disk while serving.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use rampart_server::{ClusterContext, Enforcement, FailurePolicy, Options};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;

fn write_cert(dir: &Path, name: &str) -> CertificateDer<'static> {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), name.to_string()])
        .unwrap();
    std::fs::write(dir.join("tls.crt"), cert.cert.pem()).unwrap();
    std::fs::write(dir.join("tls.key"), cert.signing_key.serialize_pem()).unwrap();
    cert.cert.der().clone()
}

fn free_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// One HTTPS request; returns (status, body, the server's certificate).
async fn request(
    addr: SocketAddr,
    ca: &CertificateDer<'static>,
    method: &str,
    path: &str,
    body: Vec<u8>,
) -> (u16, String, CertificateDer<'static>) {
    request_trusting(addr, &[ca], method, path, body).await
}

async fn request_trusting(
    addr: SocketAddr,
    cas: &[&CertificateDer<'static>],
    method: &str,
    path: &str,
    body: Vec<u8>,
) -> (u16, String, CertificateDer<'static>) {
    let mut roots = rustls::RootCertStore::empty();
    for ca in cas {
        roots.add((*ca).clone()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let peer = tls.get_ref().1.peer_certificates().unwrap()[0]
        .clone()
        .into_owned();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .unwrap();
    tokio::spawn(conn);
    let req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned(), peer)
}

fn review(object: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {"uid": "u-1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "operation": "CREATE", "namespace": "shop", "object": object}
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviews_over_tls_with_limits_health_metrics_and_certificate_reload() {
    let dir = tempfile::tempdir().unwrap();
    let first = write_cert(dir.path(), "first.example");
    let addr = free_port();
    let options = Options {
        listen: addr,
        cert: dir.path().join("tls.crt"),
        key: dir.path().join("tls.key"),
        body_limit: 64 * 1024,
        timeout: Duration::from_secs(2),
        failure_policy: FailurePolicy::Ignore,
        enforcement: Enforcement::default(),
        context: ClusterContext::default(),
    };
    let server = tokio::spawn(rampart_server::serve(options));
    // Wait for the listener.
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let privileged = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"hostPID": true, "containers": [{"name": "c", "image": "nginx:1.27"}]}});
    let (status, body, cert) =
        request(addr, &first, "POST", "/validate", review(&privileged)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(cert, first);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["kind"], "AdmissionReview");
    assert_eq!(v["response"]["uid"], "u-1");
    assert_eq!(v["response"]["allowed"], false);
    assert_eq!(v["response"]["status"]["code"], 403);

    let (status, body, _) = request(addr, &first, "POST", "/validate", b"{not json".to_vec()).await;
    assert_eq!(status, 400);
    assert!(body.contains("not an AdmissionReview"), "{body}");

    let (status, _, _) = request(addr, &first, "POST", "/validate", vec![b' '; 100 * 1024]).await;
    assert_eq!(status, 413, "bodies over the limit are refused");

    let (status, body, _) = request(addr, &first, "GET", "/healthz", Vec::new()).await;
    assert_eq!((status, body.as_str()), (200, "ok"));
    let (status, _, _) = request(addr, &first, "GET", "/readyz", Vec::new()).await;
    assert_eq!(status, 200);
    let (_, metrics, _) = request(addr, &first, "GET", "/metrics", Vec::new()).await;
    assert!(
        metrics.contains("rampart_admission_requests_total{result=\"denied\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("rampart_admission_requests_total{result=\"bad_request\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("rampart_admission_denials_total{code=\"POD"),
        "{metrics}"
    );

    // The audit webhook backend: an EventList batch with an exec into a pod.
    let exec = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/schemas/audit/falco-k8s_audit-trace-files/exec_pod.json"),
    )
    .unwrap();
    let batch = format!(
        "{{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"items\":[{}]}}",
        exec.trim()
    );
    let (status, _, _) = request(addr, &first, "POST", "/audit", batch.into_bytes()).await;
    assert_eq!(status, 200);
    let (status, _, _) = request(addr, &first, "POST", "/audit", b"[1,2".to_vec()).await;
    assert_eq!(status, 400);
    let (_, metrics, _) = request(addr, &first, "GET", "/metrics", Vec::new()).await;
    assert!(
        metrics.contains("rampart_audit_events_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("rampart_audit_detections_total{kind=\"pod-exec\""),
        "{metrics}"
    );

    // Rotate the certificate on disk: new connections get the new one.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = write_cert(dir.path(), "second.example");
    let mut rotated = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let (_, _, served) =
            request_trusting(addr, &[&first, &second], "GET", "/healthz", Vec::new()).await;
        if served == second {
            rotated = true;
            break;
        }
    }
    assert!(
        rotated,
        "the server did not pick up the rotated certificate"
    );
    server.abort();
}
