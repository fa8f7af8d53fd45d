//! A tmux session running the real binary: type keys, read the screen, wait for text.

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    pub socket: String,
}

impl Tmux {
    pub fn available() -> bool {
        let found = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found && std::env::var_os("CI").is_some() {
            panic!("CI is set but tmux is missing: the terminal test must run in CI");
        }
        if !found {
            eprintln!("skipping the tmux test: tmux is not installed");
        }
        found
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "board"])
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "board"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Polls the screen until `check` holds; returns the screen and how long it took.
    pub fn wait_for(
        &self,
        what: &str,
        limit: Duration,
        check: impl Fn(&str) -> bool,
    ) -> (String, Duration) {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if check(&screen) {
                return (screen, start.elapsed());
            }
            if start.elapsed() > limit {
                panic!("waited {limit:?} for {what}; the screen shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Tmux {
    /// The real binary in a new session of `width`×40 on `url`, signed in as `user` (password
    /// "correct horse"); the shell says EXITED with the exit code when the app ends.
    pub fn sign_in(name: &str, url: &str, user: &str, width: u16) -> Tmux {
        Tmux::sign_in_to(name, &format!("--database '{url}'"), user, width)
    }

    /// As `sign_in`, on the target the flags name (`--database URL` or `--server URL`):
    /// through a server the password is asked before the UI starts, the same way.
    pub fn sign_in_to(name: &str, target: &str, user: &str, width: u16) -> Tmux {
        let tmux = Tmux {
            socket: format!("orderboard-{name}-{}", std::process::id()),
        };
        let command = format!(
            "ORDERBOARD_CONFIG={config} {bin} {target} --as {user}; echo EXITED $?; sleep 60",
            config = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/config/empty.toml"
            ),
            bin = env!("CARGO_BIN_EXE_orderboard"),
        );
        tmux.tmux(&[
            "new-session",
            "-d",
            "-s",
            "board",
            "-x",
            &width.to_string(),
            "-y",
            "40",
            &command,
        ]);
        tmux.wait_for("the login screen", Duration::from_secs(10), |s| {
            s.contains("Password") && s.contains(user)
        });
        tmux.keys(&["correct horse", "Enter"]);
        tmux
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}
