//! Where the remote office's server is, and the HTTP client that talks to it: TLS always
//! verified (the system's roots, or only a private CA's with `--ca`), plain HTTP only to this
//! machine unless the user says `--insecure`.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use reqwest::Url;

/// How long one request to the server may take, and its connection.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A server's base address: `https://host[:port][/prefix]`, or `http://` to this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerAddress {
    url: Url,
}

impl ServerAddress {
    /// Reads `--server URL`. Plain `http://` is refused unless the host is this machine or
    /// `insecure` is set: a password and a session token would cross the network readable.
    pub fn parse(text: &str, insecure: bool) -> Result<ServerAddress, String> {
        let shown = crate::domain::text::display_safe(text);
        let url = Url::parse(text.trim()).map_err(|e| {
            format!("server address \"{shown}\" is not a URL like https://host ({e})")
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!(
                "server address \"{shown}\" must be an https:// URL with a host"
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            // Never echo it: it may hold a password.
            return Err(
                "a server address must not hold a user name or password: sign in with `orderboard login`"
                    .to_string(),
            );
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "server address \"{shown}\" must not have a query or fragment"
            ));
        }
        let address = ServerAddress { url };
        if address.url.scheme() == "http" && !address.is_this_machine() && !insecure {
            return Err(format!(
                "server address \"{shown}\" is plain http to another machine: passwords and session tokens would cross the network readable; use https, or --insecure to accept that"
            ));
        }
        Ok(address)
    }

    /// Whether the host is this machine (`localhost` or a loopback address).
    pub fn is_this_machine(&self) -> bool {
        let host = self.url.host_str().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip.to_canonical().is_loopback())
    }

    /// Plain HTTP to another machine (allowed by `--insecure`): the TUI's header says so.
    pub fn is_insecure(&self) -> bool {
        self.url.scheme() == "http" && !self.is_this_machine()
    }

    /// The address with these path segments appended (each percent-encoded).
    pub fn join(&self, segments: &[&str]) -> Url {
        let mut url = self.url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            path.extend(segments);
        }
        url
    }

    /// The key a saved session is filed under: the address without a trailing slash.
    pub fn key(&self) -> String {
        self.url.as_str().trim_end_matches('/').to_string()
    }
}

impl fmt::Display for ServerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// The client for a server: certificates verified against the system's roots, or against
/// only the PEM certificates of `ca` (a private CA); redirects not followed (a sign-in must
/// not be resent elsewhere).
pub fn http_client(ca: Option<&Path>) -> Result<reqwest::Client, String> {
    crate::http_client::install_crypto_provider();
    let mut builder = reqwest::Client::builder()
        // Between two reads: an event stream is quiet for at most its 15 s keep-alive, so a
        // silent server is noticed; each ordinary request also has `REQUEST_TIMEOUT` in all.
        .read_timeout(REQUEST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("orderboard/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = ca {
        let text = crate::workflow::load::read_bounded(path, "CA certificate")
            .map_err(|e| format!("--ca {}: {e}", path.display()))?;
        let certificates = reqwest::Certificate::from_pem_bundle(text.as_bytes())
            .map_err(|e| format!("--ca {}: not PEM certificates ({e})", path.display()))?;
        if certificates.is_empty() {
            return Err(format!("--ca {}: holds no PEM certificate", path.display()));
        }
        builder = builder.tls_certs_only(certificates);
    }
    builder
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))
}

#[cfg(test)]
mod tests {
    use super::ServerAddress;

    #[test]
    fn plain_http_only_to_this_machine_unless_insecure() {
        for local in [
            "http://localhost:8080",
            "http://127.0.0.1:1",
            "http://[::1]:9",
        ] {
            let address = ServerAddress::parse(local, false).unwrap();
            assert!(!address.is_insecure(), "{local}");
        }
        let refused = ServerAddress::parse("http://orders.example.com", false).unwrap_err();
        assert!(refused.contains("plain http"), "{refused}");
        let allowed = ServerAddress::parse("http://orders.example.com", true).unwrap();
        assert!(allowed.is_insecure());
        assert!(ServerAddress::parse("https://orders.example.com", false).is_ok());
    }

    #[test]
    fn malformed_addresses_are_one_sentence_and_never_echo_a_password() {
        for bad in [
            "orders",
            "ftp://host",
            "https://",
            "https://h/?a=1",
            "https://h/#x",
        ] {
            assert!(ServerAddress::parse(bad, false).is_err(), "{bad}");
        }
        let refused = ServerAddress::parse("https://ada:s3cret@host", false).unwrap_err();
        assert!(!refused.contains("s3cret"), "{refused}");
    }

    #[test]
    fn paths_are_joined_and_encoded_under_a_prefix() {
        let address = ServerAddress::parse("https://host/api/", false).unwrap();
        assert_eq!(
            address
                .join(&["orders", "7", "events", "order/accepted"])
                .as_str(),
            "https://host/api/orders/7/events/order%2Faccepted"
        );
        assert_eq!(address.key(), "https://host/api");
    }
}
