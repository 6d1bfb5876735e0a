//! The server's operational endpoints and lifecycle.

use muster_testkit::{Backend, on_both_backends};
use reqwest::StatusCode;
use serde_json::Value;

use crate::spawn;

on_both_backends!(
    healthz_answers_ok_and_echoes_a_request_id,
    readyz_reports_the_database_and_its_schema_version,
    metrics_count_requests_per_route_and_status,
    unknown_paths_get_a_problem_document,
    sigterm_stops_the_server_cleanly,
    the_openapi_document_describes_the_api,
    sigterm_lets_an_in_flight_request_finish,
);

async fn healthz_answers_ok_and_echoes_a_request_id(backend: Backend) {
    let app = spawn(backend).await;

    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    let generated = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(generated.len(), 36, "a fresh UUID: {generated}");
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "ok");

    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-42");

    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id\twith tab")
        .send()
        .await
        .unwrap();
    assert_ne!(response.headers()["x-request-id"], "bad id\twith tab");
}

async fn readyz_reports_the_database_and_its_schema_version(backend: Backend) {
    let app = spawn(backend).await;

    let response = app.get("/readyz").await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(body["database"], expected);
    assert!(body["schema_version"].as_i64().unwrap() >= 20_261_123_000_000);
}

async fn metrics_count_requests_per_route_and_status(backend: Backend) {
    let app = spawn(backend).await;
    for _ in 0..3 {
        app.get("/healthz").await;
    }
    app.get("/no-such-page").await;

    let text = app.get("/metrics").await.text().await.unwrap();

    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"} 3"#),
        "{text}"
    );
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket{"),
        "{text}"
    );
}

async fn unknown_paths_get_a_problem_document(backend: Backend) {
    let app = spawn(backend).await;

    let response = app.get("/api/v1/nothing-here").await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], 404);
    assert_eq!(body["type"], "https://muster.dev/problems/not-found");
}

async fn sigterm_stops_the_server_cleanly(backend: Backend) {
    let mut app = spawn(backend).await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);

    let status = app.stop().await;

    assert!(
        status.success(),
        "exit status {status}: {}",
        app.server_log()
    );
    assert!(app.server_log().contains("stopped"), "{}", app.server_log());
}

async fn the_openapi_document_describes_the_api(backend: Backend) {
    let app = spawn(backend).await;

    let response = app.get("/api/v1/openapi.json").await;

    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = response.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    for path in ["/nodes", "/nodes/{id}"] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let errors = &doc["paths"]["/nodes"]["post"]["responses"]["422"]["content"];
    assert!(errors["application/problem+json"].is_object(), "{errors}");
}

async fn sigterm_lets_an_in_flight_request_finish(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let body = serde_json::json!({"name": "Late Station", "kind": "Location", "parent_id": org.root_node_id})
        .to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let address = app.base_url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/v1/nodes HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        org.token,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first.as_bytes()).await.unwrap();
    // Let the server start reading the body before it is asked to stop.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let stopping = tokio::spawn(async move {
        let status = app.stop().await;
        (app, status)
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (app, status) = stopping.await.unwrap();

    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(response.contains("Late Station"), "{response}");
    assert!(
        status.success(),
        "exit status {status}: {}",
        app.server_log()
    );
}
