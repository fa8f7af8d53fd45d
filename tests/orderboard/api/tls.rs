//! `serve --tls-cert/--tls-key`: the API over TLS on a real socket with the test CA's
//! certificate for localhost. A client that trusts the CA is served; one that does not, or
//! that speaks plain HTTP, gets nothing and harms nothing; a client that never completes its
//! handshake is cut off; bad certificate files are one sentence naming the file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use super::{Api, Served};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

/// A client that trusts only the test CA, with localhost pinned to the server's address.
fn trusting_client(served: &Served) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca = std::fs::read(fixture("ca.pem")).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .resolve("localhost", served.address)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_over_tls_serves_clients_that_trust_it_and_nothing_else() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let db = crate::db::sqlite();
    let api = Api::new(&db).await;
    let tls =
        orderboard::http::server_config(&fixture("server.pem"), &fixture("server.key")).unwrap();
    let limits = orderboard::http::Limits {
        header_read_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let served = Served::start_with(&api.office, limits, Some(tls)).await;
    let client = trusting_client(&served);

    let health = client
        .get(format!("{}/healthz", served.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let signed_in = client
        .post(format!("{}/sessions", served.base))
        .json(&json!({"name": "sam", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 201);

    // A client with the system's roots only does not trust the test CA.
    let stranger = reqwest::Client::builder()
        .resolve("localhost", served.address)
        .build()
        .unwrap();
    let refused = stranger
        .get(format!("{}/healthz", served.base))
        .send()
        .await;
    assert!(refused.is_err(), "an unknown CA must not be trusted");

    // Plain HTTP to the TLS port gets no HTTP answer.
    let mut plain = tokio::net::TcpStream::connect(served.address)
        .await
        .unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut answer)).await;
    assert!(
        !answer.starts_with(b"HTTP/1.1 200"),
        "plain HTTP was served"
    );

    // A connection that never starts its handshake is cut off at the header deadline.
    let mut silent = tokio::net::TcpStream::connect(served.address)
        .await
        .unwrap();
    let mut buffer = [0u8; 64];
    let cut = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buffer)).await;
    assert!(matches!(cut, Ok(Ok(0)) | Ok(Err(_))), "{cut:?}");

    // And the server still serves.
    let again = client
        .get(format!("{}/healthz", served.base))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    served.stop().await.unwrap().unwrap();
    api.office.close().await;
}

#[test]
fn bad_certificate_files_are_one_sentence_naming_the_file() {
    let cert = fixture("server.pem");
    let key = fixture("server.key");
    let missing = fixture("missing.pem");
    let error = orderboard::http::server_config(&missing, &key).unwrap_err();
    assert!(error.starts_with(&missing.display().to_string()), "{error}");
    let swapped = orderboard::http::server_config(&key, &cert).unwrap_err();
    assert!(swapped.starts_with(&key.display().to_string()), "{swapped}");
    assert!(swapped.contains("no PEM certificate"), "{swapped}");
    let wrong_key = orderboard::http::server_config(&cert, &cert).unwrap_err();
    assert!(wrong_key.contains("not a PEM private key"), "{wrong_key}");
    for error in [error, swapped, wrong_key] {
        assert!(!error.contains('\n'), "one sentence: {error}");
    }
}

/// The real `orderboard serve` with TLS flags: "listening on https://…", served to a client
/// that trusts the CA; a bad file stops it before it starts, in one sentence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_tls_flags_end_to_end() {
    use crate::support::run;

    let db = crate::db::sqlite();
    let api = Api::new(&db).await;
    api.office.close().await;
    let (cert, key) = (fixture("server.pem"), fixture("server.key"));
    let (code, _, stderr) = run(
        &db.url,
        &[
            "serve",
            "--tls-cert",
            key.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.starts_with(key.to_str().unwrap()), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    let (code, _, stderr) = run(
        &db.url,
        &["serve", "--tls-cert", cert.to_str().unwrap()],
        None,
    );
    assert_eq!(code, 2, "--tls-cert needs --tls-key: {stderr}");

    let served = crate::support::ServeProcess::start(
        &db.url,
        &[
            "--tls-cert".as_ref(),
            cert.as_os_str(),
            "--tls-key".as_ref(),
            key.as_os_str(),
        ],
    );
    let address: std::net::SocketAddr = served
        .url
        .strip_prefix("https://")
        .unwrap_or_else(|| panic!("{}", served.url))
        .parse()
        .unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca = std::fs::read(fixture("ca.pem")).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .resolve("localhost", address)
        .build()
        .unwrap();
    let health = client
        .get(format!("https://localhost:{}/healthz", address.port()))
        .send()
        .await;
    drop(served);
    assert_eq!(health.unwrap().status(), 200);
}
