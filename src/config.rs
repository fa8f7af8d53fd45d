//! `config.toml`: read once into one struct; command-line flags and the environment override it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::{OrderSort, Role};
use crate::workflow::load::{line_column, read_bounded};

/// The file as written. Every key is optional; unknown keys are errors (typos).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite://PATH` or `postgres://...`.
    pub database: Option<String>,
    /// `https://host`: work through `orderboard serve` there instead of a database.
    pub server: Option<String>,
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
    /// How long sessions of the API (`POST /sessions`) live.
    #[serde(default)]
    pub sessions: SessionsConfig,
    /// Named board views the palette offers; `start.ROLE` replaces where that role starts.
    /// A later table of the same name replaces an earlier one (saving a view appends).
    #[serde(default)]
    pub views: Vec<ViewConfig>,
    /// Where relative paths in the file are resolved from (the file's folder).
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// The file this came from, for messages.
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

/// `[sessions]`: a session ends after `idle_minutes` without a request (default 30, at most
/// a day) or `absolute_hours` after it was opened (default 12, at most 30 days).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionsConfig {
    pub idle_minutes: Option<u32>,
    pub absolute_hours: Option<u32>,
}

impl SessionsConfig {
    const MAX_IDLE_MINUTES: u32 = 24 * 60;
    const MAX_ABSOLUTE_HOURS: u32 = 30 * 24;

    fn check(&self) -> Result<(), String> {
        if let Some(minutes) = self.idle_minutes
            && !(1..=Self::MAX_IDLE_MINUTES).contains(&minutes)
        {
            return Err(format!(
                "idle_minutes must be from 1 to {}, not {minutes}",
                Self::MAX_IDLE_MINUTES
            ));
        }
        if let Some(hours) = self.absolute_hours
            && !(1..=Self::MAX_ABSOLUTE_HOURS).contains(&hours)
        {
            return Err(format!(
                "absolute_hours must be from 1 to {}, not {hours}",
                Self::MAX_ABSOLUTE_HOURS
            ));
        }
        Ok(())
    }

    /// The idle and the absolute lifetime, when set.
    pub fn lifetimes(&self) -> (Option<chrono::Duration>, Option<chrono::Duration>) {
        (
            self.idle_minutes
                .map(|m| chrono::Duration::minutes(i64::from(m))),
            self.absolute_hours
                .map(|h| chrono::Duration::hours(i64::from(h))),
        )
    }
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

/// One `[[views]]` table: a workflow, a text filter, quick filters and a sort, by name.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ViewConfig {
    pub name: String,
    /// The workflow it shows; none keeps the one on screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub filter: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick: Vec<QuickFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<OrderSort>,
    /// Who the palette offers it to; empty: everyone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
}

/// The board's quick filters as a view names them.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum QuickFilter {
    Mine,
    Late,
    Disputes,
    FailedEffects,
}

/// Longest view name and filter a view may hold: names fit a palette row.
pub const MAX_VIEW_NAME: usize = 64;
pub const MAX_VIEW_FILTER: usize = 200;

impl ViewConfig {
    /// Why a view's name will not do, if it will not: empty, too long, or control characters.
    pub fn name_problem(name: &str) -> Option<String> {
        if name.trim().is_empty() {
            Some("a view needs a name".into())
        } else if name.chars().count() > MAX_VIEW_NAME {
            Some(format!(
                "a view name has at most {MAX_VIEW_NAME} characters"
            ))
        } else if name.chars().any(char::is_control) {
            Some("a view name is plain text, without control characters".into())
        } else {
            None
        }
    }

    /// Whether the palette offers this view to `role`.
    pub fn offered_to(&self, role: Role) -> bool {
        self.roles.is_empty() || self.roles.contains(&role)
    }

    fn check(&self) -> Result<(), String> {
        if let Some(problem) = ViewConfig::name_problem(&self.name) {
            return Err(problem);
        }
        if self.filter.chars().count() > MAX_VIEW_FILTER
            || self.filter.chars().any(char::is_control)
        {
            return Err(format!(
                "filter is plain text of at most {MAX_VIEW_FILTER} characters"
            ));
        }
        Ok(())
    }
}

/// The file's text with `view` appended as a `[[views]]` table, everything before it kept
/// byte for byte; the result must parse, so a file this would break is left alone.
pub fn with_view_appended(
    file: &str,
    text: &str,
    view: &ViewConfig,
) -> Result<String, ConfigError> {
    #[derive(Serialize)]
    struct Views<'a> {
        views: [&'a ViewConfig; 1],
    }
    let table = toml::to_string(&Views { views: [view] })
        .map_err(|e| ConfigError(format!("{file}: cannot write the view: {e}")))?;
    let mut out = text.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&table);
    Config::parse(file, &out)?;
    Ok(out)
}

/// Appends `view` to the config file at `path` (created with its folder if missing), written
/// whole through a temporary file.
pub fn save_view(path: &Path, view: &ViewConfig) -> Result<(), ConfigError> {
    let name = path.display().to_string();
    let text = if path.exists() {
        read_bounded(path, "config file").map_err(|e| ConfigError(format!("{name}: {e}")))?
    } else {
        String::new()
    };
    let updated = with_view_appended(&name, &text, view)?;
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .map_err(|e| ConfigError(format!("cannot create {}: {e}", folder.display())))?;
    }
    crate::files::replace(path, updated.as_bytes()).map_err(|e| ConfigError(e.to_string()))
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
    #[serde(default)]
    pub palette: BTreeMap<String, KeySpec>,
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
        let config: Config = toml::from_str(text).map_err(|error| {
            let (line, column) = error
                .span()
                .map(|span| line_column(text, span.start))
                .unwrap_or((1, 1));
            ConfigError(format!(
                "{file}:{line}:{column}: {}",
                error.message().trim().replace('\n', " ")
            ))
        })?;
        config
            .sessions
            .check()
            .map_err(|e| ConfigError(format!("{file}: [sessions] {e}")))?;
        for view in &config.views {
            view.check()
                .map_err(|e| ConfigError(format!("{file}: [[views]] \"{}\": {e}", view.name)))?;
        }
        Ok(config)
    }

    /// The views by name, a later one of a name replacing an earlier one.
    pub fn views(&self) -> Vec<ViewConfig> {
        let mut views: Vec<ViewConfig> = Vec::new();
        for view in &self.views {
            views.retain(|v| v.name != view.name);
            views.push(view.clone());
        }
        views
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
    fn session_lifetimes_are_bounded() {
        let config = Config::parse(
            "config.toml",
            "[sessions]\nidle_minutes = 15\nabsolute_hours = 8\n",
        )
        .unwrap();
        assert_eq!(
            config.sessions.lifetimes(),
            (
                Some(chrono::Duration::minutes(15)),
                Some(chrono::Duration::hours(8))
            )
        );
        let zero = Config::parse("config.toml", "[sessions]\nidle_minutes = 0\n").unwrap_err();
        assert_eq!(
            zero.0,
            "config.toml: [sessions] idle_minutes must be from 1 to 1440, not 0"
        );
        let long = Config::parse("config.toml", "[sessions]\nabsolute_hours = 9000\n").unwrap_err();
        assert!(
            long.0.contains("absolute_hours must be from 1 to 720"),
            "{}",
            long.0
        );
        let typo = Config::parse("config.toml", "[sessions]\nidle = 5\n").unwrap_err();
        assert!(typo.0.contains("unknown field `idle`"), "{}", typo.0);
    }

    /// A named pipe would block the open until a writer comes: refused at once instead, and
    /// a saved view is not written there either. /dev/null still reads as empty.
    #[test]
    fn a_pipe_is_refused_without_waiting() {
        let folder = tempfile::tempdir().unwrap();
        let pipe = folder.path().join("config.toml");
        let made = std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap();
        assert!(made.success());
        let refused = Config::load(Some(&pipe)).unwrap_err().to_string();
        assert!(refused.contains("not a regular file"), "{refused}");
        let view = ViewConfig {
            name: "mine".into(),
            ..ViewConfig::default()
        };
        let refused = save_view(&pipe, &view).unwrap_err().to_string();
        assert!(refused.contains("not a regular file"), "{refused}");
        assert!(Config::load(Some(Path::new("/dev/null"))).is_ok());
    }

    #[test]
    fn a_keys_table_needs_no_palette_table() {
        let config =
            Config::parse("c", "[keys]\nquit = \"Q\"\n[keys.menu]\nclose = \"q\"\n").unwrap();
        assert!(config.keys.palette.is_empty());
        assert_eq!(config.keys.board["quit"].keys(), ["Q"]);
    }

    #[test]
    fn views_load_and_refuse_unknown_keys() {
        let text = "[[views]]\nname = \"late disputes\"\nworkflow = \"marketplace\"\nquick = [\"late\", \"disputes\"]\nsort = \"due\"\nroles = [\"support\"]\n";
        let config = Config::parse("config.toml", text).unwrap();
        assert_eq!(
            config.views,
            vec![ViewConfig {
                name: "late disputes".into(),
                workflow: Some("marketplace".into()),
                filter: String::new(),
                quick: vec![QuickFilter::Late, QuickFilter::Disputes],
                sort: Some(OrderSort::Due),
                roles: vec![Role::Support],
            }]
        );
        let typo = Config::parse(
            "config.toml",
            "[[views]]\nname = \"x\"\nquik = [\"late\"]\n",
        )
        .unwrap_err();
        assert!(
            typo.0.starts_with("config.toml:3:1: unknown field `quik`"),
            "{typo}"
        );
        let bad = Config::parse(
            "config.toml",
            "[[views]]\nname = \"x\"\nquick = [\"urgent\"]\n",
        )
        .unwrap_err();
        assert!(bad.0.contains("unknown variant `urgent`"), "{bad}");
        let unnamed = Config::parse("config.toml", "[[views]]\nname = \" \"\n").unwrap_err();
        assert_eq!(
            unnamed.0,
            "config.toml: [[views]] \" \": a view needs a name"
        );
    }

    #[test]
    fn a_saved_view_is_appended_and_the_rest_kept() {
        let text = "# mine\ndatabase = \"sqlite://x.db\"\n[theme]\nbase = \"light\"";
        let view = ViewConfig {
            name: "Late \"ones\"".into(),
            filter: "logo".into(),
            quick: vec![QuickFilter::Late],
            ..ViewConfig::default()
        };
        let out = with_view_appended("c", text, &view).unwrap();
        assert!(out.starts_with(text), "{out}");
        let again = with_view_appended("c", &out, &view).unwrap();
        let config = Config::parse("c", &again).unwrap();
        assert_eq!(config.theme.base.as_deref(), Some("light"));
        assert_eq!(config.views.len(), 2);
        assert_eq!(config.views(), vec![view]);
        // A file the table would break is left alone.
        assert!(with_view_appended("c", "views = 3\n", &ViewConfig::default()).is_err());
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
