//! Helpers shared by the integration tests and the load benchmark: a TLS
//! client that trusts a given CA and speaks HTTP/1.1 or HTTP/2.
//! Not part of the stable API.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::certs::{CertAuthority, ServingPair};

/// A throwaway CA and a serving pair it signed, written to disk as
/// `tls.crt` and `tls.key`.
pub struct TestPki {
    pub ca: CertAuthority,
    pub pair: ServingPair,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
}

/// Generate a CA named `ca_name` and a one-day serving pair for `names`,
/// and write the pair into `dir`.
pub fn write_test_pki(dir: &Path, ca_name: &str, names: &[String]) -> anyhow::Result<TestPki> {
    let ca = CertAuthority::generate(ca_name, 1)?;
    let pair = ca.issue(names, 1)?;
    let cert_path = dir.join("tls.crt");
    let key_path = dir.join("tls.key");
    std::fs::write(&cert_path, &pair.cert_pem)?;
    std::fs::write(&key_path, &pair.key_pem)?;
    Ok(TestPki {
        ca,
        pair,
        cert_path,
        key_path,
    })
}

/// A TLS client configuration trusting only `ca_pem`, offering `alpn`.
pub fn client_config(ca_pem: &str, alpn: &[&[u8]]) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert?)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

/// One client connection (HTTP/1.1 keep-alive or HTTP/2).
pub enum Conn {
    H1(http1::SendRequest<Full<Bytes>>),
    H2(http2::SendRequest<Full<Bytes>>),
}

/// A connection plus the certificate the server presented on it.
pub struct Connected {
    pub conn: Conn,
    pub peer_cert: Vec<u8>,
    pub alpn: Option<Vec<u8>>,
}

/// Connect over TLS to `addr`, verifying the server as `server_name`.
/// HTTP/2 is used when the server picks `h2` by ALPN.
pub async fn connect(
    addr: SocketAddr,
    server_name: &str,
    config: Arc<rustls::ClientConfig>,
) -> anyhow::Result<Connected> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let name = ServerName::try_from(server_name.to_string())?;
    let tls = TlsConnector::from(config).connect(name, tcp).await?;
    let (_, session) = tls.get_ref();
    let peer_cert = session
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.to_vec())
        .context("no peer certificate")?;
    let alpn = session.alpn_protocol().map(|p| p.to_vec());
    let io = TokioIo::new(tls);
    let conn = if alpn.as_deref() == Some(b"h2") {
        let (send, conn) = http2::handshake(TokioExecutor::new(), io).await?;
        tokio::spawn(conn);
        Conn::H2(send)
    } else {
        let (send, conn) = http1::handshake(io).await?;
        tokio::spawn(conn);
        Conn::H1(send)
    };
    Ok(Connected {
        conn,
        peer_cert,
        alpn,
    })
}

/// Connect over plain TCP (HTTP/1.1), for `--insecure-http`.
pub async fn connect_plain(addr: SocketAddr) -> anyhow::Result<Conn> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let (send, conn) = http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(conn);
    Ok(Conn::H1(send))
}

/// A response: status, content type and body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Conn {
    /// Whether the server has closed this connection (HTTP/1.1), or it can
    /// take no more requests.
    pub fn is_closed(&self) -> bool {
        match self {
            Conn::H1(s) => s.is_closed(),
            Conn::H2(s) => s.is_closed(),
        }
    }

    /// Send one request and read the whole response.
    pub async fn send(&mut self, req: Request<Full<Bytes>>) -> anyhow::Result<Reply> {
        let resp = match self {
            Conn::H1(s) => {
                s.ready().await?;
                s.send_request(req).await?
            }
            Conn::H2(s) => {
                s.ready().await?;
                s.send_request(req).await?
            }
        };
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await?.to_bytes();
        Ok(Reply {
            status,
            content_type,
            headers,
            body,
        })
    }
}

/// A POST of `body` as `application/json` to `path`.
pub fn post_json(path: &str, body: impl Into<Bytes>) -> anyhow::Result<Request<Full<Bytes>>> {
    Ok(Request::post(path)
        .header(hyper::header::HOST, "localhost")
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(body.into()))?)
}

/// A GET of `path`.
pub fn get(path: &str) -> anyhow::Result<Request<Full<Bytes>>> {
    Ok(Request::get(path)
        .header(hyper::header::HOST, "localhost")
        .body(Full::new(Bytes::new()))?)
}
