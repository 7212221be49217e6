//! Certificate rotation: new handshakes get the new certificate within about
//! a second, established connections keep working, bad files are ignored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use podgate_server::testkit;

use crate::common::{apiserver_bytes, atomic_write, names, pod_create, restricted_pod, TestServer};

async fn wait_for_cert(s: &TestServer, der: &[u8], within: Duration) -> bool {
    let end = Instant::now() + within;
    while Instant::now() < end {
        if s.connect_h1().await.peer_cert == der {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_under_traffic_drops_nothing() {
    let s = TestServer::start().await;
    let first = s.connect_h1().await;
    assert_eq!(first.peer_cert, s.pair.cert_der);

    // Traffic: 4 keep-alive connections (two HTTP/1.1, two HTTP/2) and a
    // loop of fresh connections, all counting failures.
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..4 {
        let mut c = if i % 2 == 0 {
            s.connect_h1().await
        } else {
            s.connect_h2().await
        };
        let (stop, ok) = (stop.clone(), ok.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let uid = format!("k{i}-{n}");
                let body = apiserver_bytes(&pod_create(&uid, restricted_pod()));
                let reply = c
                    .conn
                    .send(testkit::post_json("/validate", body).unwrap())
                    .await
                    .expect("keep-alive request failed during rotation");
                assert_eq!(reply.status, 200);
                ok.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
        }));
    }
    let addr = s.addr;
    let ca_pem = s.ca_pem.clone();
    let (stop2, ok2) = (stop.clone(), ok.clone());
    let fresh = tokio::spawn(async move {
        let cfg = testkit::client_config(&ca_pem, &[b"http/1.1"]).unwrap();
        while !stop2.load(Ordering::Relaxed) {
            let mut c = testkit::connect(addr, "localhost", cfg.clone())
                .await
                .expect("handshake failed during rotation");
            let body = apiserver_bytes(&pod_create("fresh", restricted_pod()));
            let reply = c
                .conn
                .send(testkit::post_json("/validate", body).unwrap())
                .await
                .unwrap();
            assert_eq!(reply.status, 200);
            ok2.fetch_add(1, Ordering::Relaxed);
        }
    });

    tokio::time::sleep(Duration::from_millis(300)).await;
    let next = s.ca.issue(&names(), 1).unwrap();
    assert_ne!(next.serial, s.pair.serial);
    // Key first, then certificate: in between the pair mismatches and must be ignored.
    atomic_write(&s.key_path, next.key_pem.as_bytes());
    tokio::time::sleep(Duration::from_millis(300)).await;
    atomic_write(&s.cert_path, next.cert_pem.as_bytes());
    assert!(
        wait_for_cert(&s, &next.cert_der, Duration::from_secs(10)).await,
        "new handshakes never saw the new certificate"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    fresh.await.unwrap();
    assert!(ok.load(Ordering::Relaxed) > 20);

    // The connection opened before the rotation still works.
    let mut first = first;
    let body = apiserver_bytes(&pod_create("old-conn", restricted_pod()));
    let reply = first
        .conn
        .send(testkit::post_json("/validate", body).unwrap())
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn bad_files_keep_the_old_pair() {
    let s = TestServer::start().await;
    atomic_write(&s.cert_path, b"-----BEGIN CERTIFICATE-----\nnot base64\n");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(s.connect_h1().await.peer_cert, s.pair.cert_der);
    // A valid certificate with someone else's key is rejected too.
    let other = s.ca.issue(&names(), 1).unwrap();
    atomic_write(&s.cert_path, other.cert_pem.as_bytes());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(s.connect_h1().await.peer_cert, s.pair.cert_der);
    let metrics = String::from_utf8(s.get("/metrics").await.body.to_vec()).unwrap();
    assert!(
        metrics.contains(r#"podgate_tls_certificate_reloads_total{result="error"}"#),
        "{metrics}"
    );
    // Completing the pair switches over.
    atomic_write(&s.key_path, other.key_pem.as_bytes());
    assert!(wait_for_cert(&s, &other.cert_der, Duration::from_secs(10)).await);
}

#[tokio::test]
async fn secret_volume_symlink_swap() {
    // Lay out files as kubelet does for a Secret volume:
    //   tls.crt -> ..data/tls.crt, ..data -> ..2026_01_01_v1/
    let s = TestServer::start().await;
    let root = s.dir.path().join("secret");
    let v1 = root.join("..v1");
    std::fs::create_dir_all(&v1).unwrap();
    std::fs::write(v1.join("tls.crt"), &s.pair.cert_pem).unwrap();
    std::fs::write(v1.join("tls.key"), &s.pair.key_pem).unwrap();
    std::os::unix::fs::symlink("..v1", root.join("..data")).unwrap();
    std::os::unix::fs::symlink("..data/tls.crt", root.join("tls.crt")).unwrap();
    std::os::unix::fs::symlink("..data/tls.key", root.join("tls.key")).unwrap();

    let store =
        podgate_server::tls::CertStore::load(&root.join("tls.crt"), &root.join("tls.key")).unwrap();
    assert!(!store.reload_if_changed().unwrap());

    let next = s.ca.issue(&names(), 1).unwrap();
    let v2 = root.join("..v2");
    std::fs::create_dir_all(&v2).unwrap();
    std::fs::write(v2.join("tls.crt"), &next.cert_pem).unwrap();
    std::fs::write(v2.join("tls.key"), &next.key_pem).unwrap();
    std::os::unix::fs::symlink("..v2", root.join("..data_tmp")).unwrap();
    std::fs::rename(root.join("..data_tmp"), root.join("..data")).unwrap();
    std::fs::remove_dir_all(&v1).unwrap();

    assert!(store.reload_if_changed().unwrap());
    assert_eq!(store.current().cert[0].as_ref(), &next.cert_der[..]);
    assert!(!store.reload_if_changed().unwrap());
}
