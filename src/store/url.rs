//! Database URLs: which backend, and a form safe to print (never the password).

use std::fmt;
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

/// The URL with any password replaced by `***`, for errors and logs.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let after_scheme = scheme_end + "://".len();
    let authority_end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map(|i| after_scheme + i)
        .unwrap_or(url.len());
    let authority = &url[after_scheme..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let credentials = &authority[..at];
    let Some(colon) = credentials.find(':') else {
        return url.to_string();
    };
    format!(
        "{}{}:***{}",
        &url[..after_scheme],
        &credentials[..colon],
        &url[after_scheme + at..]
    )
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
