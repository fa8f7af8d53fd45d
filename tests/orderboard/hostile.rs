//! Hostile input: fuzzed loaders, terminal escapes and huge strings in stored text, SQL
//! metacharacters in filters, unknown flags, unusable database files, and a workflow that
//! changed under its orders.

use std::path::Path;

use orderboard::config::Config;
use orderboard::domain::text::display_safe;
use orderboard::workflow::load_workflow;
use orderboard::workflow::registry::SHIPPED;
use proptest::prelude::*;

use crate::db::{both, sqlite};
use crate::support::test_now;
use crate::support::{create, create_titled, orderboard, run_as, set_up_users};
use crate::support::{draft, people};

fn assert_located(errors: &orderboard::workflow::LoadErrors) {
    assert!(!errors.0.is_empty());
    for error in &errors.0 {
        assert!(error.line >= 1 && error.column >= 1, "{error}");
        assert!(!error.message.trim().is_empty(), "{error}");
        assert!(!error.message.contains('\n'), "one line: {error}");
    }
}

/// A template in `explain` that CEL cannot read: its several-line syntax error (with a caret
/// under the input) is one located line (found by the mangling below in CI).
#[test]
fn an_unreadable_explain_template_is_one_located_line() {
    let text = SHIPPED[0].1.replacen(
        "explain = \"cancel requests: {counters.cancel_requests}",
        "explain = \"cancel requests: {\u{b5ff}1=counters.cancel_requests}",
        1,
    );
    assert_ne!(text, SHIPPED[0].1, "the shipped explain moved");
    let errors = load_workflow("mangled.toml", &text).unwrap_err();
    assert_located(&errors);
    assert!(
        errors.0.iter().any(|e| e.message.starts_with("explain: ")),
        "{errors:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Arbitrary text: no panic, and any error is located.
    #[test]
    fn the_workflow_loader_never_panics_on_arbitrary_text(text in "(?s).{0,400}") {
        if let Err(errors) = load_workflow("fuzz.toml", &text) {
            assert_located(&errors);
        }
    }

    /// Shipped files with a slice cut out, a line doubled, or bytes replaced: no panic,
    /// located errors.
    #[test]
    fn the_workflow_loader_never_panics_on_mangled_files(
        file in 0usize..4,
        cut_at in any::<prop::sample::Index>(),
        cut_len in 0usize..200,
        insert in "(?s).{0,40}",
    ) {
        let text = SHIPPED[file].1;
        let mut start = cut_at.index(text.len());
        while !text.is_char_boundary(start) { start -= 1; }
        let mut end = (start + cut_len).min(text.len());
        while !text.is_char_boundary(end) { end -= 1; }
        let mangled = format!("{}{}{}", &text[..start], insert, &text[end..]);
        if let Err(errors) = load_workflow("mangled.toml", &mangled) {
            assert_located(&errors);
        }
    }

    #[test]
    fn the_config_loader_never_panics(text in "(?s).{0,300}") {
        if let Err(error) = Config::parse("config.toml", &text) {
            prop_assert!(error.0.starts_with("config.toml:"), "{}", error.0);
        }
    }

    #[test]
    fn display_safe_text_never_holds_controls(text in "(?s).{0,200}") {
        let safe = display_safe(&text);
        prop_assert!(!safe.chars().any(|c| c.is_control()));
    }
}

const HOSTILE: &[&str] = &[
    "\u{1b}[2J\u{1b}[H\u{1b}]0;owned\u{7}Logo",
    "bell\u{7}backspace\u{8}delete\u{7f}csi\u{9b}31m",
    "right-to-left \u{202e}gnp.exe\u{202c} and שלום עולם",
    "line\nbreak\r\ttab",
];

/// Stored unchanged, byte for byte, and drawn without a single control character.
#[tokio::test]
async fn hostile_text_is_stored_unchanged_and_drawn_safely_on_both_backends() {
    let huge = "x".repeat(orderboard::domain::note::MAX_TEXT_BYTES);
    for db in both().await {
        let (backoffice, store) = db.parts().await;
        let (admin, seller, _, _) = people(&backoffice).await;
        let mut texts: Vec<&str> = HOSTILE.to_vec();
        texts.push(&huge);
        for text in texts {
            let mut order = draft("marketplace");
            order.title = text.to_string();
            let id = backoffice
                .create_order(&admin, order, test_now())
                .await
                .unwrap();
            backoffice
                .advance(&seller, id, "order.rejected", Some(text), None, test_now())
                .await
                .unwrap();
            let stored = store.order(id).await.unwrap().unwrap();
            assert_eq!(stored.title, text, "{}", db.backend);
            let history = store.history(id).await.unwrap();
            assert_eq!(history[0].note.as_deref(), Some(text), "{}", db.backend);
            // Drawn: the order pane and a card show it with no control character at all.
            let mut screen = crate::tui_fixtures::new_app((120, 40));
            orderboard::tui::app::update(
                &mut screen,
                orderboard::tui::msg::Msg::SignedIn(Ok(seller.clone())),
            );
            let mut data = crate::tui_fixtures::board_data();
            data.columns[0].cards[0] = stored.clone();
            orderboard::tui::app::update(
                &mut screen,
                orderboard::tui::msg::Msg::BoardLoaded(Ok(data)),
            );
            let mut terminal =
                ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
            let theme = orderboard::tui::theme::Theme::dark();
            terminal
                .draw(|frame| {
                    frame.render_widget(
                        &orderboard::tui::view::Frame {
                            app: &screen,
                            theme: &theme,
                        },
                        frame.area(),
                    )
                })
                .unwrap();
            let drawn = terminal
                .backend()
                .buffer()
                .content()
                .iter()
                .map(|cell| cell.symbol().to_string())
                .collect::<String>();
            assert!(
                !drawn
                    .chars()
                    .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
                "{}: {drawn}",
                db.backend
            );
        }
    }
}

/// Searches go through each database's text index (FTS5, pg_trgm): query syntax and LIKE
/// wildcards in the text are only text there too; a number is an order; a search shorter
/// than three characters is refused in one sentence.
#[test]
fn sql_metacharacters_in_filters_are_only_text() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for db in runtime.block_on(crate::db::both()) {
        set_up_users(&db);
        for title in [
            "Discount 100% off",
            "snake_case name",
            "O'Brien's \"quoted\" order",
            "plain AND NOT NEAR(x)",
        ] {
            create_titled(&db, "marketplace", title, &[]);
        }
        let search = |text: &str| {
            let (code, stdout, stderr) = run_as(
                &db.url,
                "ada",
                &["order", "list", "--search", text, "--json"],
            );
            assert_eq!(code, 0, "{}: {stderr}", db.backend);
            let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
            rows.iter()
                .map(|r| r["title"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(search("'; DROP TABLE orders; --"), Vec::<String>::new());
        assert_eq!(search("100%"), vec!["Discount 100% off"]);
        assert_eq!(search("% O"), vec!["Discount 100% off"]);
        assert_eq!(search("e_c"), vec!["snake_case name"]);
        assert_eq!(search("o'brien"), vec!["O'Brien's \"quoted\" order"]);
        assert_eq!(search("\"quoted\""), vec!["O'Brien's \"quoted\" order"]);
        assert_eq!(search("AND NOT"), vec!["plain AND NOT NEAR(x)"]);
        assert_eq!(search("near(x"), vec!["plain AND NOT NEAR(x)"]);
        assert_eq!(search("carol"), search(""), "customers are searched too");
        assert_eq!(search("#3"), vec!["O'Brien's \"quoted\" order"]);
        // The table is still there, whole.
        assert_eq!(search("").len(), 4);
        let (code, _, stderr) = run_as(&db.url, "ada", &["order", "list", "--search", "%"]);
        assert_eq!(
            (code, stderr.trim()),
            (
                2,
                "a search needs at least 3 characters (or an order number)"
            )
        );
    }
}

#[test]
fn unknown_flags_and_commands_are_one_sentence() {
    for args in [
        vec!["order", "list", "--colour"],
        vec!["teleport"],
        vec!["advance"],
        vec!["order", "create", "--amount"],
    ] {
        let output = orderboard("sqlite:///unused.db")
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.trim().ends_with("(see --help)"), "{stderr}");
    }
}

/// Guard that makes a file immutable (even for root) and always undoes it.
struct Immutable<'a>(&'a Path);

impl Drop for Immutable<'_> {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(self.0)
            .status();
    }
}

#[test]
fn an_unwritable_database_file_is_one_sentence_and_changes_nothing() {
    let db = sqlite();
    set_up_users(&db);
    let id = create(&db, "marketplace", &[]);
    let path = Path::new(db.url.trim_start_matches("sqlite://")).to_path_buf();
    // Fold the WAL into the file first, so the file alone holds the data.
    let (code, _, _) = run_as(&db.url, "ada", &["verify"]);
    assert_eq!(code, 0);
    let made = std::process::Command::new("chattr")
        .arg("+i")
        .arg(&path)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !made {
        assert!(
            std::env::var_os("CI").is_none(),
            "chattr is needed in CI for this test"
        );
        eprintln!("skipping: chattr +i is not available here");
        return;
    }
    let _guard = Immutable(&path);
    let (code, _, stderr) = run_as(&db.url, "sam", &["advance", &id, "order.accepted"]);
    assert_ne!(code, 0);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    drop(_guard);
    let (_, stdout, _) = run_as(&db.url, "sam", &["order", "show", &id, "--json"]);
    let order: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(order["state"], "paid", "nothing changed");
}

#[test]
fn a_workflow_changed_under_its_orders_names_them() {
    let db = sqlite();
    set_up_users(&db);
    let (stuck, fine) = (
        create(&db, "marketplace", &[]),
        create(&db, "marketplace", &[]),
    );
    assert_eq!(
        run_as(&db.url, "sam", &["advance", &stuck, "order.accepted"]).0,
        0
    );
    // A new marketplace where "inprogress" is called "working".
    let folder = tempfile::tempdir().unwrap();
    let renamed = SHIPPED[0].1.replace("\"inprogress\"", "\"working\"");
    std::fs::write(folder.path().join("marketplace.toml"), renamed).unwrap();
    let config_folder = tempfile::tempdir().unwrap();
    let config = config_folder.path().join("config.toml");
    std::fs::write(
        &config,
        format!("workflow_dir = \"{}\"\n", folder.path().display()),
    )
    .unwrap();
    let with_config = |user: &str, args: &[&str]| {
        let output = orderboard(&db.url)
            .env("ORDERBOARD_CONFIG", &config)
            .env("ORDERBOARD_PASSWORD", "correct horse")
            .arg("--as")
            .arg(user)
            .args(args)
            .output()
            .unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, _, stderr) = with_config("sam", &["advance", &stuck, "order.delivered"]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr.trim(),
        format!(
            "order {stuck} is in state \"inprogress\", which workflow \"marketplace\" no longer has"
        )
    );
    let (code, stdout, _) = with_config("ada", &["verify"]);
    assert_eq!(code, 1);
    assert!(stdout.contains(&format!("order {stuck}: is in state \"inprogress\", which workflow \"marketplace\" does not have")), "{stdout}");
    // Orders in states that still exist carry on.
    assert_eq!(
        with_config("sam", &["advance", &fine, "order.accepted"]).0,
        0
    );
}

/// A minimal valid workflow with `extra` added to its one transition (`roles` is `role`).
fn workflow_with(name: &str, role: &str, extra: &str) -> String {
    format!(
        "name = \"{name}\"\n\n[[states]]\nid = \"open\"\ninitial = true\n\n[[states]]\nid = \"done\"\nterminal = true\n\n[[transitions]]\nevent = \"finish\"\nfrom = [\"open\"]\nto = \"done\"\nroles = [\"{role}\"]\n{extra}\n"
    )
}

/// Runs `command` for at most `limit`, killing it after; returns (exit code, stderr, seconds).
fn run_bounded(
    mut command: std::process::Command,
    limit: std::time::Duration,
) -> (Option<i32>, String, f64) {
    use std::io::Read;
    let started = std::time::Instant::now();
    let mut child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    });
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    (
        code,
        reader.join().unwrap(),
        started.elapsed().as_secs_f64(),
    )
}

/// Workflow files written to crash or hang the loader: a guard too long for the evaluator's
/// stack, parentheses nested past the parser, comprehensions nested to run for minutes, and
/// timers too long to add to a date. Each is one located error, quickly, in `workflow check`
/// and in any command that loads the workflow folder.
#[test]
fn hostile_workflow_files_are_refused_quickly_with_located_errors() {
    let mut nested = "1 == 2".to_string();
    for level in 0..9 {
        nested = format!("[1,2,3,4,5,6,7,8,9,10].exists(x{level}, {nested})");
    }
    let guard = |text: String| format!("guard = \"{text}\"");
    let files = [
        (
            "terms",
            "admin",
            guard(vec!["1 == 1"; 6000].join(" && ")),
            "16:10:",
        ),
        (
            "sums",
            "admin",
            guard(format!("{} == 1", vec!["1"; 6000].join(" + "))),
            "16:10:",
        ),
        (
            "parens",
            "admin",
            guard(format!(
                "{}true{}",
                "(".repeat(100_000),
                ")".repeat(100_000)
            )),
            "16:",
        ),
        (
            "short_parens",
            "admin",
            guard(format!("{}true{}", "(".repeat(2000), ")".repeat(2000))),
            "16:42:",
        ),
        (
            "short_sums",
            "admin",
            guard(format!("{}1 == 1", "1 + ".repeat(1000))),
            "16:10:",
        ),
        ("exists", "admin", guard(nested), "16:"),
        (
            "seconds",
            "system",
            "after = \"9223372036854775807s\"".to_string(),
            "16:9:",
        ),
        (
            "days",
            "system",
            "after = \"100000000d\"".to_string(),
            "16:9:",
        ),
        (
            "hours",
            "system",
            "after = \"2562047788015h\"".to_string(),
            "16:9:",
        ),
        (
            "minutes",
            "system",
            "after = \"153722867280912m\"".to_string(),
            "16:9:",
        ),
    ];
    let limit = std::time::Duration::from_secs(20);
    for (name, role, extra, at) in files {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join(format!("{name}.toml"));
        std::fs::write(&file, workflow_with(name, role, &extra)).unwrap();
        let mut check = orderboard("sqlite:///unused.db");
        check.arg("workflow").arg("check").arg(&file);
        let (code, stderr, seconds) = run_bounded(check, limit);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(seconds < 10.0, "{name}: took {seconds:.1}s");
        assert_eq!(stderr.trim().lines().count(), 1, "{name}: {stderr}");
        assert!(
            stderr.starts_with(&format!("{}:{at}", file.display())),
            "{name}: {stderr}"
        );
        assert!(stderr.len() < 1000, "{name}: {} bytes", stderr.len());
        // The same file in the workflow folder stops every command, the same way.
        let config_folder = tempfile::tempdir().unwrap();
        let config = config_folder.path().join("config.toml");
        std::fs::write(
            &config,
            format!("workflow_dir = \"{}\"\n", folder.path().display()),
        )
        .unwrap();
        let mut list = orderboard("sqlite:///unused.db");
        list.env("ORDERBOARD_CONFIG", &config)
            .args(["--as", "ada", "order", "list"]);
        let (code, stderr, seconds) = run_bounded(list, limit);
        assert_eq!(code, Some(2), "{name} in a folder: {stderr}");
        assert!(seconds < 10.0, "{name} in a folder: took {seconds:.1}s");
        assert_eq!(stderr.trim().lines().count(), 1, "{name}: {stderr}");
        assert!(stderr.contains(&format!("{name}.toml:{at}")), "{stderr}");
    }
}

/// `/dev/zero` as a workflow file or a config file: refused at once, in bounded memory (the
/// address space is capped, so reading it whole would abort instead of eating the machine).
#[test]
fn endless_workflow_and_config_files_are_refused_in_bounded_memory() {
    let capped = |args: &str, config: &str| {
        let mut command = std::process::Command::new("sh");
        command
            .arg("-c")
            .arg(format!(
                "ulimit -v 1000000; exec \"$0\" --database sqlite:///unused.db {args}"
            ))
            .arg(env!("CARGO_BIN_EXE_orderboard"))
            .env_remove("ORDERBOARD_DATABASE")
            .env("ORDERBOARD_CONFIG", config)
            .stdin(std::process::Stdio::null());
        command
    };
    let empty = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/config/empty.toml"
    );
    let limit = std::time::Duration::from_secs(20);
    // A 16 GiB file (sparse: it costs no disk) is refused after reading just past the bound.
    let folder = tempfile::tempdir().unwrap();
    let huge = folder.path().join("huge.toml");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(16 << 30)
        .unwrap();
    let huge = huge.to_str().unwrap();
    let (code, stderr, _) = run_bounded(capped(&format!("workflow check {huge}"), empty), limit);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with(&format!("{huge}:1:1: ")), "{stderr}");
    assert!(stderr.contains("larger than"), "{stderr}");
    let (code, stderr, _) = run_bounded(capped("order list", huge), limit);
    assert!(matches!(code, Some(1..=2)), "{code:?}: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with(&format!("{huge}: ")), "{stderr}");
    assert!(stderr.contains("larger than"), "{stderr}");
    // An endless device or a named pipe is refused before it is read (a pipe would wait
    // for a writer forever).
    let pipe = folder.path().join("pipe.toml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap()
            .success()
    );
    for file in ["/dev/zero", pipe.to_str().unwrap()] {
        let (code, stderr, _) =
            run_bounded(capped(&format!("workflow check {file}"), empty), limit);
        assert_eq!(code, Some(2), "{file}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains("not a regular file"), "{stderr}");
        let (code, stderr, _) = run_bounded(capped("order list", file), limit);
        assert!(matches!(code, Some(1..=2)), "{code:?}: {stderr}");
        assert!(stderr.contains("not a regular file"), "{stderr}");
    }
}

/// A guard whose work grows with the order's data (here every triple of its attributes) loads, since the sample order is small, but an order with a thousand
/// attributes makes it exceed its budget: the transition is blocked, quickly, never allowed.
#[test]
fn a_guard_over_its_budget_blocks_the_transition() {
    let text = workflow_with(
        "budget",
        "admin",
        "guard = \"'tags' in attrs && attrs.tags.exists(a, attrs.tags.exists(b, attrs.tags.exists(c, false)))\"\nexplain = \"needs a matching tag\"",
    );
    let workflow = load_workflow("budget.toml", &text).expect("loads: the sample is small");
    let mut subject = crate::support::order("budget", "open");
    subject.attrs.insert(
        "tags".into(),
        serde_json::json!((0..1000).collect::<Vec<_>>()),
    );
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let admin = crate::support::actor(orderboard::domain::Role::Admin, false);
        let _ = sender.send(
            workflow
                .decide(&subject, &admin, "finish", None, test_now())
                .map(|_| ())
                .map_err(|refusal| refusal.to_string()),
        );
    });
    let outcome = receiver
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("the guard ends within its budget");
    let refusal = outcome.expect_err("a guard over budget blocks");
    assert!(refusal.contains("budget"), "{refusal}");
}

/// A workflow whose labels, refusal and explanation carry terminal escapes, a newline that
/// would start a new Mermaid statement, and quotes that would end a Graphviz label.
const TRAP_WORKFLOW: &str = r#"name = "trap"
label = "Trap\u001b]0;owned\u0007"

[attributes]
note = ""

[[states]]
id = "open"
label = "Open\u001b[2J\nrogue --> [*]"
initial = true

[[states]]
id = "done"
label = "Done \"quoted\" \u001b[31m"
terminal = true

[[transitions]]
event = "finish"
label = "Finish\u001b[5m"
from = ["open"]
to = "done"
roles = ["admin"]
guard = "amount > 1000000.0"
explain = "\u001b[2Jneeds {attrs.note}"

[[transitions]]
event = "drop"
from = ["open"]
to = "done"
roles = ["admin"]
"#;

fn assert_no_controls_but_newlines(what: &str, text: &str) {
    assert!(
        !text
            .chars()
            .any(|c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c)),
        "{what}: {text:?}"
    );
}

/// Workflow- and database-sourced text reaches the terminal through `order show`, error
/// messages and `workflow graph` without a control character; JSON keeps it exact.
#[test]
fn untrusted_text_in_command_output_is_display_safe() {
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("trap.toml");
    std::fs::write(&file, TRAP_WORKFLOW).unwrap();
    let graph = |format: &str| {
        let output = orderboard("sqlite:///unused.db")
            .args(["workflow", "graph"])
            .arg(&file)
            .args(["--format", format])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let mermaid = graph("mermaid");
    assert_no_controls_but_newlines("mermaid", &mermaid);
    for line in mermaid.lines().skip(1) {
        assert!(
            line.starts_with("    "),
            "one statement per line: {mermaid}"
        );
    }
    let dot = graph("dot");
    assert_no_controls_but_newlines("dot", &dot);
    for line in dot.lines() {
        let quotes = line.matches('"').count() - line.matches("\\\"").count();
        assert_eq!(quotes % 2, 0, "quotes stay paired: {line}");
    }

    // An error quoting the user's own argument.
    let output = orderboard("sqlite:///unused.db")
        .args(["workflow", "graph", "\u{1b}[2Jnowhere\u{7}"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("nowhere"), "{stderr}");
    assert_no_controls_but_newlines("error", &stderr);

    // `order show` of an order in that workflow with a hostile attribute.
    let db = sqlite();
    set_up_users(&db);
    let config_folder = tempfile::tempdir().unwrap();
    let config = config_folder.path().join("config.toml");
    std::fs::write(
        &config,
        format!("workflow_dir = \"{}\"\n", folder.path().display()),
    )
    .unwrap();
    let with_config = |args: &[&str]| {
        let output = orderboard(&db.url)
            .env("ORDERBOARD_CONFIG", &config)
            .env("ORDERBOARD_PASSWORD", "correct horse")
            .args(["--as", "ada"])
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let hostile_note = "\u{1b}[31mred\u{1b}]0;x\u{7}";
    let created = with_config(&[
        "order",
        "create",
        "--workflow",
        "trap",
        "--customer",
        "carol",
        "--seller",
        "sam",
        "--title",
        "x",
        "--amount",
        "1.00",
        "--attr",
        &format!("note={hostile_note}"),
    ]);
    let id = created.lines().last().unwrap().trim().to_string();
    let shown = with_config(&["order", "show", &id]);
    assert!(shown.contains("needs"), "{shown}");
    assert_no_controls_but_newlines("order show", &shown);
    let json: serde_json::Value =
        serde_json::from_str(&with_config(&["order", "show", &id, "--json"])).unwrap();
    assert_eq!(json["attrs"]["note"], hostile_note, "JSON stays exact");
    let listed = with_config(&["order", "list"]);
    assert_no_controls_but_newlines("order list", &listed);
}

/// Every credential a PostgreSQL URL can carry, wherever it sits: the userinfo password (with
/// unencoded `/ ? # @` in it), and `password` / `sslpassword` in the query string.
const SECRET_URLS: &[(&str, &[&str])] = &[
    ("postgres://bob@127.0.0.1:1/db?password=s3cret", &["s3cret"]),
    (
        "postgres://bob@127.0.0.1:1/db?sslmode=disable&password=s3cret&application_name=x",
        &["s3cret"],
    ),
    (
        "postgres://bob:pa/ss?wo#rd@127.0.0.1:1/db",
        &["pa/ss", "wo#rd", "ss?wo"],
    ),
    ("postgres://bob:p@ss@127.0.0.1:1/db", &["p@ss"]),
    (
        "postgresql://bob:s3cret@127.0.0.1:1/db?sslpassword=k3y&passfile=/tmp/pgpass",
        &["s3cret", "k3y"],
    ),
];

/// Masked in `Display` and `Debug` of `DatabaseUrl`, in `redact`, and in what a command prints
/// when it cannot connect.
#[test]
fn database_passwords_are_masked_wherever_they_sit() {
    use orderboard::store::DatabaseUrl;
    use orderboard::store::url::redact;
    for (url, secrets) in SECRET_URLS {
        let parsed = DatabaseUrl::parse(url).unwrap();
        let mut shown = vec![
            redact(url),
            parsed.to_string(),
            format!("{parsed:?}"),
            format!("{:?}", Some(&parsed)),
        ];
        let output = orderboard(url)
            .args(["--as", "ada", "order", "list"])
            .env("ORDERBOARD_PASSWORD", "correct horse")
            .output()
            .unwrap();
        assert_ne!(output.status.code(), Some(0), "{url}");
        shown.push(String::from_utf8_lossy(&output.stderr).into_owned());
        for text in &shown {
            assert!(text.contains("127.0.0.1"), "still names the host: {text}");
            for secret in *secrets {
                assert!(!text.contains(secret), "{url}: {text}");
            }
        }
        if url.contains("passfile") {
            assert!(
                redact(url).contains("passfile=/tmp/pgpass"),
                "{}",
                redact(url)
            );
        }
    }
}
