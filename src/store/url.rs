//! Database URLs: which backend, and a form safe to print (never the password).

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

/// Why a `--database` value is not a usable database URL. Never holds a password.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseUrlError {
    #[error("the SQLite URL names no file (expected sqlite://PATH)")]
    NoSqliteFile,
    #[error(
        "an in-memory SQLite database would lose everything on exit; name a file (sqlite://PATH)"
    )]
    InMemorySqlite,
    /// Holds the URL already redacted.
    #[error("database URL \"{redacted}\" is neither sqlite://PATH nor postgres://...")]
    UnknownScheme { redacted: String },
}

/// A parsed `--database` value.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite { path: PathBuf },
    Postgres { url: String },
}

impl DatabaseUrl {
    pub fn parse(text: &str) -> Result<DatabaseUrl, DatabaseUrlError> {
        let text = text.trim();
        if let Some(rest) = text
            .strip_prefix("sqlite://")
            .or_else(|| text.strip_prefix("sqlite:"))
        {
            let path = rest.split('?').next().unwrap_or(rest);
            if path.is_empty() {
                return Err(DatabaseUrlError::NoSqliteFile);
            }
            if path == ":memory:" {
                return Err(DatabaseUrlError::InMemorySqlite);
            }
            return Ok(DatabaseUrl::Sqlite {
                path: PathBuf::from(path),
            });
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres {
                url: text.to_string(),
            });
        }
        Err(DatabaseUrlError::UnknownScheme {
            redacted: redact(text),
        })
    }
}

/// Query parameters (and `key=value` settings) whose value is a credential. `passfile` only
/// names a file, so it stays visible.
const SECRET_KEYS: &[&str] = &["password", "sslpassword"];

const MASK: &str = "***";

/// The URL with every credential replaced by `***`, for errors and logs: the password of the
/// userinfo, and the values of `password` and `sslpassword` parameters.
///
/// Passwords are often pasted without percent-encoding, so the userinfo is everything between
/// `://` and the last `@` (a password may hold `/ ? # @`), and everything after its first `:`
/// is secret. Masking too much is harmless; masking too little is not.
pub fn redact(url: &str) -> String {
    let mut redacted = String::with_capacity(url.len());
    let mut shown_up_to = 0;
    for secret in secret_ranges(url) {
        redacted.push_str(&url[shown_up_to..secret.start]);
        redacted.push_str(MASK);
        shown_up_to = secret.end;
    }
    redacted.push_str(&url[shown_up_to..]);
    redacted
}

/// Where the credentials of `url` are, in order: see `redact`.
fn secret_ranges(url: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut parameters_from = 0;
    if let Some(scheme_end) = url.find("://") {
        let userinfo_start = scheme_end + "://".len();
        if let Some(at) = url[userinfo_start..].rfind('@') {
            let userinfo_end = userinfo_start + at;
            if let Some(colon) = url[userinfo_start..userinfo_end].find(':') {
                ranges.push(userinfo_start + colon + 1..userinfo_end);
                parameters_from = userinfo_end;
            }
        }
    }
    ranges.extend(
        parameter_ranges(&url[parameters_from..])
            .into_iter()
            .map(|r| r.start + parameters_from..r.end + parameters_from),
    );
    ranges
}

/// The values of `SECRET_KEYS` parameters in `text`, each up to the next `&` or whitespace.
/// A key counts at the start, or after `?`, `&` or whitespace.
fn parameter_ranges(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut at_boundary = true;
    let mut index = 0;
    while let Some(c) = text[index..].chars().next() {
        if at_boundary && let Some(key) = secret_key_at(&text[index..]) {
            let start = index + key;
            let end = text[start..]
                .find(|c: char| c == '&' || c.is_whitespace())
                .map(|i| start + i)
                .unwrap_or(text.len());
            ranges.push(start..end);
            index = end;
            at_boundary = false;
            continue;
        }
        at_boundary = matches!(c, '?' | '&') || c.is_whitespace();
        index += c.len_utf8();
    }
    ranges
}

/// The length of `key=` when `text` starts with a secret key, in any case.
fn secret_key_at(text: &str) -> Option<usize> {
    SECRET_KEYS.iter().find_map(|key| {
        let candidate = text.get(..key.len() + 1)?;
        (candidate[..key.len()].eq_ignore_ascii_case(key) && candidate.ends_with('='))
            .then_some(key.len() + 1)
    })
}

/// The credentials `redact` hides, as written and percent-decoded, for scrubbing messages
/// from libraries that might quote them.
pub fn secrets(url: &str) -> Vec<String> {
    let written: Vec<String> = secret_ranges(url)
        .into_iter()
        .map(|range| url[range].to_string())
        .filter(|secret| !secret.is_empty())
        .collect();
    let decoded: Vec<String> = written.iter().filter_map(|s| percent_decode(s)).collect();
    written.into_iter().chain(decoded).collect()
}

/// `text` with every credential of `url` replaced by `***`: for messages from libraries
/// (sqlx, the driver) that might quote the URL or its parts.
pub fn scrub(text: &str, url: &str) -> String {
    let mut secrets = secrets(url);
    // Longest first, so a secret containing another is replaced whole.
    secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    let mut scrubbed = redact_urls_in(text, url);
    for secret in secrets {
        scrubbed = scrubbed.replace(&secret, MASK);
    }
    scrubbed
}

/// Replaces the whole URL wherever a message quotes it.
fn redact_urls_in(text: &str, url: &str) -> String {
    if url.is_empty() {
        return text.to_string();
    }
    text.replace(url, &redact(url))
}

/// Percent-decodes `text` when it has any escape and decodes to UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return None;
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[index], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                index += 3;
            }
            (byte, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite { path } => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres { url } => f.write_str(&redact(url)),
        }
    }
}

/// Debug never shows the password either.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_print() {
        let url =
            DatabaseUrl::parse("postgres://bob:s3cret@db.example:5432/orders?sslmode=require")
                .unwrap();
        assert_eq!(
            url.to_string(),
            "postgres://bob:***@db.example:5432/orders?sslmode=require"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(redact("postgres://bob@host/db"), "postgres://bob@host/db");
        assert_eq!(redact("postgres://host/db"), "postgres://host/db");
    }

    #[test]
    fn every_credential_is_masked_wherever_it_sits() {
        assert_eq!(
            redact("postgres://bob@h/db?sslmode=require&password=s3&sslpassword=k&passfile=/p"),
            "postgres://bob@h/db?sslmode=require&password=***&sslpassword=***&passfile=/p"
        );
        assert_eq!(
            redact("postgres://bob:pa/ss?wo#r@d@h:5432/db"),
            "postgres://bob:***@h:5432/db"
        );
        assert_eq!(
            redact("host=h PASSWORD=s3 user=bob"),
            "host=h PASSWORD=*** user=bob"
        );
        assert_eq!(
            redact("postgres://bob@h/db?application_name=mypassword=x"),
            "postgres://bob@h/db?application_name=mypassword=x"
        );
    }

    #[test]
    fn messages_are_scrubbed_of_secrets_even_decoded() {
        let url = "postgres://bob:p%40ss@h/db?password=s3cret";
        let mut found = secrets(url);
        found.sort();
        assert_eq!(found, ["p%40ss", "p@ss", "s3cret"]);
        let message = format!("failed for {url}: password p@ss and s3cret rejected");
        let scrubbed = scrub(&message, url);
        for secret in ["p%40ss", "p@ss", "s3cret"] {
            assert!(!scrubbed.contains(secret), "{scrubbed}");
        }
        assert!(scrubbed.contains("bob:***@h/db"), "{scrubbed}");
    }

    #[test]
    fn sqlite_urls_name_a_file() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/board.db").unwrap(),
            DatabaseUrl::Sqlite {
                path: "data/board.db".into()
            }
        );
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("sqlite::memory:").is_err());
        let error = DatabaseUrl::parse("mysql://u:pw@h/db")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("pw"), "{error}");
    }
}
