//! TLS for `serve --tls-cert FILE --tls-key FILE`: rustls with ring (the provider sqlx and the
//! HTTP client already build), HTTP/1.1 over it. Without the flags `serve` speaks plain HTTP,
//! for a reverse proxy that terminates TLS in front of it.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::workflow::load::read_bounded;

/// The server's TLS settings from a PEM certificate chain (the server's certificate first)
/// and its PEM private key; every problem is one sentence naming the file.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
    let named = |path: &Path, problem: String| format!("{}: {problem}", path.display());
    let cert_text =
        read_bounded(cert, "TLS certificate").map_err(|e| named(cert, e.to_string()))?;
    let chain = CertificateDer::pem_slice_iter(cert_text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| named(cert, format!("not a PEM certificate chain ({e})")))?;
    if chain.is_empty() {
        return Err(named(cert, "holds no PEM certificate".into()));
    }
    let key_text = read_bounded(key, "TLS private key").map_err(|e| named(key, e.to_string()))?;
    let private_key = PrivateKeyDer::from_pem_slice(key_text.as_bytes())
        .map_err(|e| named(key, format!("not a PEM private key ({e})")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS cannot be set up: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(|e| {
            format!(
                "{} and {} do not make a usable certificate and key ({e})",
                cert.display(),
                key.display()
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
