//! `serve` and `certs` arguments, `run_certs` output, `--insecure-http`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use clap::Parser;
use podgate_server::{testkit, CertsArgs, ServeArgs, Server};

use crate::common::{apiserver_bytes, install_provider, pod_create, restricted_pod};

#[derive(Parser, Debug)]
struct Serve {
    #[command(flatten)]
    args: ServeArgs,
}

#[derive(Parser, Debug)]
struct Certs {
    #[command(flatten)]
    args: CertsArgs,
}

#[test]
fn serve_requires_tls_files_unless_insecure() {
    assert!(Serve::try_parse_from(["serve"]).is_err());
    assert!(Serve::try_parse_from(["serve", "--tls-cert-file", "c"]).is_err());
    let s =
        Serve::try_parse_from(["serve", "--tls-cert-file", "c", "--tls-key-file", "k"]).unwrap();
    assert_eq!(s.args.listen.to_string(), "0.0.0.0:8443");
    assert_eq!(s.args.max_body_bytes, 3 * 1024 * 1024);
    assert!(!s.args.insecure_http);
    assert_eq!(s.args.shutdown_grace, Duration::from_secs(20));
    let s = Serve::try_parse_from(["serve", "--insecure-http"]).unwrap();
    assert!(s.args.insecure_http);
    // Plain HTTP and TLS files together make no sense.
    assert!(Serve::try_parse_from([
        "serve",
        "--insecure-http",
        "--tls-cert-file",
        "c",
        "--tls-key-file",
        "k"
    ])
    .is_err());
}

#[test]
fn serve_flags_parse() {
    let s = Serve::try_parse_from([
        "serve",
        "--insecure-http",
        "--listen=127.0.0.1:9443",
        "--shutdown-grace=1m30s",
        "--default-timeout=500ms",
        "--max-body-bytes=1024",
        "--log-format=json",
        "--namespaces=ns.yaml",
    ])
    .unwrap()
    .args;
    assert_eq!(s.listen.port(), 9443);
    assert_eq!(s.shutdown_grace, Duration::from_secs(90));
    assert_eq!(s.default_timeout, Duration::from_millis(500));
    assert_eq!(s.max_body_bytes, 1024);
    assert_eq!(s.log_format, podgate_server::LogFormat::Json);
    assert_eq!(s.exceptions, None);
    let s = Serve::try_parse_from(["serve", "--insecure-http", "--exceptions=podgate.yaml"])
        .unwrap()
        .args;
    assert_eq!(
        s.exceptions.as_deref(),
        Some(std::path::Path::new("podgate.yaml"))
    );
    assert!(Serve::try_parse_from(["serve", "--insecure-http", "--shutdown-grace=20"]).is_err());
    // One namespace source.
    assert!(
        Serve::try_parse_from(["serve", "--insecure-http", "--namespaces=a", "--in-cluster"])
            .is_err()
    );
}

#[tokio::test]
async fn cluster_source_without_the_feature_is_a_clear_error() {
    if cfg!(feature = "cluster") {
        return;
    }
    let mut args = ServeArgs::new("127.0.0.1:0".parse().unwrap(), None, None);
    args.in_cluster = true;
    let err = Server::bind(&args).await.err().unwrap();
    assert!(format!("{err:#}").contains("cluster"), "{err:#}");
}

/// Trial finding 15: every `--dns-names` entry must be a DNS name (an
/// optional `*.` wildcard) or an IP address; empty entries are errors.
#[test]
fn certs_dns_names_are_validated() {
    let parse =
        |names: &str| Certs::try_parse_from(["certs".to_string(), format!("--dns-names={names}")]);
    let ok = parse("localhost, 127.0.0.1,::1,*.example.com,web-1.ns.svc,A.B").unwrap();
    assert_eq!(
        ok.args.dns_names,
        [
            "localhost",
            "127.0.0.1",
            "::1",
            "*.example.com",
            "web-1.ns.svc",
            "A.B"
        ]
    );
    for (bad, shown) in [
        ("bad name", "\"bad name\" is neither a DNS name"),
        ("a,,b", "empty entry"),
        ("a,", "empty entry"),
        ("-a.b", "\"-a.b\""),
        ("a..b", "\"a..b\""),
        ("a.*.b", "\"a.*.b\""),
        ("x_y.z", "\"x_y.z\""),
        (&"a".repeat(64), "is neither"),
        ("a.b.", "\"a.b.\""),
    ] {
        let e = parse(bad).unwrap_err().to_string();
        assert!(e.contains(shown), "{bad}: {e}");
    }
}

#[tokio::test]
async fn run_certs_writes_a_usable_pair() {
    install_provider();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("certs");
    let certs = Certs::try_parse_from([
        "certs",
        "--out-dir",
        out.to_str().unwrap(),
        "--dns-names",
        "localhost,127.0.0.1",
        "--days",
        "30",
    ])
    .unwrap()
    .args;
    assert_eq!(certs.service, "podgate");
    assert_eq!(certs.namespace, "podgate-system");
    podgate_server::run_certs(certs.clone()).unwrap();
    let mode = |f: &str| std::fs::metadata(out.join(f)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("tls.key"), 0o600);
    assert_eq!(mode("tls.crt"), 0o644);
    // Existing files are kept unless --force.
    assert!(podgate_server::run_certs(certs.clone()).is_err());
    let mut forced = certs;
    forced.force = true;
    podgate_server::run_certs(forced).unwrap();
    assert_eq!(mode("tls.key"), 0o600);

    // Serve with the pair; a client trusting ca.crt verifies the service name.
    let mut args = ServeArgs::new(
        "127.0.0.1:0".parse().unwrap(),
        Some(out.join("tls.crt")),
        Some(out.join("tls.key")),
    );
    args.shutdown_grace = Duration::from_secs(1);
    args.namespaces = Some("/dev/null".into());
    let server = Server::bind(&args).await.unwrap();
    let addr = server.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    let ca = std::fs::read_to_string(out.join("ca.crt")).unwrap();
    for name in [
        "podgate.podgate-system.svc",
        "podgate.podgate-system.svc.cluster.local",
        "localhost",
    ] {
        let cfg = testkit::client_config(&ca, &[b"http/1.1"]).unwrap();
        let mut c = testkit::connect(addr, name, cfg).await.unwrap();
        let reply = c
            .conn
            .send(testkit::get("/healthz").unwrap())
            .await
            .unwrap();
        assert_eq!(reply.status, 200, "{name}");
    }
    let cfg = testkit::client_config(&ca, &[b"http/1.1"]).unwrap();
    assert!(testkit::connect(addr, "other.example", cfg).await.is_err());
    let _ = tx.send(());
    task.await.unwrap().unwrap();
}

/// Without namespace labels every pod review fails its namespace lookup
/// (and with `failurePolicy: Fail` every pod is denied) while the webhook
/// looks ready: serve refuses to start. An empty file means "no namespaces".
#[tokio::test]
async fn serve_refuses_to_start_without_a_namespace_source() {
    install_provider();
    let mut args = ServeArgs::new("127.0.0.1:0".parse().unwrap(), None, None);
    let err = format!("{:#}", Server::bind(&args).await.err().unwrap());
    assert_eq!(
        err,
        "no namespace source: pass --in-cluster, --kubeconfig FILE, or --namespaces FILE \
         (Namespace objects; an empty file such as /dev/null for none)"
    );
    args.namespaces = Some("/dev/null".into());
    assert!(Server::bind(&args).await.is_ok());
}

#[tokio::test]
async fn insecure_http_serves_plain_http() {
    install_provider();
    let mut args = ServeArgs::new("127.0.0.1:0".parse().unwrap(), None, None);
    assert!(args.insecure_http);
    args.namespaces = Some("/dev/null".into());
    let server = Server::bind(&args).await.unwrap();
    let addr = server.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    let mut c = testkit::connect_plain(addr).await.unwrap();
    let body = apiserver_bytes(&pod_create("plain", restricted_pod()));
    let reply = c
        .send(testkit::post_json("/validate", body).unwrap())
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    let _ = tx.send(());
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_bad_exceptions_file_stops_startup_with_file_and_line() {
    install_provider();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("podgate.yaml");
    std::fs::write(
        &file,
        "exceptions:\n  - reason: legacy\n    namespace: shop\n    checks: [runAsNonRot]\n",
    )
    .unwrap();
    let args = Serve::try_parse_from([
        "serve",
        "--insecure-http",
        "--listen=127.0.0.1:0",
        "--exceptions",
        file.to_str().unwrap(),
    ])
    .unwrap()
    .args;
    let err = format!("{:#}", Server::bind(&args).await.err().unwrap());
    assert!(
        err.contains(&format!(
            "{}:4:14: exceptions[0].checks[0]: unknown check or rule \"runAsNonRot\" (did you mean \"runAsNonRoot\"?)",
            file.display()
        )),
        "{err}"
    );
    // A missing file names the file too.
    let mut args = args;
    args.exceptions = Some(dir.path().join("missing.yaml"));
    let err = format!("{:#}", Server::bind(&args).await.err().unwrap());
    assert!(err.contains("missing.yaml"), "{err}");
}

/// A certificate passed as the key names the real problem, once.
#[test]
fn a_certificate_given_as_the_key_is_named_as_such() {
    install_provider();
    let dir = tempfile::tempdir().unwrap();
    let pki =
        testkit::write_test_pki(dir.path(), "podgate-test-ca", &["localhost".into()]).unwrap();
    let err = podgate_server::tls::load_pair(&pki.cert_path, &pki.cert_path)
        .expect_err("a certificate is no key");
    let msg = err.to_string();
    assert!(msg.contains("no PEM private key found"), "{msg}");
    assert!(msg.contains("is this the certificate?"), "{msg}");
    // The chain (as anyhow prints it with {:#}) does not repeat itself.
    let chained = format!("{:#}", anyhow::Error::new(err));
    assert_eq!(chained, msg);
}
