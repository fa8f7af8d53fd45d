//! The sinks of `config.toml`, checked once when `serve` starts: which sink takes which
//! effect kind, where it is, how long to wait and how often to try.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::transport::{HttpTransport, Transport};
use crate::config::SinkConfig;
use crate::domain::text::display_safe;
use crate::workflow::EFFECT_KINDS;

pub const DEFAULT_TIMEOUT_MS: u64 = 5_000;
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;
pub const DEFAULT_FIRST_RETRY_MS: u64 = 1_000;
const MAX_TIMEOUT_MS: u64 = 120_000;
const MAX_ATTEMPTS: u32 = 100;
/// Retries double from `first_retry_ms` up to this (http.md: "up to 10 min").
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(600);
const MAX_SINKS: usize = 64;
const MAX_URL_BYTES: usize = 2048;

/// A sink's HMAC key: never printed, never logged.
#[derive(Clone)]
pub struct SinkSecret(Vec<u8>);

impl fmt::Debug for SinkSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SinkSecret(<redacted>)")
    }
}

impl SinkSecret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> SinkSecret {
        SinkSecret(bytes.into())
    }

    /// `sha256=<hex HMAC of the body>`, the `X-Orderboard-Signature` header.
    pub fn sign(&self, body: &[u8]) -> String {
        // HMAC takes a key of any length; this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(body);
        let digest = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(7 + digest.len() * 2);
        hex.push_str("sha256=");
        for byte in digest {
            hex.push_str(&format!("{byte:02x}"));
        }
        hex
    }
}

/// One sink, ready to deliver to.
#[derive(Clone)]
pub struct Sink {
    pub name: String,
    pub kinds: Vec<String>,
    pub transport: Arc<dyn Transport>,
    pub secret: SinkSecret,
    pub timeout: Duration,
    pub max_attempts: u32,
    pub first_retry: Duration,
}

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sink")
            .field("name", &self.name)
            .field("kinds", &self.kinds)
            .field("target", &self.transport.describe())
            .finish_non_exhaustive()
    }
}

/// The routing table: effect kind to the one sink that takes it.
#[derive(Clone, Debug, Default)]
pub struct Sinks {
    sinks: Vec<Sink>,
    by_kind: BTreeMap<String, usize>,
}

/// Why the `[[sinks]]` tables cannot be used: one sentence naming the sink and the key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SinkConfigError(pub String);

impl Sinks {
    /// Checks the tables and reads each secret from its environment variable (`env` is
    /// `std::env::var` outside tests).
    pub fn from_config(
        tables: &[SinkConfig],
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Sinks, SinkConfigError> {
        if tables.len() > MAX_SINKS {
            return Err(SinkConfigError(format!(
                "{} sinks are configured; at most {MAX_SINKS} are allowed",
                tables.len()
            )));
        }
        let mut sinks = Sinks::default();
        for table in tables {
            let checked = check_table(table)?;
            let secret = env(&table.secret_env)
                .filter(|value| !value.is_empty())
                .ok_or_else(|| {
                    SinkConfigError(format!(
                        "sink \"{}\": the environment variable {} (secret_env) is not set",
                        checked.name,
                        display_safe(&table.secret_env)
                    ))
                })?;
            let transport = HttpTransport::new(&checked.url, checked.timeout)
                .map_err(|e| SinkConfigError(format!("sink \"{}\": {e}", checked.name)))?;
            sinks.add(Sink {
                name: checked.name,
                kinds: checked.kinds,
                transport: Arc::new(transport),
                secret: SinkSecret::new(secret.into_bytes()),
                timeout: checked.timeout,
                max_attempts: checked.max_attempts,
                first_retry: checked.first_retry,
            })?;
        }
        Ok(sinks)
    }

    /// Adds a sink; a kind already taken by another sink is refused.
    pub fn add(&mut self, sink: Sink) -> Result<(), SinkConfigError> {
        if self.sinks.iter().any(|s| s.name == sink.name) {
            return Err(SinkConfigError(format!(
                "sink \"{}\" is configured twice",
                sink.name
            )));
        }
        let index = self.sinks.len();
        for kind in &sink.kinds {
            if let Some(&other) = self.by_kind.get(kind) {
                return Err(SinkConfigError(format!(
                    "effect \"{kind}\" is taken by both sink \"{}\" and sink \"{}\"",
                    self.sinks[other].name, sink.name
                )));
            }
            self.by_kind.insert(kind.clone(), index);
        }
        self.sinks.push(sink);
        Ok(())
    }

    pub fn for_kind(&self, kind: &str) -> Option<&Sink> {
        self.by_kind.get(kind).map(|&index| &self.sinks[index])
    }

    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Sink> {
        self.sinks.iter()
    }

    /// The longest a delivery may take: leases outlast it, so two runners never deliver the
    /// same effect at once.
    pub fn longest_timeout(&self) -> Duration {
        self.sinks
            .iter()
            .map(|s| s.timeout)
            .max()
            .unwrap_or(Duration::from_millis(DEFAULT_TIMEOUT_MS))
    }
}

struct CheckedTable {
    name: String,
    url: String,
    kinds: Vec<String>,
    timeout: Duration,
    max_attempts: u32,
    first_retry: Duration,
}

fn check_table(table: &SinkConfig) -> Result<CheckedTable, SinkConfigError> {
    let name = table.name.trim();
    let name_ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !name_ok {
        return Err(SinkConfigError(format!(
            "sink name \"{}\" must be 1 to 64 letters, digits, '.', '-' or '_'",
            display_safe(&table.name)
        )));
    }
    let fail = |what: String| SinkConfigError(format!("sink \"{name}\": {what}"));
    if table.effects.is_empty() {
        return Err(fail(
            "effects is empty: name the effect kinds it takes".into(),
        ));
    }
    for kind in &table.effects {
        if !EFFECT_KINDS.contains(&kind.as_str()) {
            return Err(fail(format!(
                "unknown effect kind \"{}\" in effects (known: {})",
                display_safe(kind),
                EFFECT_KINDS.join(", ")
            )));
        }
    }
    if table.url.len() > MAX_URL_BYTES {
        return Err(fail(format!("url is longer than {MAX_URL_BYTES} bytes")));
    }
    let timeout_ms = table.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
    if !(1..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
        return Err(fail(format!(
            "timeout_ms must be from 1 to {MAX_TIMEOUT_MS}, not {timeout_ms}"
        )));
    }
    let max_attempts = table.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS);
    if !(1..=MAX_ATTEMPTS).contains(&max_attempts) {
        return Err(fail(format!(
            "max_attempts must be from 1 to {MAX_ATTEMPTS}, not {max_attempts}"
        )));
    }
    let first_retry_ms = table.first_retry_ms.unwrap_or(DEFAULT_FIRST_RETRY_MS);
    let first_retry = Duration::from_millis(first_retry_ms);
    if first_retry_ms == 0 || first_retry > MAX_RETRY_DELAY {
        return Err(fail(format!(
            "first_retry_ms must be from 1 to {}, not {first_retry_ms}",
            MAX_RETRY_DELAY.as_millis()
        )));
    }
    Ok(CheckedTable {
        name: name.to_string(),
        url: table.url.clone(),
        kinds: table.effects.clone(),
        timeout: Duration::from_millis(timeout_ms),
        max_attempts,
        first_retry,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(url: &str) -> SinkConfig {
        SinkConfig {
            name: "payments".into(),
            effects: vec!["refund".into(), "payout".into()],
            url: url.into(),
            secret_env: "SECRET".into(),
            timeout_ms: None,
            max_attempts: None,
            first_retry_ms: None,
        }
    }

    fn env(_: &str) -> Option<String> {
        Some("key".into())
    }

    #[test]
    fn a_good_table_routes_its_kinds() {
        let sinks = Sinks::from_config(&[table("http://127.0.0.1:9/hook")], env).expect("ok");
        assert_eq!(
            sinks.for_kind("refund").map(|s| s.name.as_str()),
            Some("payments")
        );
        assert!(sinks.for_kind("notify").is_none());
    }

    #[test]
    fn bad_tables_are_refused_with_the_sink_and_key() {
        let mut bad_kind = table("http://127.0.0.1:9/");
        bad_kind.effects = vec!["teleport".into()];
        let error = Sinks::from_config(&[bad_kind], env).unwrap_err().0;
        assert!(
            error.starts_with("sink \"payments\": unknown effect kind \"teleport\""),
            "{error}"
        );

        let error = Sinks::from_config(&[table("ftp://example.com/")], env)
            .unwrap_err()
            .0;
        assert!(error.contains("http or https"), "{error}");

        let error = Sinks::from_config(&[table("http://127.0.0.1:9/")], |_| None)
            .unwrap_err()
            .0;
        assert!(error.contains("SECRET (secret_env) is not set"), "{error}");

        let mut zero = table("http://127.0.0.1:9/");
        zero.max_attempts = Some(0);
        let error = Sinks::from_config(&[zero], env).unwrap_err().0;
        assert!(error.contains("max_attempts must be from 1"), "{error}");

        let twice = [table("http://127.0.0.1:9/"), {
            let mut other = table("http://127.0.0.1:9/");
            other.name = "other".into();
            other
        }];
        let error = Sinks::from_config(&twice, env).unwrap_err().0;
        assert!(error.contains("taken by both"), "{error}");
    }

    #[test]
    fn signatures_are_hmac_sha256_hex() {
        // RFC 4231, test case 2.
        let secret = SinkSecret::new(b"Jefe".to_vec());
        assert_eq!(
            secret.sign(b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(format!("{secret:?}"), "SinkSecret(<redacted>)");
    }
}
