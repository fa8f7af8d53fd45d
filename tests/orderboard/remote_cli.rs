//! The command line through `orderboard serve` (`--server`), against the same commands on the
//! database: the same lines, JSON and exit codes, refusals included. `login` keeps an
//! owner-only session that `logout` and an admin end; a seller who guesses ids learns nothing.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::db::{TestDb, both, postgres};
use crate::support::{ServeProcess, create, order_create_args, outcome, run_as, set_up_users};

/// A user's machine: its own config folder (where `login` keeps sessions), no database.
struct Client {
    home: tempfile::TempDir,
    server: String,
}

impl Client {
    fn new(server: &ServeProcess) -> Client {
        Client {
            home: tempfile::tempdir().unwrap(),
            server: server.url.clone(),
        }
    }

    fn command(&self) -> Command {
        self.command_for(&self.server)
    }

    /// The command with this machine's config folder, for another server address.
    fn command_for(&self, server: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_orderboard"));
        command
            .env_remove("ORDERBOARD_DATABASE")
            .env_remove("ORDERBOARD_PASSWORD")
            .env_remove("ORDERBOARD_SERVER")
            .env(
                "ORDERBOARD_CONFIG",
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/fixtures/config/empty.toml"
                ),
            )
            .env("XDG_CONFIG_HOME", self.home.path())
            .env("HOME", self.home.path())
            .arg("--server")
            .arg(server)
            .stdin(Stdio::null());
        command
    }

    /// Runs with the test password (used only when `--as` is among the arguments).
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        self.run_with_password(args, "correct horse")
    }

    fn run_with_password(&self, args: &[&str], password: &str) -> (i32, String, String) {
        outcome(
            self.command()
                .args(args)
                .env("ORDERBOARD_PASSWORD", password)
                .output()
                .unwrap(),
        )
    }

    fn run_as(&self, user: &str, args: &[&str]) -> (i32, String, String) {
        let mut all = vec!["--as", user];
        all.extend_from_slice(args);
        self.run(&all)
    }

    fn sessions_file(&self) -> PathBuf {
        self.home.path().join("orderboard").join("sessions.json")
    }
}

/// The same command on the database and through the server: identical exit code, stdout
/// and stderr.
fn same_both_ways(db: &TestDb, client: &Client, user: &str, args: &[&str]) -> (i32, String) {
    let local = run_as(&db.url, user, args);
    let remote = client.run_as(user, args);
    assert_eq!(
        local, remote,
        "{}: {user} {args:?}: database (left) and server (right) differ",
        db.backend
    );
    (local.0, local.1)
}

/// `order create` of a WORKFLOW order for CUSTOMER and sam.
fn order_create(workflow: &str, customer: &str, title: &str, amount: &str) -> Vec<String> {
    order_create_args(workflow, customer, "sam", title, amount)
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

fn the_cli_answers_the_same_through_the_server(db: &TestDb) {
    set_up_users(db);
    let late = create(db, "marketplace", &["--due", "2020-01-01T00:00:00Z"]);
    let other = create(db, "marketplace", &[]);
    let server = ServeProcess::start(&db.url, &[]);
    let client = Client::new(&server);
    let long_search = "x".repeat(201);
    let long_event = "e".repeat(300);
    let long_note = "\u{1}".repeat(orderboard::domain::note::MAX_TEXT_BYTES + 1);

    for user in ["sam", "zoe", "carol", "sue", "ada"] {
        for args in [
            &["order", "show", &late][..],
            &["order", "show", &late, "--json"],
            &["order", "list"],
            &["order", "list", "--json"],
            &["order", "list", "--format", "csv"],
            &["order", "list", "--late", "--json"],
            &["order", "list", "--search", "Logo", "--limit", "1"],
            &["order", "list", "--state", "bogus"],
            &["order", "list", "--workflow", "nope"],
            &["order", "list", "--search", &long_search],
            &["advance", &late, ".."],
            &["advance", &late, "."],
            &["advance", &late, &long_event],
            &["advance", &late, "order.rejected", "--note", &long_note],
            &["order", "show", "999999"],
            &["order", "show", "abc"],
            &["history", &late],
            &["history", &late, "--attempts", "--json"],
            &["advance", &late, "order.teleported"],
            &["advance", &late, "order.rejected"],
            &["advance", &late, "order.accepted", "--expect-version", "9"],
            &["advance", "999999", "order.accepted"],
        ] {
            same_both_ways(db, &client, user, args);
        }
    }
    // Refusals change nothing: both orders are still at version 1.
    let (_, shown) = same_both_ways(db, &client, "ada", &["order", "list", "--json"]);
    let orders: Vec<serde_json::Value> = serde_json::from_str(&shown).unwrap();
    assert!(orders.iter().all(|o| o["version"] == 1), "{shown}");

    // A transition through the server, then the same one on each side: both refused alike.
    let (code, stdout, stderr) = client.run_as(
        "sam",
        &[
            "advance",
            &late,
            "order.accepted",
            "--expect-version",
            "1",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let applied: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(applied["to"], "inprogress");
    let (code, _) = same_both_ways(db, &client, "sam", &["advance", &late, "order.accepted"]);
    assert_eq!(code, 4);
    let (code, _) = same_both_ways(
        db,
        &client,
        "sam",
        &["advance", &late, "order.delivered", "--expect-version", "1"],
    );
    assert_eq!(code, 5);
    // The same transition on two like orders, one each way: the same line but for the id.
    let third = create(db, "marketplace", &[]);
    let local = run_as(&db.url, "sam", &["advance", &third, "order.accepted"]);
    let remote = client.run_as("sam", &["advance", &other, "order.accepted"]);
    assert_eq!(local.0, 0, "{}", local.2);
    assert_eq!(
        (
            remote.0,
            remote
                .1
                .replace(&format!("order {other}:"), &format!("order {third}:")),
            remote.2
        ),
        local
    );
    same_both_ways(db, &client, "sue", &["history", &late, "--attempts"]);
    same_both_ways(db, &client, "carol", &["order", "show", &other, "--json"]);

    // The effects that transition recorded, as support sees them; refusals alike.
    for (user, args) in [
        ("sue", &["effects", "list"][..]),
        ("sue", &["effects", "list", "--json", "--order", &other]),
        (
            "ada",
            &["effects", "list", "--status", "pending", "--limit", "1"],
        ),
        ("sam", &["effects", "list"]),
        ("sue", &["effects", "retry", "1"]),
        (
            "sue",
            &["effects", "resolve", "999999", "--note", "paid by hand"],
        ),
        ("sam", &["effects", "resolve", "1", "--note", "mine"]),
    ] {
        same_both_ways(db, &client, user, args);
    }

    // Orders created each way read the same but for their ids; refusals are the same.
    let with_extras = |title: &str| {
        let mut args = order_create("marketplace", "carol", title, "12.5");
        args.extend(
            [
                "--due",
                "2030-01-01T00:00:00Z",
                "--attr",
                "rush=true",
                "--json",
            ]
            .map(String::from),
        );
        args
    };
    let local = run_as(&db.url, "ada", &strs(&with_extras("Made here")));
    let remote = client.run_as("ada", &strs(&with_extras("Made there")));
    assert_eq!(local.0, 0, "{}", local.2);
    let mut local: serde_json::Value = serde_json::from_str(&local.1).unwrap();
    let mut remote: serde_json::Value = serde_json::from_str(&remote.1).unwrap();
    for order in [&mut local, &mut remote] {
        order["id"] = serde_json::Value::Null;
        order["placed_at"] = serde_json::Value::Null;
        order["title"] = serde_json::Value::Null;
    }
    assert_eq!(local, remote);
    for (user, args) in [
        ("sam", order_create("marketplace", "carol", "x", "1")),
        ("ada", order_create("nope", "carol", "x", "1")),
        ("ada", order_create("marketplace", "sam", "x", "1")),
        ("ada", order_create("marketplace", "carol", "x", "12.345")),
    ] {
        let (code, _) = same_both_ways(db, &client, user, &strs(&args));
        assert_ne!(code, 0, "{args:?}");
    }

    // Inputs beyond what one API request carries (64 KiB) are refused alike, before any
    // other check: a huge title by a customer, many large attributes, a huge note.
    let mut many_attrs = order_create("marketplace", "carol", "x", "1");
    for k in 0..17 {
        many_attrs.extend(["--attr".to_string(), format!("k{k}={}", "v".repeat(4000))]);
    }
    let huge_title = order_create("marketplace", "carol", &"t".repeat(100_000), "1");
    let huge_note = "n".repeat(65_600);
    for (user, args) in [
        ("carol", strs(&huge_title)),
        ("ada", strs(&many_attrs)),
        (
            "sam",
            vec!["advance", &late, "order.delivered", "--note", &huge_note],
        ),
        ("sue", vec!["effects", "resolve", "1", "--note", &huge_note]),
    ] {
        let (code, _) = same_both_ways(db, &client, user, &args);
        assert_eq!(code, 2, "{user} {}", args[0]);
    }

    // A wrong password is the same one sentence.
    let local = crate::support::run_with_password(&db.url, "sam", "wrong", &["order", "list"]);
    let remote = client.run_with_password(&["--as", "sam", "order", "list"], "wrong");
    assert_eq!(local, remote);
    assert_eq!(remote.0, 3);
}

#[test]
fn the_cli_answers_the_same_through_the_server_on_both_backends() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for db in runtime.block_on(both()) {
        the_cli_answers_the_same_through_the_server(&db);
    }
}

/// zoe, a seller, guesses every id around sam's orders: each answer is the one sentence a
/// missing order gets, through the server as on the database.
#[test]
fn a_seller_guessing_ids_through_the_server_learns_nothing() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = runtime.block_on(postgres()) else {
        return;
    };
    set_up_users(&db);
    let first: i64 = create(&db, "marketplace", &[]).parse().unwrap();
    let last: i64 = create(&db, "artist-shop", &[]).parse().unwrap();
    let server = ServeProcess::start(&db.url, &[]);
    let client = Client::new(&server);
    let (code, _, stderr) = client.run_as("zoe", &["login"]);
    assert_eq!(code, 0, "{stderr}");
    for id in (first - 2).max(1)..=last + 2 {
        let id = id.to_string();
        for args in [
            &["order", "show", &id][..],
            &["history", &id],
            &["advance", &id, "order.accepted"],
        ] {
            let (code, stdout, stderr) = client.run(args);
            assert_eq!(code, 3, "{args:?}: {stdout}{stderr}");
            assert_eq!(
                stderr.trim(),
                format!("order {id} does not exist or is not visible to you"),
                "{args:?}"
            );
        }
    }
    let (code, stdout, _) = client.run(&["order", "list", "--json"]);
    assert_eq!((code, stdout.trim()), (0, "[]"));
}

#[test]
fn login_keeps_an_owner_only_session_that_logout_and_an_admin_end() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = runtime.block_on(postgres()) else {
        return;
    };
    set_up_users(&db);
    let id = create(&db, "marketplace", &[]);
    let server = ServeProcess::start(&db.url, &[]);
    let client = Client::new(&server);

    // Nothing kept yet: the command says how to sign in.
    let (code, _, stderr) = client.run(&["order", "show", &id]);
    assert_eq!(code, 3);
    assert!(stderr.contains("orderboard login"), "{stderr}");

    let (code, _, _) = client.run_with_password(&["--as", "sam", "login"], "wrong");
    assert_eq!(code, 3);
    assert!(!client.sessions_file().exists());

    let (code, stdout, stderr) = client.run_as("sam", &["login"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("signed in to "), "{stdout}");
    // The session's end, to the minute in UTC.
    assert!(
        stdout.trim_end().ends_with(" UTC at the latest"),
        "{stdout}"
    );
    let file = client.sessions_file();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let token = kept["sessions"][0]["token"].as_str().unwrap().to_string();
    assert!(!stdout.contains(&token) && !stderr.contains(&token));

    // The kept session acts as sam, with no password and no database.
    let (code, stdout, stderr) = client.run(&["order", "show", &id, "--json"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap()["available"][0]["event"],
        "order.accepted"
    );

    // An admin ends sam's sessions: the very next command is refused.
    let (code, _, stderr) = run_as(&db.url, "ada", &["session", "end", "--user", "sam"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = client.run(&["order", "show", &id]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("sign in again"), "{stderr}");

    // Signed in again, then out: the server ends it and the file is gone.
    assert_eq!(client.run_as("sam", &["login"]).0, 0);
    let (code, stdout, _) = client.run(&["logout"]);
    assert_eq!(
        (code, stdout.trim()),
        (0, format!("signed out of {}", server.url).as_str())
    );
    assert!(!std::fs::read_to_string(&file).unwrap().contains(&token));
    let (code, _, stderr) = client.run(&["order", "list"]);
    assert_eq!(code, 3, "{stderr}");
    let signed_out = reqwest_status(&server.url, &token);
    assert_eq!(signed_out, 401, "an ended session's token must be refused");

    // Two logins at once, to two addresses of the server: both sessions are kept.
    let other_address = server.url.replace("127.0.0.1", "localhost");
    let logins: Vec<_> = [&client.server, &other_address]
        .into_iter()
        .map(|address| {
            client
                .command_for(address)
                .args(["--as", "sam", "login"])
                .env("ORDERBOARD_PASSWORD", "correct horse")
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut login in logins {
        assert!(login.wait().unwrap().success());
    }
    let kept = std::fs::read_to_string(&file).unwrap();
    assert!(
        kept.contains(&client.server) && kept.contains(&other_address),
        "{kept}"
    );

    // A role changed after sign-in counts at once, in the wording too: sue, support when she
    // signed in, is a seller now, to whom a missing order is "missing or not visible".
    assert_eq!(client.run_as("sue", &["login"]).0, 0);
    let (code, _, stderr) = run_as(&db.url, "ada", &["user", "set-role", "sue", "seller"]);
    assert_eq!(code, 0, "{stderr}");
    let local = run_as(&db.url, "sue", &["order", "show", "999999"]);
    assert_eq!(client.run(&["order", "show", "999999"]), local);
    assert_eq!(local.0, 3);

    // A kept file that others may read is refused, not used; logout still ends it.
    assert_eq!(client.run_as("sam", &["login"]).0, 0);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, _, stderr) = client.run(&["order", "list"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("others may read it (mode 0644)"),
        "{stderr}"
    );
    let (code, stdout, stderr) = client.run(&["logout"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("signed out of"), "{stdout}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

/// `GET /orders` with a bearer token: the status code.
fn reqwest_status(base: &str, token: &str) -> u16 {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        crate::api::client()
            .get(format!("{base}/orders"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    })
}

#[test]
fn the_server_flag_refuses_what_it_cannot_do_in_one_sentence() {
    let client = Client {
        home: tempfile::tempdir().unwrap(),
        server: "http://127.0.0.1:9".to_string(),
    };
    let (code, _, stderr) = client.run_as("ada", &["user", "list"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`user` does not work through a server yet"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");

    // Nobody answers on port 9: one sentence naming the server, exit 1.
    let (code, _, stderr) = client.run_as("ada", &["order", "list"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.starts_with("cannot reach http://127.0.0.1:9"),
        "{stderr}"
    );

    let remote = Client {
        home: tempfile::tempdir().unwrap(),
        server: "http://orders.example.com".to_string(),
    };
    let (code, _, stderr) = remote.run_as("ada", &["order", "list"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("plain http to another machine"), "{stderr}");
    let (code, _, stderr) = client.run(&["--database", "sqlite:///tmp/x.db", "order", "list"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = client.run(&["login"]);
    assert_eq!(
        (code, stderr.trim()),
        (2, "login needs --as USER (who signs in)")
    );
    // The environment names a server, the command line a database: the flag wins (and the
    // other way round).
    let db = crate::db::sqlite();
    set_up_users(&db);
    let (code, stdout, stderr) = outcome(
        crate::support::orderboard(&db.url)
            .env("ORDERBOARD_SERVER", "http://127.0.0.1:9")
            .env("ORDERBOARD_PASSWORD", "correct horse")
            .args(["--as", "ada", "order", "list", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!((code, stdout.trim()), (0, "[]"), "{stderr}");
    let (code, _, stderr) = outcome(
        client
            .command()
            .env("ORDERBOARD_DATABASE", &db.url)
            .env("ORDERBOARD_PASSWORD", "correct horse")
            .args(["--as", "ada", "order", "list"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        code, 1,
        "the server flag, not the database variable: {stderr}"
    );
    let (code, stdout, stderr) = outcome(
        crate::support::orderboard(&db.url)
            .env("ORDERBOARD_DATABASE", &db.url)
            .env("ORDERBOARD_SERVER", "http://127.0.0.1:9")
            .env("ORDERBOARD_PASSWORD", "correct horse")
            .args(["--as", "ada", "order", "list", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        (code, stdout.trim()),
        (0, "[]"),
        "a typed --database wins even when the variable says the same: {stderr}"
    );
}

/// Over TLS the client verifies the server: with the private CA given by `--ca` it signs in;
/// without it (the system's roots only) it refuses to talk.
#[test]
fn the_cli_over_tls_trusts_a_private_ca_only_when_told() {
    let db = crate::db::sqlite();
    set_up_users(&db);
    let fixture = |name: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/tls")
            .join(name)
    };
    let served = ServeProcess::start(
        &db.url,
        &[
            "--tls-cert".as_ref(),
            fixture("server.pem").as_os_str(),
            "--tls-key".as_ref(),
            fixture("server.key").as_os_str(),
        ],
    );
    // The certificate names localhost, not 127.0.0.1.
    let client = Client {
        home: tempfile::tempdir().unwrap(),
        server: format!("https://localhost:{}", served.port()),
    };
    let ca = fixture("ca.pem");
    let (code, stdout, stderr) = client.run_as(
        "sam",
        &["--ca", ca.to_str().unwrap(), "order", "list", "--json"],
    );
    assert_eq!((code, stdout.trim()), (0, "[]"), "{stderr}");
    let (code, _, stderr) = client.run_as("sam", &["order", "list"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.starts_with("cannot reach https://localhost"),
        "{stderr}"
    );
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");
    let (code, _, stderr) = client.run_as("sam", &["--ca", "/nonexistent.pem", "order", "list"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.starts_with("--ca /nonexistent.pem"), "{stderr}");
}

/// A server that answers every request with what `answer` gives for its first line
/// ("POST /sessions HTTP/1.1"): status and JSON body. One connection at a time.
fn hostile_server(answer: fn(&str) -> (u16, String)) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let (status, json) = answer(&first);
            let content_type = if status >= 400 {
                "application/problem+json"
            } else {
                "application/json"
            };
            let response = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{json}",
                json.len()
            );
            let _ = reader.get_mut().write_all(response.as_bytes());
        }
    });
    format!("http://{address}")
}

/// What a hostile or broken server answers is bounded and refused in one sentence: a token
/// too big to keep, pages that never end, escapes and line breaks in its refusals.
#[test]
fn a_hostile_server_gets_one_sentence_and_changes_nothing_here() {
    let server = hostile_server(|first| {
        if first.starts_with("POST /sessions") {
            let token = "t".repeat(2 * 1024 * 1024);
            let body = serde_json::json!({"token": token, "id": 1, "user": "sam", "role": "seller",
                "expires_at": "2030-01-01T00:00:00Z", "idle_timeout_seconds": 1800});
            (201, body.to_string())
        } else if first.starts_with("GET /orders?") {
            // Empty pages that creep forward one id at a time, forever.
            let after: i64 = first
                .split("after=")
                .nth(1)
                .and_then(|rest| rest.split(['&', ' ']).next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            (
                200,
                format!(r#"{{"orders": [], "next_after": {}}}"#, after + 1),
            )
        } else if first.starts_with("POST /orders/") {
            // A success whose JSON is not an applied transition, quoting junk at length.
            let junk = format!("\u{1b}[31m{}", "Z".repeat(100_000));
            (200, serde_json::json!({ "id": junk }).to_string())
        } else {
            let detail = "line one\nline two \u{1b}[2J\u{7}".repeat(1000);
            let body = serde_json::json!({"type": "urn:orderboard:problem:bad-request",
                "title": "Bad request", "status": 400, "detail": detail});
            (400, body.to_string())
        }
    });
    let client = Client {
        home: tempfile::tempdir().unwrap(),
        server,
    };
    let (code, stdout, stderr) = client.run_as("sam", &["login"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("does not accept"), "{stderr}");
    assert!(!client.sessions_file().exists());

    // A session kept for it by hand: the commands below reach its other answers.
    let file = client.sessions_file();
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let kept = serde_json::json!({"sessions": [{"server": client.server, "user": "sam",
        "role": "seller", "token": "obs_x", "expires_at": "2030-01-01T00:00:00Z"}]});
    std::fs::write(&file, kept.to_string()).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();

    let (code, _, stderr) = client.run(&["order", "list", "--json"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("do not move forward"), "{stderr}");

    let (code, _, stderr) = client.run(&["advance", "7", "order.accepted"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("does not understand"), "{stderr}");
    assert!(
        stderr.len() < 1_000 && !stderr.contains('\u{1b}'),
        "{stderr}"
    );

    let (code, _, stderr) = client.run(&["order", "show", "7"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(!stderr.contains('\u{1b}') && !stderr.contains('\u{7}'));
    assert!(stderr.len() < 1_200, "{} bytes", stderr.len());
}
