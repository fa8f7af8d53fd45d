//! The sessions `orderboard login` keeps, one per server, in `sessions.json` in the user's
//! config folder. The file holds bearer tokens, so it is written owner-only (mode 0600) from
//! its first byte, and one that others can read is refused rather than used (as ssh does with
//! a private key).

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::auth::Secret;

/// The file's name in the config folder, and its lock's.
const FILE_NAME: &str = "sessions.json";
const LOCK_NAME: &str = "sessions.lock";

/// One server's session as `login` received it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedSession {
    /// The server's address (`ServerAddress::key`).
    pub server: String,
    pub user: String,
    pub role: String,
    token: String,
    /// When the server ends it whatever the activity (RFC 3339).
    pub expires_at: String,
}

impl SavedSession {
    pub fn new(
        server: String,
        user: String,
        role: String,
        token: &Secret,
        expires_at: String,
    ) -> Self {
        SavedSession {
            server,
            user,
            role,
            token: token.expose().to_string(),
            expires_at,
        }
    }

    pub fn token(&self) -> Secret {
        Secret::new(self.token.clone())
    }
}

/// Never prints the token.
impl std::fmt::Debug for SavedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SavedSession")
            .field("server", &self.server)
            .field("user", &self.user)
            .field("token", &"***")
            .finish()
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedSessions {
    sessions: Vec<SavedSession>,
}

impl SavedSessions {
    /// `sessions.json` in the user's config folder.
    pub fn default_path() -> Result<PathBuf, String> {
        crate::config::project_dirs()
            .map(|dirs| dirs.config_dir().join(FILE_NAME))
            .ok_or_else(|| "this system has no config folder for saved sessions".to_string())
    }

    /// The saved sessions; none when the file does not exist.
    pub fn load(path: &Path) -> Result<SavedSessions, String> {
        SavedSessions::read(path, true)
    }

    /// For `logout`, which ends sessions: a file others may read is read all the same (its
    /// tokens are what must be ended).
    pub fn load_to_end(path: &Path) -> Result<SavedSessions, String> {
        SavedSessions::read(path, false)
    }

    fn read(path: &Path, private_only: bool) -> Result<SavedSessions, String> {
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(SavedSessions::default());
            }
            Err(error) => return Err(format!("{}: {error}", path.display())),
        };
        if meta.is_dir() {
            return Err(format!(
                "{} is a folder, where the file of saved sessions belongs",
                path.display()
            ));
        }
        let mode = meta.permissions().mode() & 0o777;
        if private_only && mode & 0o077 != 0 {
            return Err(format!(
                "{} holds session tokens but others may read it (mode {mode:04o}): end each with `orderboard logout --server URL`, then sign in again",
                path.display()
            ));
        }
        let text = crate::workflow::load::read_bounded(path, "saved sessions file")
            .map_err(|e| format!("{}: {e}; remove it and sign in again", path.display()))?;
        serde_json::from_str(&text).map_err(|e| {
            format!(
                "{} is not a sessions file of orderboard ({e}); remove it and sign in again",
                path.display()
            )
        })
    }

    /// Holds the file for one change (read, change, write) against other `login`s and
    /// `logout`s at the same moment: an exclusive lock on `sessions.lock` beside it, let go
    /// when the returned file is dropped.
    pub fn lock(path: &Path) -> Result<std::fs::File, String> {
        let lock_path = path.with_file_name(LOCK_NAME);
        create_private_folder_of(&lock_path)?;
        let file = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
        file.lock()
            .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
        Ok(file)
    }

    /// Writes the file whole, owner-only; the folder is created owner-only when missing.
    pub fn store(&self, path: &Path) -> Result<(), String> {
        create_private_folder_of(path)?;
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        crate::files::replace_private(path, text.as_bytes()).map_err(|e| e.to_string())
    }

    pub fn find(&self, server: &str) -> Option<&SavedSession> {
        self.sessions.iter().find(|s| s.server == server)
    }

    /// Keeps `session` as its server's, replacing an older one.
    pub fn put(&mut self, session: SavedSession) {
        self.sessions.retain(|s| s.server != session.server);
        self.sessions.push(session);
    }

    pub fn remove(&mut self, server: &str) -> Option<SavedSession> {
        let index = self.sessions.iter().position(|s| s.server == server)?;
        Some(self.sessions.remove(index))
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }
}

/// The file's folder, created owner-only when missing.
fn create_private_folder_of(path: &Path) -> Result<(), String> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(folder) if !folder.exists() => std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(folder)
            .map_err(|e| format!("cannot create {}: {e}", folder.display())),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_sessions_are_owner_only_and_others_readable_files_are_refused() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("nested").join(FILE_NAME);
        let mut sessions = SavedSessions::default();
        sessions.put(SavedSession::new(
            "https://a".into(),
            "ada".into(),
            "admin".into(),
            &Secret::new("obs_secret"),
            "2026-12-08T00:00:00Z".into(),
        ));
        sessions.store(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let folder_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(folder_mode, 0o700);
        let loaded = SavedSessions::load(&path).unwrap();
        assert_eq!(
            loaded.find("https://a").unwrap().token().expose(),
            "obs_secret"
        );
        assert!(!format!("{loaded:?}").contains("obs_secret"));

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = SavedSessions::load(&path).unwrap_err();
        assert!(
            refused.contains("others may read it (mode 0644)"),
            "{refused}"
        );
        assert!(!refused.contains("obs_secret"));

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&path, "{\"sessions\": 3}").unwrap();
        assert!(
            SavedSessions::load(&path)
                .unwrap_err()
                .contains("not a sessions file")
        );
    }
}
