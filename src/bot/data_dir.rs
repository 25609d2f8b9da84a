//! The data directory (the one `[telegram] state_file` is in): held by one
//! process at a time through a lock file, and home of the key that signs
//! button data.
//!
//! The lock is an OS file lock (`flock`), so it goes away with the process
//! however that ends — a SIGKILL leaves no stale lock behind.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The lock file's name inside the data directory.
const LOCK_FILE: &str = "summit-bot.lock";
/// The button key's file name inside the data directory.
const KEY_FILE: &str = "button.key";
/// Bytes of the button key.
pub const KEY_BYTES: usize = 32;

/// Why the data directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error(
        "the data directory {dir} is in use by another summit-bot ({holder}); give this one a \
         directory of its own: set [telegram] state_file (SUMMIT_TELEGRAM_STATE_FILE) to a file \
         in another directory, and [feedback] db_path (SUMMIT_FEEDBACK_DB_PATH) likewise"
    )]
    InUse { dir: PathBuf, holder: String },
    #[error("data directory {dir}: {source}")]
    Io {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} must hold {KEY_BYTES} bytes; delete it to make a new key (old buttons then expire)"
    )]
    BadKey { path: PathBuf },
}

/// The data directory, locked for this process until dropped.
pub struct DataDir {
    dir: PathBuf,
    _lock: File,
}

impl DataDir {
    /// Creates and locks the directory of `state_file`. Fails at once (no
    /// waiting) when another process holds it.
    pub fn lock(state_file: &Path) -> Result<DataDir, DataDirError> {
        let dir = state_file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let io = |source| DataDirError::Io {
            dir: dir.clone(),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = match holder.trim() {
                    "" => "lock file ".to_string() + &path.display().to_string(),
                    pid => format!("pid {pid}, lock file {}", path.display()),
                };
                return Err(DataDirError::InUse { dir, holder });
            }
            Err(std::fs::TryLockError::Error(err)) => return Err(io(err)),
        }
        file.set_len(0).map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        Ok(DataDir { dir, _lock: file })
    }

    /// The key that signs button data: read from the data directory, or made
    /// on first start (random, readable by this user only).
    pub fn button_key(&self) -> Result<[u8; KEY_BYTES], DataDirError> {
        let path = self.dir.join(KEY_FILE);
        let io = |source| DataDirError::Io {
            dir: self.dir.clone(),
            source,
        };
        match std::fs::read(&path) {
            Ok(bytes) => {
                return bytes
                    .get(..KEY_BYTES)
                    .and_then(|b| b.try_into().ok())
                    .ok_or(DataDirError::BadKey { path });
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(io(err)),
        }
        let key = random_key().map_err(io)?;
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path).map_err(io)?;
        file.write_all(&key).map_err(io)?;
        file.sync_all().map_err(io)?;
        tracing::info!(path = %path.display(), "made a new button key");
        Ok(key)
    }
}

/// Random key bytes from the operating system.
#[cfg(unix)]
fn random_key() -> std::io::Result<[u8; KEY_BYTES]> {
    let mut key = [0u8; KEY_BYTES];
    File::open("/dev/urandom")?.read_exact(&mut key)?;
    Ok(key)
}

/// Random key bytes from std's randomly seeded hasher (no OS source here).
#[cfg(not(unix))]
fn random_key() -> std::io::Result<[u8; KEY_BYTES]> {
    use std::hash::{BuildHasher, Hasher};
    let mut key = [0u8; KEY_BYTES];
    for chunk in key.chunks_mut(8) {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        chunk.copy_from_slice(&h.finish().to_le_bytes()[..chunk.len()]);
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_a_stable_private_key() {
        let dir = std::env::temp_dir().join(format!("summit-datadir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let state = dir.join("bot.state");
        let first = DataDir::lock(&state).unwrap();
        let second = DataDir::lock(&state);
        let Err(err) = second else {
            panic!("a second lock succeeded");
        };
        let message = err.to_string();
        assert!(message.contains(&dir.display().to_string()), "{message}");
        assert!(message.contains("state_file"), "{message}");
        let key = first.button_key().unwrap();
        assert_eq!(first.button_key().unwrap(), key, "read back, not remade");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        drop(first);
        assert!(DataDir::lock(&state).is_ok(), "free again once dropped");
    }
}
