//! The real binary in a real terminal (tmux): sign in as a seller, see the board, open the
//! menu on a paid order and see exactly its legal transitions, apply one, and see a
//! transition made by a second process appear in the feed within one second.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::cli::{create_titled, run_as, set_up_users};
use crate::db::sqlite;

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
        let tmux = Tmux {
            socket: format!("orderboard-{name}-{}", std::process::id()),
        };
        let command = format!(
            "ORDERBOARD_CONFIG={config} {bin} --database '{url}' --as {user}; echo EXITED $?; sleep 60",
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

#[test]
fn seller_session_in_a_real_terminal() {
    if !Tmux::available() {
        return;
    }
    let db = sqlite();
    set_up_users(&db);
    let first = create_titled(&db, "marketplace", "Logo design", &[]);
    let second = create_titled(&db, "marketplace", "Poster A2", &[]);

    let tmux = Tmux::sign_in("test", &db.url, "sam", 120);
    let (screen, _) = tmux.wait_for("the board", Duration::from_secs(10), |s| {
        s.contains("Paid (2)")
    });
    assert!(screen.contains("sam (seller)"), "{screen}");
    assert!(
        screen.contains(&format!("#{first} Logo design")),
        "{screen}"
    );

    // The menu on the selected paid order: exactly its legal transitions.
    tmux.keys(&["Enter"]);
    let (screen, _) = tmux.wait_for("the menu", Duration::from_secs(5), |s| {
        s.contains("Not for you now:")
    });
    let menu: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.contains(&format!("#{first} Logo design · Paid")))
        .skip(1)
        .take_while(|l| !l.contains("Not for you now:"))
        .map(|l| l.trim_matches(|c: char| c == '│' || c.is_whitespace()))
        .collect();
    assert_eq!(
        menu,
        vec![
            "Accept order → inprogress",
            "Reject order → rejected  (note)  (confirm)"
        ],
        "{screen}"
    );

    // Apply the first: the card moves to In progress.
    tmux.keys(&["Enter"]);
    tmux.wait_for("the card to move", Duration::from_secs(5), |s| {
        s.contains("In progress (1)") && s.contains("Paid (1)")
    });

    // A second process moves the other order; the feed shows it within a second.
    let (code, _, stderr) = run_as(&db.url, "sam", &["advance", &second, "order.accepted"]);
    assert_eq!(code, 0, "{stderr}");
    let committed = Instant::now();
    let feed_line = format!("#{second} paid→inprogress");
    tmux.wait_for("the feed line", Duration::from_secs(5), |s| {
        s.contains(&feed_line)
    });
    let latency = committed.elapsed();
    assert!(
        latency < Duration::from_secs(1),
        "the feed took {latency:?}"
    );
    // The board updates in place too: the card moves and the counts are re-read right after.
    tmux.wait_for("the counts", Duration::from_secs(2), |s| {
        s.contains("In progress (2)") && s.contains("Paid (0)")
    });

    // q quits and gives the terminal back.
    tmux.keys(&["q"]);
    let (screen, _) = tmux.wait_for("the exit", Duration::from_secs(5), |s| {
        s.contains("EXITED 0")
    });
    assert!(
        !screen.contains("Live feed"),
        "the alternate screen is gone:\n{screen}"
    );
}
