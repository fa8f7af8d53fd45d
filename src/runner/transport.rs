//! How a delivery reaches a sink: HTTP for configured sinks, or an in-process simulation for
//! the demo. The runner signs and classifies; a transport only carries.

use std::time::Duration;

use futures::future::BoxFuture;

use crate::http_client::{describe_error, install_crypto_provider};

/// The most of a sink's answer the runner reads: an answer is a small JSON object.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// A `Retry-After` longer than this is cut to it: a sink cannot park an effect for days.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// One signed delivery, ready to send.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub body: Vec<u8>,
    pub idempotency_key: String,
    pub signature: String,
    pub attempt: i64,
}

/// What came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Status {
        code: u16,
        retry_after: Option<Duration>,
        /// At most `MAX_ANSWER_BYTES`.
        body: Vec<u8>,
    },
    TimedOut,
    /// Could not connect, or the connection broke.
    Failed(String),
}

pub trait Transport: Send + Sync {
    fn send<'a>(&'a self, delivery: &'a Outgoing) -> BoxFuture<'a, Answer>;
    /// Where it delivers, for logs (no credentials).
    fn describe(&self) -> String;
}

/// `POST url` with the http.md headers; redirects are not followed (a sink that moved is a
/// configuration error, and following would resend the signed body elsewhere).
pub struct HttpTransport {
    client: reqwest::Client,
    url: reqwest::Url,
}

impl HttpTransport {
    pub fn new(url: &str, timeout: Duration) -> Result<HttpTransport, String> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| format!("url \"{}\" is not a URL ({e})", redact_url(url)))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(format!(
                "url \"{}\" must be an http or https URL with a host",
                redact_url(url)
            ));
        }
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("orderboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        Ok(HttpTransport {
            client,
            url: parsed,
        })
    }

    async fn post(&self, delivery: &Outgoing) -> Answer {
        let sent = self
            .client
            .post(self.url.clone())
            .header("content-type", "application/json")
            .header("idempotency-key", &delivery.idempotency_key)
            .header("x-orderboard-signature", &delivery.signature)
            .header("x-orderboard-attempt", delivery.attempt.to_string())
            .body(delivery.body.clone())
            .send()
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(error) if error.is_timeout() => return Answer::TimedOut,
            Err(error) => return Answer::Failed(describe_error(error)),
        };
        let code = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = MAX_ANSWER_BYTES.saturating_sub(body.len());
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if body.len() >= MAX_ANSWER_BYTES {
                        break;
                    }
                }
                Ok(None) => break,
                Err(error) if error.is_timeout() => return Answer::TimedOut,
                Err(error) => return Answer::Failed(describe_error(error)),
            }
        }
        Answer::Status {
            code,
            retry_after,
            body,
        }
    }
}

impl Transport for HttpTransport {
    fn send<'a>(&'a self, delivery: &'a Outgoing) -> BoxFuture<'a, Answer> {
        Box::pin(self.post(delivery))
    }

    fn describe(&self) -> String {
        redact_url(self.url.as_str())
    }
}

/// `Retry-After`: seconds, or an HTTP date; bounded by `MAX_RETRY_AFTER`.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
        (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// A URL with any user and password taken out.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            if !parsed.username().is_empty() || parsed.password().is_some() {
                let _ = parsed.set_username("");
                let _ = parsed.set_password(None);
            }
            parsed.to_string()
        }
        // Not a URL, yet it may still carry a user and password: cut whatever stands
        // between the scheme and an '@' of the authority.
        Err(_) => {
            let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
            let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let rest = match rest[..authority_end].rfind('@') {
                Some(at) => &rest[at + 1..],
                None => rest,
            };
            let shown = if scheme.is_empty() && rest.len() == url.len() {
                rest.to_string()
            } else {
                format!("{scheme}://{rest}")
            };
            crate::domain::text::display_safe(&shown)
                .chars()
                .take(200)
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates_and_is_bounded() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("999999"), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn credentials_in_a_url_are_never_shown() {
        assert_eq!(
            redact_url("https://user:secret@example.com/hook"),
            "https://example.com/hook"
        );
    }
}
