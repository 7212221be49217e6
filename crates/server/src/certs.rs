//! Self-signed certificates for the webhook: a CA and a serving certificate
//! for `<service>.<namespace>.svc`, as `podgate certs` writes them and as the
//! tests use them.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::{bail, Context};
use base64::Engine;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SerialNumber,
};
use time::{Duration as TimeDuration, OffsetDateTime};

use crate::args::CertsArgs;

/// A certificate authority held in memory.
pub struct CertAuthority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A serving certificate and its key, PEM-encoded.
#[derive(Clone, Debug)]
pub struct ServingPair {
    pub cert_pem: String,
    pub key_pem: String,
    /// The certificate's DER bytes (what a TLS client sees as the peer certificate).
    pub cert_der: Vec<u8>,
    /// The serial number bytes.
    pub serial: Vec<u8>,
}

fn random_serial() -> anyhow::Result<SerialNumber> {
    let mut bytes = [0u8; 16];
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut bytes)
        .map_err(|_| anyhow::anyhow!("no secure random source"))?;
    bytes[0] &= 0x7f; // positive
    bytes[0] |= 0x01; // no leading zero byte, fixed length
    Ok(SerialNumber::from_slice(&bytes))
}

fn validity(params: &mut CertificateParams, days: u32) {
    let now = OffsetDateTime::now_utc();
    params.not_before = now - TimeDuration::hours(1);
    params.not_after = now + TimeDuration::days(i64::from(days));
}

impl CertAuthority {
    /// A new ECDSA P-256 CA valid for `days`.
    pub fn generate(common_name: &str, days: u32) -> anyhow::Result<Self> {
        let key = KeyPair::generate().context("generating CA key")?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.serial_number = Some(random_serial()?);
        validity(&mut params, days);
        let issuer = CertifiedIssuer::self_signed(params, key).context("self-signing CA")?;
        Ok(CertAuthority { issuer })
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> String {
        self.issuer.pem()
    }

    /// The CA certificate, DER.
    pub fn cert_der(&self) -> Vec<u8> {
        self.issuer.der().to_vec()
    }

    /// Issue a serving certificate for `names` (DNS names or IP addresses;
    /// the first is also the common name).
    pub fn issue(&self, names: &[String], days: u32) -> anyhow::Result<ServingPair> {
        if names.is_empty() {
            bail!("a serving certificate needs at least one name");
        }
        let key = KeyPair::generate().context("generating serving key")?;
        let mut params = CertificateParams::new(names.to_vec()).context("invalid DNS name")?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, names[0].as_str());
        params.distinguished_name = dn;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let serial = random_serial()?;
        params.serial_number = Some(serial.clone());
        validity(&mut params, days);
        let cert = params
            .signed_by(&key, &self.issuer)
            .context("signing serving certificate")?;
        Ok(ServingPair {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_der: cert.der().to_vec(),
            serial: serial.to_bytes(),
        })
    }
}

/// The names a webhook Service is reached by: `svc`, `svc.ns`, `svc.ns.svc`,
/// `svc.ns.svc.cluster.local`, then `extra` (deduplicated, order kept).
pub fn service_names(service: &str, namespace: &str, extra: &[String]) -> Vec<String> {
    let mut names = vec![
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.cluster.local"),
        format!("{service}.{namespace}"),
        service.to_string(),
    ];
    for n in extra {
        let n = n.trim();
        if !n.is_empty() && !names.iter().any(|x| x == n) {
            names.push(n.to_string());
        }
    }
    names
}

fn write_file(path: &Path, contents: &[u8], mode: u32, force: bool) -> anyhow::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).mode(mode);
    if force {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {} (use --force to overwrite)", path.display()))?;
    f.write_all(contents)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// `podgate certs`: write `ca.crt`, `tls.crt`, `tls.key` (mode 0600) into
/// `--out-dir` and print the base64 `caBundle` for the webhook configurations.
pub fn run_certs(args: CertsArgs) -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let names = service_names(&args.service, &args.namespace, &args.dns_names);
    let ca = CertAuthority::generate(&format!("podgate-ca.{}", args.namespace), args.days)?;
    let pair = ca.issue(&names, args.days)?;
    fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("creating {}", args.out_dir.display()))?;
    let ca_pem = ca.cert_pem();
    write_file(
        &args.out_dir.join("ca.crt"),
        ca_pem.as_bytes(),
        0o644,
        args.force,
    )?;
    write_file(
        &args.out_dir.join("tls.crt"),
        pair.cert_pem.as_bytes(),
        0o644,
        args.force,
    )?;
    write_file(
        &args.out_dir.join("tls.key"),
        pair.key_pem.as_bytes(),
        0o600,
        args.force,
    )?;
    // Make sure an overwritten key file that existed with wider bits is 0600 too.
    fs::set_permissions(
        args.out_dir.join("tls.key"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )?;
    eprintln!(
        "wrote ca.crt, tls.crt, tls.key to {} for {} (valid {} days)",
        args.out_dir.display(),
        names.join(", "),
        args.days
    );
    eprintln!("caBundle for the webhook configurations:");
    println!(
        "{}",
        base64::engine::general_purpose::STANDARD.encode(ca_pem.as_bytes())
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cover_the_service_forms() {
        let n = service_names(
            "podgate",
            "podgate-system",
            &["localhost".into(), "podgate".into()],
        );
        assert_eq!(
            n,
            [
                "podgate.podgate-system.svc",
                "podgate.podgate-system.svc.cluster.local",
                "podgate.podgate-system",
                "podgate",
                "localhost"
            ]
        );
    }
}
