//! The real `summit-bot serve` binary as a child process, pointed at a fake
//! Bot API server: what the end-to-end tests drive.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
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
}

impl BotProcess {
    /// Starts the bot against `api` from the repository root, with a 2 s poll
    /// timeout (quick shutdowns), `RUST_LOG=debug`, the data directory of
    /// [`data_dir`] and `extra_env` on top.
    pub fn start(api: &FakeTelegram, extra_env: &[(&str, &str)]) -> BotProcess {
        let data = data_dir(api);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_summit-bot"));
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.starts_with("SUMMIT_") || name.starts_with("TELOXIDE_") {
                cmd.env_remove(name.as_ref());
            }
        }
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["--no-dotenv", "serve"])
            .env("TELOXIDE_TOKEN", TOKEN)
            .env("TELOXIDE_API_URL", api.url())
            .env("SUMMIT_TELEGRAM_STATE_FILE", data.join("summit-bot.state"))
            .env("SUMMIT_FEEDBACK_DB_PATH", data.join("summit-bot.db"))
            .env("SUMMIT_TELEGRAM_POLL_TIMEOUT_SECS", "2")
            // Telegram behaviour is under test here, not retrieval: lexical only
            // (tests/chat_questions.rs and tests/semantic.rs run the model).
            .env("SUMMIT_SEMANTIC_ENABLED", "false")
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
        BotProcess { child, log }
    }

    /// The process id (for `kill -9` from a test).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit by itself; its status and log.
    pub fn wait(mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "the bot did not exit");
            std::thread::sleep(Duration::from_millis(50));
        };
        std::thread::sleep(Duration::from_millis(100));
        let log = self.log.lock().unwrap().clone();
        (status, log)
    }

    /// Kills the process with SIGKILL (no shutdown at all) and waits for it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
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

/// The data directory of every bot started against `api`: its own per fake
/// server (tests run in parallel, and each fake numbers updates from 1), the
/// same for a restart against the same server. `SUMMIT_TELEGRAM_STATE_FILE`
/// and `SUMMIT_FEEDBACK_DB_PATH` in `extra_env` override it.
pub fn data_dir(api: &FakeTelegram) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "summit-bot-data-{}-{}",
        std::process::id(),
        api.instance()
    ))
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
