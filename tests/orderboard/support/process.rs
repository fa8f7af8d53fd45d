//! The real binaries as a test runs them: a database, an empty config, no inherited
//! orderboard variables, and the users every test signs in as.

use std::process::{Command, Stdio};

use crate::db::TestDb;

/// The binary with a database and an empty config, no inherited orderboard variables.
pub fn orderboard(url: &str) -> Command {
    binary(env!("CARGO_BIN_EXE_orderboard"), url)
}

/// The benchmark binary, set up like `orderboard`.
pub fn bench(url: &str) -> Command {
    binary(env!("CARGO_BIN_EXE_orderboard-bench"), url)
}

fn binary(path: &str, url: &str) -> Command {
    let mut command = Command::new(path);
    command
        .env_remove("ORDERBOARD_DATABASE")
        .env_remove("ORDERBOARD_PASSWORD")
        .env(
            "ORDERBOARD_CONFIG",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/config/empty.toml"
            ),
        )
        .arg("--database")
        .arg(url)
        .stdin(Stdio::null());
    command
}

/// Runs as USER (password "correct horse"); returns (exit code, stdout, stderr).
pub fn run_as(url: &str, user: &str, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["--as", user];
    all.extend_from_slice(args);
    run(url, &all, None)
}

/// Runs with ORDERBOARD_PASSWORD "correct horse" and optional stdin.
pub fn run(url: &str, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    use std::io::Write;
    let mut child = orderboard(url)
        .args(args)
        .env("ORDERBOARD_PASSWORD", "correct horse")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    outcome(child.wait_with_output().unwrap())
}

/// A finished process as (exit code, stdout, stderr).
pub fn outcome(output: std::process::Output) -> (i32, String, String) {
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `orderboard serve --no-runner` on a test database on a free loopback port, with more
/// flags (`--tls-cert`, …); killed on drop.
pub struct ServeProcess {
    child: std::process::Child,
    /// What it listens on: `http://127.0.0.1:PORT` or `https://…`.
    pub url: String,
}

impl ServeProcess {
    pub fn start(url: &str, flags: &[&std::ffi::OsStr]) -> ServeProcess {
        ServeProcess::start_on(url, 0, flags)
    }

    /// On a given port (0: any free one), to start again where clients look for it.
    pub fn start_on(url: &str, port: u16, flags: &[&std::ffi::OsStr]) -> ServeProcess {
        use std::io::BufRead;
        let mut child = orderboard(url)
            .args([
                "serve",
                "--no-runner",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("serve said {line:?}"))
            .to_string();
        ServeProcess { child, url }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().unwrap().parse().unwrap()
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// init, the bootstrap admin, and a few users, all through the CLI.
pub fn set_up_users(db: &TestDb) {
    let (code, _, stderr) = run(&db.url, &["init"], None);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(
        &db.url,
        &["user", "add", "ada", "--role", "admin", "--password-stdin"],
        Some("correct horse\n"),
    );
    assert_eq!(code, 0, "{stderr}");
    for (name, role) in [
        ("sam", "seller"),
        ("zoe", "seller"),
        ("carol", "customer"),
        ("sue", "support"),
        ("clock", "system"),
    ] {
        let args = [
            "--as",
            "ada",
            "user",
            "add",
            name,
            "--role",
            role,
            "--password-stdin",
        ];
        let (code, _, stderr) = run(&db.url, &args, Some("correct horse\n"));
        assert_eq!(code, 0, "{stderr}");
    }
}

/// The arguments of `order create` for these fields.
pub fn order_create_args(
    workflow: &str,
    customer: &str,
    seller: &str,
    title: &str,
    amount: &str,
) -> Vec<String> {
    [
        "order",
        "create",
        "--workflow",
        workflow,
        "--customer",
        customer,
        "--seller",
        seller,
        "--title",
        title,
        "--amount",
        amount,
    ]
    .map(String::from)
    .to_vec()
}

/// `order create` as USER with [workflow, customer, seller, amount].
pub fn create_as(
    db: &TestDb,
    user: &str,
    [workflow, customer, seller, amount]: [&str; 4],
) -> (i32, String, String) {
    let args = order_create_args(workflow, customer, seller, "x", amount);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_as(&db.url, user, &args)
}

/// `order create` as ada for carol and sam; returns the new id.
pub fn create(db: &TestDb, workflow: &str, extra: &[&str]) -> String {
    create_titled(db, workflow, "Logo", extra)
}

pub fn create_titled(db: &TestDb, workflow: &str, title: &str, extra: &[&str]) -> String {
    let args = order_create_args(workflow, "carol", "sam", title, "125.00");
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = run_as(&db.url, "ada", &args);
    assert_eq!(code, 0, "{stderr}");
    stdout.lines().last().unwrap().trim().to_string()
}

/// Runs as USER with PASSWORD (a wrong one, say); returns (exit code, stdout, stderr).
pub fn run_with_password(
    url: &str,
    user: &str,
    password: &str,
    args: &[&str],
) -> (i32, String, String) {
    outcome(
        orderboard(url)
            .args(["--as", user])
            .args(args)
            .env("ORDERBOARD_PASSWORD", password)
            .output()
            .unwrap(),
    )
}
