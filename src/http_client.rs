//! What the two HTTP clients share, the runner's (deliveries to sinks) and the remote office's
//! (`--server`): rustls's crypto provider, and transport errors in one line.

/// rustls needs one process-wide crypto provider; ring is the one sqlx already brings.
pub fn install_crypto_provider() {
    // Err means one is installed already: fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The error without the URL (which may carry credentials) and with its causes.
pub fn describe_error(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
