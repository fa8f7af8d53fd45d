//! The OpenAPI document against the router: both are built from `http::api`, and this
//! checks that they agree.

use axum::http::StatusCode;

use super::Api;

/// The document is OpenAPI 3.1 and lists exactly the routes of the spec; each documented
/// operation is served (no "no route", no 405): both are built from `http::api`.
#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let db = crate::db::sqlite();
    let api = Api::new(&db).await;
    let served = api.send("GET", "/openapi.json", None, &[], None).await;
    assert_eq!(served.status, StatusCode::OK);
    let document = served.body;
    assert_eq!(
        document,
        serde_json::to_value(orderboard::http::openapi()).unwrap()
    );
    assert_eq!(document["openapi"], "3.1.0");
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    operations.sort();
    assert_eq!(
        operations,
        [
            "DELETE /sessions/current",
            "DELETE /sessions/{id}",
            "GET /effects",
            "GET /events",
            "GET /events/stream",
            "GET /healthz",
            "GET /openapi.json",
            "GET /orders",
            "GET /orders/{id}",
            "GET /orders/{id}/history",
            "GET /sessions",
            "POST /desk",
            "POST /effects/{id}/resolve",
            "POST /effects/{id}/retry",
            "POST /orders",
            "POST /orders/{id}/events/{event}",
            "POST /sessions",
        ]
    );
    for operation in &operations {
        let (method, path) = operation.split_once(' ').unwrap();
        let uri = path.replace("{id}", "1").replace("{event}", "x");
        let uri = if uri == "/events/stream" {
            "/events/stream?after=x".into()
        } else {
            uri
        };
        let reply = api
            .send(method, &uri, Some("ada"), &[], Some("{}".into()))
            .await;
        assert_ne!(
            reply.body["type"], "urn:orderboard:problem:no-route",
            "{operation}"
        );
        assert_ne!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{operation}");
    }
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for schema in [
        "OrderJson",
        "AppliedJson",
        "Problem",
        "FeedJson",
        "CreateOrderBody",
        "SignInBody",
        "SessionOpened",
    ] {
        assert!(schemas.contains_key(schema), "{schema}");
    }
    api.office.close().await;
}
