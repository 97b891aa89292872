//! The cluster's credentials: a CA, a serving certificate for `127.0.0.1` and `localhost` signed by it, and the admin
//! user's bearer token, generated into the state dir on first start and loaded from it afterwards; and the kubeconfig
//! that hands them to kubectl.
//!
//! Keys are ECDSA P-256 (rcgen with ring), which Go's TLS stack and rustls both accept. The serving certificate names
//! its addresses in subjectAltName, as Go requires.

use std::path::PathBuf;
use std::sync::Arc;

use knet_apimachinery::protobuf::base64;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{Error, Result};
use crate::identity::ADMIN_USER;
use crate::state_dir::{PRIVATE_FILE, StateDir, read_optional, write_file};
use crate::util;

/// What the server needs to serve TLS and authenticate, and what the kubeconfig hands out.
pub struct Credentials {
    /// The CA certificate in PEM, for the kubeconfig's `certificate-authority-data`.
    pub ca_pem: String,
    /// The serving certificate chain (leaf first).
    pub chain: Vec<CertificateDer<'static>>,
    /// The serving key.
    pub key: PrivateKeyDer<'static>,
    /// The admin user's bearer token.
    pub token: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("chain", &self.chain.len()).finish_non_exhaustive()
    }
}

const CA_CERT: &str = "ca.crt";
const CA_KEY: &str = "ca.key";
const SERVER_CERT: &str = "server.crt";
const SERVER_KEY: &str = "server.key";
const TOKEN: &str = "token";

/// Loads the credentials of `dir`, generating whichever are missing (the certificates as a set).
pub fn ensure(dir: &StateDir) -> Result<Credentials> {
    let tls_error = |message: String| Error::Tls { dir: dir.root().to_owned(), message };
    let (ca, cert, key) = (
        read_optional(&dir.path(CA_CERT))?,
        read_optional(&dir.path(SERVER_CERT))?,
        read_optional(&dir.path(SERVER_KEY))?,
    );
    let (ca_pem, cert_pem, key_pem) = match (ca, cert, key) {
        (Some(ca), Some(cert), Some(key)) => (ca, cert, key),
        _ => generate(dir)?,
    };
    let ca_pem = String::from_utf8(ca_pem).map_err(|_| tls_error(format!("{CA_CERT} is not PEM text")))?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_error(format!("{SERVER_CERT}: {e}")))?;
    if chain.is_empty() {
        return Err(tls_error(format!("{SERVER_CERT} holds no certificate")));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| tls_error(format!("{SERVER_KEY}: {e}")))?;
    let token = match read_optional(&dir.path(TOKEN))? {
        Some(token) => String::from_utf8_lossy(&token).trim().to_owned(),
        None => String::new(),
    };
    let token = if token.is_empty() {
        let token = util::hex(&random(32)?);
        write_file(&dir.path(TOKEN), format!("{token}\n").as_bytes(), PRIVATE_FILE)?;
        token
    } else {
        token
    };
    Ok(Credentials { ca_pem, chain, key, token })
}

fn random(n: usize) -> Result<Vec<u8>> {
    util::random_bytes(n).map_err(|source| Error::Runtime { what: "reading /dev/urandom", source })
}

/// Generates the CA and the serving certificate, writes them (0600, as every file of the state dir) and returns their PEM texts.
fn generate(dir: &StateDir) -> Result<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    let tls_error = |e: rcgen::Error| Error::Tls { dir: dir.root().to_owned(), message: e.to_string() };
    let ca_key = KeyPair::generate().map_err(tls_error)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(tls_error)?;
    ca_params.distinguished_name.push(DnType::CommonName, "knet-ca");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_cert = ca_params.self_signed(&ca_key).map_err(tls_error)?;

    let server_key = KeyPair::generate().map_err(tls_error)?;
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned(), "::1".to_owned()])
        .map_err(tls_error)?;
    params.distinguished_name.push(DnType::CommonName, "kube-apiserver");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let issuer = Issuer::new(ca_params, &ca_key);
    let server_cert = params.signed_by(&server_key, &issuer).map_err(tls_error)?;

    let (ca_pem, cert_pem, key_pem) = (ca_cert.pem(), server_cert.pem(), server_key.serialize_pem());
    write_file(&dir.path(CA_KEY), ca_key.serialize_pem().as_bytes(), PRIVATE_FILE)?;
    write_file(&dir.path(SERVER_KEY), key_pem.as_bytes(), PRIVATE_FILE)?;
    write_file(&dir.path(SERVER_CERT), cert_pem.as_bytes(), PRIVATE_FILE)?;
    // The CA certificate last: its presence marks the set as complete.
    write_file(&dir.path(CA_CERT), ca_pem.as_bytes(), PRIVATE_FILE)?;
    Ok((ca_pem.into_bytes(), cert_pem.into_bytes(), key_pem.into_bytes()))
}

/// The rustls configuration of the server: the serving certificate, HTTP/2 and HTTP/1.1 by ALPN.
pub fn server_config(dir: &StateDir, credentials: &Credentials) -> Result<Arc<rustls::ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| {
            builder.with_no_client_auth().with_single_cert(credentials.chain.clone(), credentials.key.clone_key())
        })
        .map_err(|e| Error::Tls { dir: dir.root().to_owned(), message: e.to_string() })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Writes `DIR/kubeconfig` (mode 0600): cluster `knet` at `server` trusting the CA, user `knet-admin` with the
/// token, and context `knet` made current.
pub fn write_kubeconfig(dir: &StateDir, credentials: &Credentials, server: &str) -> Result<PathBuf> {
    let text = kubeconfig(&credentials.ca_pem, &credentials.token, server);
    let path = dir.kubeconfig();
    write_file(&path, text.as_bytes(), PRIVATE_FILE)?;
    Ok(path)
}

fn kubeconfig(ca_pem: &str, token: &str, server: &str) -> String {
    let ca_data = base64::encode(ca_pem.as_bytes());
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: knet
  cluster:
    server: {server}
    certificate-authority-data: {ca_data}
users:
- name: {ADMIN_USER}
  user:
    token: {token}
contexts:
- name: knet
  context:
    cluster: knet
    user: {ADMIN_USER}
current-context: knet
preferences: {{}}
"
    )
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn generated_once_with_private_modes_and_reused() {
        let root = std::env::temp_dir().join(format!("knet-credentials-{}", std::process::id()));
        let dir = StateDir::new(&root);
        crate::state_dir::create_dir(&root).unwrap();
        let first = ensure(&dir).unwrap();
        let second = ensure(&dir).unwrap();
        assert_eq!(first.token, second.token);
        assert_eq!(first.ca_pem, second.ca_pem);
        assert_eq!(first.token.len(), 64);
        for (name, mode) in [(CA_KEY, 0o600), (SERVER_KEY, 0o600), (TOKEN, 0o600), (CA_CERT, 0o600)] {
            let actual = std::fs::metadata(dir.path(name)).unwrap().permissions().mode() & 0o777;
            assert_eq!(actual, mode, "{name}");
        }
        server_config(&dir, &first).unwrap();
        let path = write_kubeconfig(&dir, &first, "https://127.0.0.1:6443").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("current-context: knet\n") && text.contains(&first.token));
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
