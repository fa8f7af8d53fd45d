//! Writing a file whole or not at all: into a temporary file beside it, then moved into
//! place, so a crash or a full disk never leaves half an export or half a config behind.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Why a file was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Left as it was: the caller asks before replacing a file.
    #[error("{} already exists", .0.display())]
    Exists(PathBuf),
    #[error("{} is a folder; name a file", .0.display())]
    Folder(PathBuf),
    #[error("{} is not a regular file (a device, a pipe or a socket); name a file", .0.display())]
    NotAFile(PathBuf),
    #[error("cannot write {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// A file being written beside its destination; dropped without `commit`, it is removed.
pub struct AtomicFile {
    writer: Option<BufWriter<File>>,
    temp: PathBuf,
    path: PathBuf,
}

impl AtomicFile {
    /// Opens a new temporary file in the destination's folder (a rename never crosses a
    /// file system there). An existing destination must be a regular file: a symbolic link
    /// is followed, so the file it names is replaced and the link stays, and the new file
    /// keeps the old one's permissions (a private file stays private). A folder, a device
    /// or a pipe is refused before anything is written.
    pub fn create(path: &Path) -> Result<AtomicFile, WriteError> {
        AtomicFile::create_as(path, false)
    }

    /// `create` for a secret: the temporary file is readable by its owner only from the
    /// moment it exists, and so is the file that replaces the destination.
    pub fn create_private(path: &Path) -> Result<AtomicFile, WriteError> {
        AtomicFile::create_as(path, true)
    }

    fn create_as(path: &Path, private: bool) -> Result<AtomicFile, WriteError> {
        use std::os::unix::fs::OpenOptionsExt;
        let io = |error| WriteError::Io {
            path: path.to_path_buf(),
            error,
        };
        let (destination, permissions) = match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => return Err(WriteError::Folder(path.to_path_buf())),
            Ok(meta) if !meta.is_file() => {
                return Err(WriteError::NotAFile(path.to_path_buf()));
            }
            Ok(meta) => (
                std::fs::canonicalize(path).map_err(io)?,
                Some(meta.permissions()),
            ),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                (path.to_path_buf(), None)
            }
            Err(error) => return Err(io(error)),
        };
        let name = destination
            .file_name()
            .ok_or_else(|| io(std::io::Error::other("the path names no file")))?;
        let folder = destination.parent().unwrap_or(Path::new(""));
        let temp = folder.join(format!(
            ".{}.{}-{}.tmp",
            name.to_string_lossy(),
            std::process::id(),
            fastrand::u64(..)
        ));
        let file = File::options()
            .write(true)
            .create_new(true)
            .mode(if private { 0o600 } else { 0o666 })
            .open(&temp)
            .map_err(io)?;
        let atomic = AtomicFile {
            writer: Some(BufWriter::new(file)),
            temp,
            path: destination,
        };
        if let Some(permissions) = permissions.filter(|_| !private) {
            std::fs::set_permissions(&atomic.temp, permissions).map_err(|e| atomic.error(e))?;
        }
        Ok(atomic)
    }

    /// Writes bytes to the temporary file.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        let result = match &mut self.writer {
            Some(writer) => writer.write_all(bytes),
            None => Ok(()),
        };
        result.map_err(|error| self.error(error))
    }

    /// Moves the finished file into place. Without `overwrite` an existing file stays and
    /// `Exists` is returned (a hard link fails rather than replace, so a file created
    /// meanwhile is not lost either).
    pub fn commit(mut self, overwrite: bool) -> Result<(), WriteError> {
        let Some(writer) = self.writer.take() else {
            return Err(self.error(std::io::Error::other("already committed")));
        };
        let file = writer
            .into_inner()
            .map_err(|e| self.error(e.into_error()))?;
        file.sync_all().map_err(|e| self.error(e))?;
        drop(file);
        if overwrite {
            return std::fs::rename(&self.temp, &self.path).map_err(|e| self.error(e));
        }
        match std::fs::hard_link(&self.temp, &self.path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(WriteError::Exists(self.path.clone()))
            }
            // A file system without hard links: checked, then renamed (a narrow race).
            Err(_) if !self.path.exists() => {
                std::fs::rename(&self.temp, &self.path).map_err(|e| self.error(e))
            }
            Err(error) => Err(self.error(error)),
        }
        // The temporary name goes on drop.
    }

    fn error(&self, error: std::io::Error) -> WriteError {
        WriteError::Io {
            path: self.path.clone(),
            error,
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        self.writer = None;
        let _ = std::fs::remove_file(&self.temp);
    }
}

/// Writes `bytes` to `path` whole, replacing what was there.
pub fn replace(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let mut file = AtomicFile::create(path)?;
    file.write(bytes)?;
    file.commit(true)
}

/// `replace` for a secret: owner-only (mode 0600) from the first byte written.
pub fn replace_private(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let mut file = AtomicFile::create_private(path)?;
    file.write(bytes)?;
    file.commit(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_file_is_kept_unless_overwriting() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("out.csv");
        std::fs::write(&path, "old").unwrap();
        let mut file = AtomicFile::create(&path).unwrap();
        file.write(b"new").unwrap();
        assert!(matches!(file.commit(false), Err(WriteError::Exists(_))));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        replace(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        // No temporary file is left behind either way.
        assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_link_is_followed_and_a_private_file_stays_private() {
        use std::os::unix::fs::PermissionsExt;
        let folder = tempfile::tempdir().unwrap();
        let real = folder.path().join("config.toml");
        std::fs::write(&real, "old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = folder.path().join("link.toml");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        replace(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn a_folder_or_a_device_is_refused_untouched() {
        let folder = tempfile::tempdir().unwrap();
        let refused = replace(folder.path(), b"x").unwrap_err();
        assert!(matches!(refused, WriteError::Folder(_)), "{refused}");
        let refused = replace(Path::new("/dev/null"), b"x").unwrap_err();
        assert!(matches!(refused, WriteError::NotAFile(_)), "{refused}");
        assert!(refused.to_string().contains("not a regular file"));
        use std::os::unix::fs::FileTypeExt;
        assert!(
            std::fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }
}
