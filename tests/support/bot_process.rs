//! The real `summit-bot serve` binary as a child process, pointed at a fake
//! Bot API server: what the end-to-end tests drive.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::fake_telegram::FakeTelegram;

/// The token every end-to-end test uses; its secret part must never reach a log.
pub const TOKEN: &str = "424242:SECRETsecret_Token-xyz";

/// A running `summit-bot serve`, killed when dropped.
pub struct BotProcess {
    child: Child,
    /// Its stderr, read as it comes by a thread (a full pipe would stall the bot).
    log: Arc<Mutex<String>>,
    /// Its own data directory (question log, state file), removed when dropped.
    data: PathBuf,
}

/// A fresh data directory for one bot process.
fn data_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("summit-bot-data-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a data directory for the bot");
    dir
}

impl BotProcess {
    /// Starts the bot against `api` from the repository root, with a 2 s poll
    /// timeout (quick shutdowns), `RUST_LOG=debug` and `extra_env` on top.
    /// Isolated from the developer's machine: no `.env`, no inherited
    /// `SUMMIT_*`/`TELOXIDE_*` variables, and its own data directory.
    pub fn start(api: &FakeTelegram, extra_env: &[(&str, &str)]) -> BotProcess {
        let data = data_dir();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_summit-bot"));
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.starts_with("SUMMIT_") || name.starts_with("TELOXIDE_") {
                cmd.env_remove(name.as_ref());
            }
        }
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["--no-dotenv", "serve"])
            .env("SUMMIT_FEEDBACK_DB_PATH", data.join("summit-bot.db"))
            .env("SUMMIT_TELEGRAM_STATE_FILE", data.join("summit-bot.state"))
            .env("TELOXIDE_TOKEN", TOKEN)
            .env("TELOXIDE_API_URL", api.url())
            .env("SUMMIT_TELEGRAM_POLL_TIMEOUT_SECS", "2")
            .env("RUST_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (name, value) in extra_env {
            cmd.env(name, value);
        }
        let mut child = cmd.spawn().expect("summit-bot starts");
        let log = Arc::new(Mutex::new(String::new()));
        if let Some(mut stderr) = child.stderr.take() {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut chunk = [0u8; 8192];
                while let Ok(n) = stderr.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    log.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&chunk[..n]));
                }
            });
        }
        BotProcess { child, log, data }
    }

    /// Sends a signal by name (`TERM`, `HUP`, …).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Sends SIGTERM and waits for the process; returns its status and log.
    pub fn terminate(mut self) -> (ExitStatus, String) {
        self.signal("TERM");
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the bot did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        // Let the reader thread take the last bytes of the closed pipe.
        std::thread::sleep(Duration::from_millis(100));
        let log = self.log.lock().unwrap().clone();
        (status, log)
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
