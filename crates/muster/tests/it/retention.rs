//! Retention: `muster purge` (and the hourly purge of `muster serve`) removes ended
//! sessions, old sign-in attempts and old sent or failed messages, and nothing else.

use muster_testkit::{Api, Backend, SmtpSink, on_both_backends};
use serde_json::{Value, json};

use crate::smtp::{create, login, outbox, outbox_until, received, reset, world};

on_both_backends!(purge_removes_what_has_ended_and_keeps_what_is_live);

async fn purge(w: &crate::smtp::World, args: &[&str]) -> Value {
    let mut all = vec!["purge", "--json"];
    all.extend_from_slice(args);
    let out = w.app.muster(&all).await;
    assert!(out.status.success(), "{}\n{}", out.stdout, out.stderr);
    serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

async fn purge_removes_what_has_ended_and_keeps_what_is_live(backend: Backend) {
    let sink = SmtpSink::start().await;
    let w = world(backend, sink.port).await;
    // One message delivered, one refused for good.
    let jane = create(&w, "jdoe", &json!({"email": "jane@bayfire.gov"})).await;
    reset(&w, &jane).await;
    received(&sink, 1, &w).await;
    let ghost = create(&w, "ghost", &json!({"email": "bounce@bayfire.gov"})).await;
    reset(&w, &ghost).await;
    outbox_until(&w, "one sent and one failed message", |items| {
        items.len() == 2 && items.iter().all(|m| m["status"] != "queued")
    })
    .await;
    // Two sessions of Kim's: one she signs out of, one she keeps; and a failed attempt.
    let kim = create(&w, "kim", &json!({})).await;
    let (status, _) = login(&w, "kim", "wrong password").await;
    assert_eq!(status, 401);
    let (_, ended) = login(&w, "kim", "correct horse battery").await;
    let (_, live) = login(&w, "kim", "correct horse battery").await;
    let ended = Api::new(&w.app, ended["token"].as_str().unwrap());
    let live = Api::new(&w.app, live["token"].as_str().unwrap());
    ended.post("/auth/logout", &json!({})).await.expect(204);

    // With the default periods only the ended session goes.
    let first = purge(&w, &[]).await;
    assert_eq!(
        first,
        json!({"sessions": 1, "login_attempts": 0, "messages": 0})
    );
    let activity = format!("/users/{kim}/login-activity");
    assert!(
        w.api.get(&activity).await.expect(200)["items"]
            .as_array()
            .unwrap()
            .len()
            >= 3
    );

    // Keeping nothing older than now: every attempt and both finished messages go.
    let second = purge(&w, &["--older-than-days", "0"]).await;
    assert_eq!(second["sessions"], 0);
    assert_eq!(second["messages"], 2);
    assert!(second["login_attempts"].as_u64().unwrap() >= 3, "{second}");
    assert!(outbox(&w).await.is_empty());
    assert_eq!(w.api.get(&activity).await.expect(200)["items"], json!([]));
    // The live session and the audit trail are untouched.
    assert_ne!(
        live.get("/me").await.status,
        401,
        "the live session was removed"
    );
    assert_eq!(ended.get("/me").await.status, 401);
    let audit = w.api.get("/audit?limit=500").await;
    assert!(!audit.expect(200)["items"].as_array().unwrap().is_empty());
}
