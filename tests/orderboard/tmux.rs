//! The real binary in a real terminal (tmux): sign in as a seller, see the board, open the
//! menu on a paid order and see exactly its legal transitions, apply one, and see a
//! transition made by a second process appear in the feed within one second.

use std::time::{Duration, Instant};

use crate::db::{TestDb, postgres, sqlite};
use crate::support::{ServeProcess, Tmux, create_titled, run_as, set_up_users};

#[test]
fn seller_session_in_a_real_terminal() {
    if !Tmux::available() {
        return;
    }
    let db = sqlite();
    set_up_users(&db);
    seller_session(&db, "test", &format!("--database '{}'", db.url));
}

/// The same session on PostgreSQL, on the database (the remote one follows).
#[test]
fn seller_session_on_postgres_in_a_real_terminal() {
    if !Tmux::available() {
        return;
    }
    let Some(db) = postgres_db() else { return };
    set_up_users(&db);
    seller_session(&db, "local-pg", &format!("--database '{}'", db.url));
}

/// The same session through `orderboard serve` on PostgreSQL: the seller holds no database
/// credentials; the second process still writes straight to the database.
#[test]
fn seller_session_through_serve_in_a_real_terminal() {
    if !Tmux::available() {
        return;
    }
    let Some(db) = postgres_db() else { return };
    set_up_users(&db);
    let serve = ServeProcess::start(&db.url, &[]);
    seller_session(&db, "remote", &format!("--server {}", serve.url));
}

/// A fresh PostgreSQL database (none locally without DATABASE_URL; under CI, a failure).
fn postgres_db() -> Option<TestDb> {
    tokio::runtime::Runtime::new().unwrap().block_on(postgres())
}

fn seller_session(db: &TestDb, name: &str, target: &str) {
    let first = create_titled(db, "marketplace", "Logo design", &[]);
    let second = create_titled(db, "marketplace", "Poster A2", &[]);

    let tmux = Tmux::sign_in_to(name, target, "sam", 120);
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
            "Accept order → In progress",
            "Reject order → Rejected  (note)  (confirm)"
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
    let feed_line = format!("#{second} Paid→In progress");
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

    // A second process creates an order: it appears on the open board within a second.
    let fresh = create_titled(db, "marketplace", "Brand new order", &[]);
    let created_at = Instant::now();
    tmux.wait_for("the new card", Duration::from_secs(5), |s| {
        s.contains(&format!("#{fresh} Brand new order"))
    });
    let appeared = created_at.elapsed();
    assert!(
        appeared < Duration::from_secs(1),
        "the new order took {appeared:?} to appear"
    );

    // A filter puts the selection on the match, and Enter opens its menu.
    tmux.keys(&["/"]);
    tmux.keys(&["Brand"]);
    tmux.wait_for("the filtered board", Duration::from_secs(5), |s| {
        s.contains("filter: Brand · 1 match")
    });
    tmux.keys(&["Enter"]);
    std::thread::sleep(Duration::from_millis(200));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the menu on the match", Duration::from_secs(5), |s| {
        s.contains(&format!("#{fresh} Brand new order · Paid"))
    });
    tmux.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(200));

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

/// A paste in a real terminal (tmux `paste-buffer -p`, bracketed): "note one\nok\ny\n" pasted
/// into the note box of a rejection stays text in the box; nothing is applied.
#[test]
fn a_pasted_newline_applies_nothing() {
    if !Tmux::available() {
        return;
    }
    let db = sqlite();
    set_up_users(&db);
    let id = create_titled(&db, "marketplace", "Logo design", &[]);
    let tmux = Tmux::sign_in("paste", &db.url, "sam", 120);
    tmux.wait_for("the board", Duration::from_secs(10), |s| {
        s.contains("Paid (1)")
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("the menu", Duration::from_secs(5), |s| {
        s.contains("Reject order")
    });
    tmux.keys(&["Down", "Enter"]);
    tmux.wait_for("the note box", Duration::from_secs(5), |s| {
        s.contains("A note is required for this transition")
    });
    tmux.tmux(&["set-buffer", "note one\nok\ny\n"]);
    tmux.tmux(&["paste-buffer", "-p", "-t", "board"]);
    let (screen, _) = tmux.wait_for("the pasted text", Duration::from_secs(5), |s| {
        s.contains("note one ok y")
    });
    assert!(
        screen.contains("A note is required for this transition"),
        "{screen}"
    );
    std::thread::sleep(Duration::from_millis(300));
    let (_, stdout, _) = run_as(&db.url, "sam", &["order", "show", &id, "--json"]);
    let order: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(order["state"], "paid", "the paste applied a transition");
    tmux.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(100));
    tmux.keys(&["q"]);
    tmux.wait_for("the exit", Duration::from_secs(5), |s| {
        s.contains("EXITED 0")
    });
}

/// The server goes away under a remote board and comes back on the same address: the board
/// says "reconnecting", then catches up with what happened meanwhile, nothing missed and
/// nothing twice (the feed resumes after the last event it showed).
#[test]
fn a_network_drop_under_the_remote_board() {
    if !Tmux::available() {
        return;
    }
    let Some(db) = postgres_db() else { return };
    set_up_users(&db);
    let during = create_titled(&db, "marketplace", "Moved while away", &[]);
    let after = create_titled(&db, "marketplace", "Moved once back", &[]);
    let serve = ServeProcess::start(&db.url, &[]);
    let port = serve.port();
    let tmux = Tmux::sign_in_to("drop", &format!("--server {}", serve.url), "sam", 120);
    tmux.wait_for("the board", Duration::from_secs(10), |s| {
        s.contains("Paid (2)")
    });

    drop(serve);
    tmux.wait_for("reconnecting", Duration::from_secs(10), |s| {
        s.contains("reconnecting")
    });
    let (code, _, stderr) = run_as(&db.url, "sam", &["advance", &during, "order.accepted"]);
    assert_eq!(code, 0, "{stderr}");

    let _serve = ServeProcess::start_on(&db.url, port, &[]);
    let missed = format!("#{during} Paid→In progress");
    let (screen, _) = tmux.wait_for("the catch-up", Duration::from_secs(15), |s| {
        s.contains(&missed) && s.contains("In progress (1)") && !s.contains("reconnecting")
    });
    assert_eq!(screen.matches(&missed).count(), 1, "{screen}");

    let (code, _, stderr) = run_as(&db.url, "sam", &["advance", &after, "order.accepted"]);
    assert_eq!(code, 0, "{stderr}");
    let (screen, _) = tmux.wait_for("the next event", Duration::from_secs(5), |s| {
        s.contains(&format!("#{after} Paid→In progress")) && s.contains("In progress (2)")
    });
    assert_eq!(screen.matches(&missed).count(), 1, "{screen}");

    tmux.keys(&["q"]);
    tmux.wait_for("the exit", Duration::from_secs(5), |s| {
        s.contains("EXITED 0")
    });
}

/// An admin ends a remote seller's sessions: within the account check (5 s) the board goes
/// back to the sign-in screen with the server's sentence; signing in there opens a new
/// session on the same server and the board comes back.
#[test]
fn an_ended_session_sends_the_remote_board_to_sign_in() {
    if !Tmux::available() {
        return;
    }
    let db = sqlite();
    set_up_users(&db);
    create_titled(&db, "marketplace", "Logo design", &[]);
    let serve = ServeProcess::start(&db.url, &[]);
    let tmux = Tmux::sign_in_to("ended", &format!("--server {}", serve.url), "sam", 120);
    tmux.wait_for("the board", Duration::from_secs(10), |s| {
        s.contains("Paid (1)")
    });
    let (code, _, stderr) = run_as(&db.url, "ada", &["session", "end", "--user", "sam"]);
    assert_eq!(code, 0, "{stderr}");
    let (screen, _) = tmux.wait_for("the sign-in screen", Duration::from_secs(10), |s| {
        s.contains("Password") && !s.contains("Paid (1)")
    });
    assert!(screen.contains("has ended (signed"), "{screen}");
    tmux.keys(&["correct horse", "Enter"]);
    tmux.wait_for("the board again", Duration::from_secs(10), |s| {
        s.contains("Paid (1)") && s.contains("via http://127.0.0.1")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("the exit", Duration::from_secs(5), |s| {
        s.contains("EXITED 0")
    });
}
