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
    /// timeout (quick shutdowns), `RUST_LOG=debug` and `extra_env` on top.
    pub fn start(api: &FakeTelegram, extra_env: &[(&str, &str)]) -> BotProcess {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_summit-bot"));
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .arg("serve")
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
        BotProcess { child, log }
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
    }
}
