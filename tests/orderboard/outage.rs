//! PostgreSQL restarted under a running UI and a writer: the UI shows "reconnecting",
//! recovers within 5 s of the database's return, and the live feed delivers every event
//! committed meanwhile, with no gap. Uses a private cluster so stopping it disturbs no other
//! test.

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use orderboard::domain::{Actor, Role, Visibility};
use orderboard::service::Backoffice;
use orderboard::store::live::{LiveUpdate, follow};
use orderboard::store::{DatabaseUrl, OpenMode, Store};
use orderboard::workflow::Workflows;

use crate::db::TestDb;
use crate::support::Tmux;
use crate::support::draft;
use crate::support::set_up_users;
use crate::support::test_now;

const BIN: &str = "/usr/lib/postgresql/15/bin";

struct PrivateCluster {
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivateCluster {
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn url(&self) -> String {
        format!(
            "postgres://postgres@localhost/postgres?host={}&port={}",
            self.dir.path().display(),
            self.port
        )
    }

    /// `runuser` lives in sbin, which a bare PATH may lack.
    fn runuser() -> &'static str {
        ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("runuser")
    }

    fn as_postgres(args: &[&str]) -> bool {
        Command::new(Self::runuser())
            .arg("-u")
            .arg("postgres")
            .arg("--")
            .args(args)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    /// A new cluster, or None where this machine cannot make one (never under CI).
    fn create() -> Option<PrivateCluster> {
        let possible = std::path::Path::new(BIN).join("initdb").exists()
            && Command::new(Self::runuser()).arg("--help").output().is_ok();
        if !possible {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must be able to start a private PostgreSQL cluster"
            );
            eprintln!("skipping the outage test: no PostgreSQL binaries or runuser here");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("orderboard-pg-")
            .tempdir()
            .unwrap();
        let _ = Command::new("/bin/chown")
            .arg("postgres:postgres")
            .arg(dir.path())
            .status();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = PrivateCluster { dir, port };
        let data = cluster.data().display().to_string();
        assert!(
            Self::as_postgres(&[
                &format!("{BIN}/initdb"),
                "-D",
                &data,
                "-A",
                "trust",
                "-U",
                "postgres"
            ]),
            "initdb failed"
        );
        cluster.start();
        Some(cluster)
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=''",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        assert!(
            Self::as_postgres(&[
                &format!("{BIN}/pg_ctl"),
                "-D",
                &self.data().display().to_string(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start"
            ]),
            "pg_ctl start failed"
        );
    }

    fn stop(&self) {
        assert!(
            Self::as_postgres(&[
                &format!("{BIN}/pg_ctl"),
                "-D",
                &self.data().display().to_string(),
                "-m",
                "fast",
                "-w",
                "stop"
            ]),
            "pg_ctl stop failed"
        );
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        Self::as_postgres(&[
            &format!("{BIN}/pg_ctl"),
            "-D",
            &self.data().display().to_string(),
            "-m",
            "immediate",
            "stop",
        ]);
    }
}

#[test]
fn a_postgres_restart_under_the_ui_and_a_writer_loses_nothing() {
    if !Tmux::available() {
        return;
    }
    let Some(cluster) = PrivateCluster::create() else {
        return;
    };
    let db = TestDb::at(cluster.url(), "postgres");
    set_up_users(&db);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let open_store = || async {
        Store::open(
            &DatabaseUrl::parse(&cluster.url()).unwrap(),
            OpenMode::ExistingOnly,
        )
        .await
        .unwrap()
    };
    let writer_store = runtime.block_on(open_store());
    let writer = Backoffice::new(writer_store.clone(), Workflows::shipped().unwrap());
    let admin = Actor::new("ada", Role::Admin);
    let seller = Actor::new("sam", Role::Seller);
    let ids: Vec<i64> = runtime.block_on(async {
        let mut ids = Vec::new();
        for _ in 0..15 {
            ids.push(
                writer
                    .create_order(&admin, draft("marketplace"), test_now())
                    .await
                    .unwrap(),
            );
        }
        ids
    });
    let start_id = runtime.block_on(crate::db::settled_feed_head(&writer_store));

    // A follower, as the UI runs it, recording everything it delivers.
    let seen: Arc<Mutex<Vec<i64>>> = Arc::default();
    let states: Arc<Mutex<Vec<String>>> = Arc::default();
    let follower_store = runtime.block_on(open_store());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    runtime.spawn(follow(
        follower_store,
        Visibility::Everything,
        start_id,
        Duration::from_millis(100),
        tx,
    ));
    {
        let (seen, states) = (seen.clone(), states.clone());
        runtime.spawn(async move {
            while let Some(update) = rx.recv().await {
                match update {
                    LiveUpdate::Events(events) => seen
                        .lock()
                        .unwrap()
                        .extend(events.iter().map(|e| e.entry.id)),
                    LiveUpdate::Lost(_) => states.lock().unwrap().push("lost".into()),
                    LiveUpdate::Online => states.lock().unwrap().push("online".into()),
                }
            }
        });
    }

    // The UI, signed in as an admin.
    let tmux = Tmux::sign_in("outage", &cluster.url(), "ada", 140);
    tmux.wait_for("the board", Duration::from_secs(10), |s| {
        s.contains("Paid (15)")
    });

    // Five transitions before the outage.
    runtime.block_on(async {
        for id in &ids[..5] {
            writer
                .advance(
                    &seller,
                    *id,
                    "order.accepted",
                    None,
                    None,
                    chrono::Utc::now(),
                )
                .await
                .unwrap();
        }
    });
    tmux.wait_for("the first events", Duration::from_secs(5), |s| {
        s.contains(&format!("#{} Paid→In progress", ids[4]))
    });

    cluster.stop();
    tmux.wait_for("the reconnecting state", Duration::from_secs(10), |s| {
        s.contains("reconnecting")
    });
    cluster.start();
    let back = Instant::now();

    // The writer carries on as soon as the database answers.
    runtime.block_on(async {
        for id in &ids[5..] {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                match writer
                    .advance(
                        &seller,
                        *id,
                        "order.accepted",
                        None,
                        None,
                        chrono::Utc::now(),
                    )
                    .await
                {
                    Ok(_) => break,
                    Err(error) if Instant::now() < deadline => {
                        eprintln!("writer retrying: {error}");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    Err(error) => panic!("the writer never got back: {error}"),
                }
            }
        }
    });
    // Recovered: no "reconnecting", the last event in the feed, and the board caught up.
    let last_line = format!("#{} Paid→In progress", ids[14]);
    let (screen, _) = tmux.wait_for("recovery", Duration::from_secs(10), |s| {
        !s.contains("reconnecting") && s.contains(&last_line) && s.contains("In progress (15)")
    });
    let recovered = back.elapsed();
    assert!(
        recovered < Duration::from_secs(5),
        "the UI took {recovered:?} after the database returned:\n{screen}"
    );
    eprintln!("recovered {recovered:?} after the database returned");
    assert!(
        screen.contains("In progress (15)"),
        "the board caught up:\n{screen}"
    );
    assert!(
        !screen.contains("EXITED"),
        "the UI is still running:\n{screen}"
    );

    // No gap: the follower delivered exactly the committed ids after the start, in order.
    let committed: Vec<i64> = runtime.block_on(async {
        let history = writer_store
            .feed_after(start_id, &Visibility::Everything, 1000)
            .await
            .unwrap();
        history.iter().map(|e| e.entry.id).collect()
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while seen.lock().unwrap().len() < committed.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(*seen.lock().unwrap(), committed);
    assert_eq!(committed.len(), 15);
    let states = states.lock().unwrap().clone();
    assert!(
        states.starts_with(&["lost".to_string(), "online".to_string()]),
        "{states:?}"
    );

    tmux.keys(&["q"]);
    tmux.wait_for("the exit", Duration::from_secs(5), |s| {
        s.contains("EXITED 0")
    });
}
