//! `config.toml`: read once into one struct; command-line flags and the environment override it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::workflow::load::{line_column, read_bounded};

/// The file as written. Every key is optional; unknown keys are errors (typos).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite://PATH` or `postgres://...`.
    pub database: Option<String>,
    /// The workflow the board opens on when the database holds several.
    pub default_workflow: Option<String>,
    /// A folder of workflow files that add to or override the shipped ones.
    pub workflow_dir: Option<PathBuf>,
    /// How often the SQLite feed checks for other processes' commits, in milliseconds.
    pub feed_interval_ms: Option<u64>,
    /// The zone the UI shows times in: "local" (the default), "UTC" or "+02:00".
    pub time_zone: Option<String>,
    /// Theme: `dark` or `light`, with named colours overridden under [theme.colors].
    #[serde(default)]
    pub theme: ThemeConfig,
    /// Key bindings: action name = key or list of keys (`"ctrl-r"`, `"enter"`, `"j"`), the
    /// board's directly under [keys], each overlay's under [keys.MODE].
    #[serde(default)]
    pub keys: KeysConfig,
    /// Where `orderboard serve` delivers effects (http.md, "Sinks"); checked when it starts.
    #[serde(default)]
    pub sinks: Vec<SinkConfig>,
    /// Where relative paths in the file are resolved from (the file's folder).
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// The file this came from, for messages.
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

/// One `[[sinks]]` table, exactly the keys of http.md; the runner checks the values.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SinkConfig {
    pub name: String,
    /// Effect kinds this sink takes: `refund`, `notify`, `inventory.reserve`, ...
    pub effects: Vec<String>,
    pub url: String,
    /// The environment variable holding the HMAC-SHA256 key (never the key itself).
    pub secret_env: String,
    pub timeout_ms: Option<u64>,
    pub max_attempts: Option<u32>,
    pub first_retry_ms: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeConfig {
    pub base: Option<String>,
    #[serde(default)]
    pub colors: BTreeMap<String, String>,
}

/// [keys]: the board's bindings, and a table per overlay or screen.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct KeysConfig {
    #[serde(default)]
    pub menu: BTreeMap<String, KeySpec>,
    #[serde(default)]
    pub input: BTreeMap<String, KeySpec>,
    #[serde(default)]
    pub confirm: BTreeMap<String, KeySpec>,
    #[serde(default)]
    pub help: BTreeMap<String, KeySpec>,
    #[serde(default)]
    pub login: BTreeMap<String, KeySpec>,
    #[serde(default)]
    pub graph: BTreeMap<String, KeySpec>,
    #[serde(default)]
    pub explorer: BTreeMap<String, KeySpec>,
    /// Everything else under [keys] is a board action.
    #[serde(flatten)]
    pub board: BTreeMap<String, KeySpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum KeySpec {
    One(String),
    Many(Vec<String>),
}

impl KeySpec {
    pub fn keys(&self) -> Vec<&str> {
        match self {
            KeySpec::One(key) => vec![key.as_str()],
            KeySpec::Many(keys) => keys.iter().map(String::as_str).collect(),
        }
    }
}

pub const DEFAULT_FEED_INTERVAL_MS: u64 = 100;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Config {
    /// `--config` if given (it must exist), else `./config.toml`, else the user's config
    /// folder; none of them existing means defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        if let Some(path) = explicit {
            return Config::from_file(path);
        }
        let local = Path::new("config.toml");
        if local.exists() {
            return Config::from_file(local);
        }
        if let Some(dirs) = project_dirs() {
            let user = dirs.config_dir().join("config.toml");
            if user.exists() {
                return Config::from_file(&user);
            }
        }
        Ok(Config::default())
    }

    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = read_bounded(path, "config file")
            .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
        let mut config = Config::parse(&path.display().to_string(), &text)?;
        config.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        config.source = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parses config text; errors read `FILE:LINE:COL: message`.
    pub fn parse(file: &str, text: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|error| {
            let (line, column) = error
                .span()
                .map(|span| line_column(text, span.start))
                .unwrap_or((1, 1));
            ConfigError(format!(
                "{file}:{line}:{column}: {}",
                error.message().trim().replace('\n', " ")
            ))
        })
    }

    /// The workflow folder, resolved against the config file's folder.
    pub fn workflow_dir(&self) -> Option<PathBuf> {
        self.workflow_dir
            .as_ref()
            .map(|dir| self.base_dir.join(dir))
    }

    /// The database URL from the file, with a relative SQLite path resolved against the file's folder.
    pub fn database(&self) -> Option<String> {
        let url = self.database.as_ref()?;
        if let Some(path) = url.strip_prefix("sqlite://")
            && Path::new(path).is_relative()
            && !self.base_dir.as_os_str().is_empty()
        {
            return Some(format!("sqlite://{}", self.base_dir.join(path).display()));
        }
        Some(url.clone())
    }

    pub fn feed_interval_ms(&self) -> u64 {
        self.feed_interval_ms
            .unwrap_or(DEFAULT_FEED_INTERVAL_MS)
            .clamp(10, 5_000)
    }
}

pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "orderboard")
}

/// The default database when neither flag, environment nor config names one.
pub fn default_database_url() -> String {
    match project_dirs() {
        Some(dirs) => format!(
            "sqlite://{}",
            dirs.data_dir().join("orderboard.db").display()
        ),
        None => "sqlite://orderboard.db".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_located() {
        let error = Config::parse(
            "config.toml",
            "database = \"sqlite://x.db\"\nfeed_intervall_ms = 5\n",
        )
        .unwrap_err();
        assert!(
            error
                .0
                .starts_with("config.toml:2:1: unknown field `feed_intervall_ms`"),
            "{error}"
        );
    }

    #[test]
    fn relative_sqlite_paths_follow_the_file() {
        let mut config = Config::parse("c", "database = \"sqlite://board.db\"").unwrap();
        config.base_dir = PathBuf::from("/etc/orderboard");
        assert_eq!(
            config.database().unwrap(),
            "sqlite:///etc/orderboard/board.db"
        );
    }
}
