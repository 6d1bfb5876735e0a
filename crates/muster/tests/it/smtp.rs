//! Delivery of the outbox over SMTP to a real (in-process) SMTP server on a loopback port:
//! password resets and welcomes arrive with working passwords, a mail server that is down
//! delays delivery without losing or doubling messages, a killed process leaves nothing
//! behind, text messages go to carrier gateways, and notification preferences never hold
//! back credentials.
#![allow(clippy::too_many_lines)] // Scenario tests read best top to bottom.

use std::time::Duration;

use muster_testkit::{
    Api, Backend, OrgFixture, ReceivedMessage, SinkSecurity, SinkTls, SmtpSink, TestApp,
    on_both_backends,
};
use serde_json::{Value, json};

use crate::bin;

on_both_backends!(
    a_reset_password_is_delivered_by_smtp_and_signs_in,
    a_message_queued_while_the_mail_server_is_down_is_delivered_once_it_is_back,
    a_message_left_by_a_killed_server_is_delivered_once_by_the_next,
    a_text_message_goes_to_the_carrier_gateway_through_the_same_smtp_server,
    credentials_are_delivered_whatever_categories_the_user_subscribed_to,
    two_servers_on_one_database_never_send_the_same_message_twice,
    a_permanent_refusal_fails_the_message_at_once,
    starttls_and_authentication_deliver_through_a_submission_server,
    tls_from_the_first_byte_delivers,
    wrong_smtp_credentials_keep_the_message_queued_for_a_retry,
    a_server_certificate_from_an_unknown_authority_is_refused,
);

const FROM: &str = "muster@bayfire.test";
const WAIT: Duration = Duration::from_secs(20);
/// Messages queued for the two servers of the sharing test.
const USERS: usize = 24;

fn smtp_env(port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("MUSTER_SMTP_HOST", "127.0.0.1".to_owned()),
        ("MUSTER_SMTP_PORT", port.to_string()),
        ("MUSTER_SMTP_TLS", "none".to_owned()),
        ("MUSTER_SMTP_FROM", FROM.to_owned()),
        ("MUSTER_OUTBOX_POLL_MS", "100".to_owned()),
        ("MUSTER_OUTBOX_RETRY_BASE_MS", "200".to_owned()),
        ("MUSTER_OUTBOX_LEASE_MS", "1000".to_owned()),
    ]
}

fn as_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

pub(crate) struct World {
    pub(crate) app: TestApp,
    pub(crate) org: OrgFixture,
    pub(crate) api: Api,
    admin_role: String,
}

pub(crate) async fn world(backend: Backend, port: u16) -> World {
    world_with(backend, smtp_env(port)).await
}

async fn world_with(backend: Backend, env: Vec<(&'static str, String)>) -> World {
    let app = TestApp::spawn_with_env(bin(), backend, &[], &as_refs(&env)).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let admin = api.get(&format!("/users/{}", org.admin_id)).await;
    let admin_role = str_of(&admin.expect(200)["placements"][0]["role_id"]);
    World {
        app,
        org,
        api,
        admin_role,
    }
}

fn str_of(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

/// Creates `login` (password `correct horse battery` unless `extra` says otherwise).
pub(crate) async fn create(w: &World, login: &str, extra: &Value) -> String {
    let mut body = json!({
        "login": login,
        "first_name": "Jane",
        "last_name": "Doe",
        "password": "correct horse battery",
        "placements": [{"node_id": w.org.root_node_id, "role_id": w.admin_role}],
    });
    for (key, value) in extra.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    str_of(&w.api.post("/users", &body).await.expect(201)["id"])
}

pub(crate) async fn reset(w: &World, id: &str) {
    w.api
        .post(&format!("/users/{id}/reset-password"), &json!({}))
        .await
        .expect(202);
}

pub(crate) async fn outbox(w: &World) -> Vec<Value> {
    w.api.get("/outbox").await.expect(200)["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// Polls the outbox until `done` holds for its messages (newest first).
pub(crate) async fn outbox_until(
    w: &World,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let items = outbox(w).await;
        if done(&items) {
            return items;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {items:#?}\n{}",
            w.app.server_log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) async fn received(sink: &SmtpSink, n: usize, w: &World) -> Vec<ReceivedMessage> {
    let got = sink.wait_for(n, WAIT).await;
    assert!(
        got.len() >= n,
        "expected {n} messages, got {got:#?}\n{}",
        w.app.server_log()
    );
    got
}

/// Waits a few poll rounds and asserts that the sink still holds exactly `n` messages.
async fn assert_exactly(sink: &SmtpSink, n: usize) {
    tokio::time::sleep(Duration::from_millis(800)).await;
    let got = sink.received();
    assert_eq!(got.len(), n, "delivered more than once: {got:#?}");
}

fn temporary_password(body: &str) -> String {
    let line = body
        .lines()
        .find(|l| l.contains("Temporary password:"))
        .unwrap_or_else(|| panic!("no temporary password in {body:?}"));
    line.rsplit(':').next().unwrap().trim().to_owned()
}

pub(crate) async fn login(w: &World, login: &str, password: &str) -> (u16, Value) {
    let reply = w
        .app
        .client
        .post(w.app.url("/api/v1/auth/login"))
        .json(&json!({"org": w.org.slug, "login": login, "password": password}))
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or(Value::Null))
}

async fn a_reset_password_is_delivered_by_smtp_and_signs_in(backend: Backend) {
    let sink = SmtpSink::start().await;
    let w = world(backend, sink.port).await;
    let id = create(&w, "jdoe", &json!({"email": "jane.doe@bayfire.gov"})).await;
    reset(&w, &id).await;

    let mail = received(&sink, 1, &w).await.remove(0);
    assert_eq!(mail.from, FROM);
    assert_eq!(mail.to, ["jane.doe@bayfire.gov"]);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Your Bay City Fire password has been reset")
    );
    assert!(mail.header("To").unwrap().contains("jane.doe@bayfire.gov"));
    let body = mail.body();
    assert!(body.starts_with("Hello Jane,"), "{body}");
    let password = temporary_password(&body);
    assert_eq!(password.len(), 16, "{password}");

    let (status, session) = login(&w, "jdoe", &password).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["must_change_password"], true);

    let items = outbox_until(&w, "the message to be marked sent", |items| {
        items.len() == 1 && items[0]["status"] == "sent"
    })
    .await;
    let message = &items[0];
    assert_eq!(message["attempts"], 1);
    assert!(message["sent_at"].is_string(), "{message}");
    assert_eq!(message["last_error"], Value::Null);
    assert_eq!(temporary_password(&str_of(&message["body"])), password);
    assert_exactly(&sink, 1).await;

    // The worker stops with the server.
    let mut app = w.app;
    assert!(app.stop().await.success(), "{}", app.server_log());
    assert!(app.server_log().contains("outbox delivery stopped"));
}

async fn a_message_queued_while_the_mail_server_is_down_is_delivered_once_it_is_back(
    backend: Backend,
) {
    let mut sink = SmtpSink::stopped().await;
    let w = world(backend, sink.port).await;
    let id = create(&w, "jdoe", &json!({"email": "jane.doe@bayfire.gov"})).await;
    reset(&w, &id).await;

    let items = outbox_until(&w, "failed attempts to be recorded", |items| {
        items.len() == 1 && items[0]["attempts"].as_i64().unwrap() >= 2
    })
    .await;
    let message = &items[0];
    assert_eq!(message["status"], "queued");
    assert!(
        message["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{message}"
    );
    assert_eq!(message["sent_at"], Value::Null);
    assert!(sink.received().is_empty());

    sink.restart().await;
    let mail = received(&sink, 1, &w).await.remove(0);
    assert_eq!(mail.to, ["jane.doe@bayfire.gov"]);
    let items = outbox_until(&w, "the message to be marked sent", |items| {
        items[0]["status"] == "sent"
    })
    .await;
    assert_eq!(
        temporary_password(&str_of(&items[0]["body"])),
        temporary_password(&mail.body())
    );
    assert_eq!(items[0]["last_error"], Value::Null);
    assert_exactly(&sink, 1).await;
}

async fn a_message_left_by_a_killed_server_is_delivered_once_by_the_next(backend: Backend) {
    let mut sink = SmtpSink::stopped().await;
    let env = smtp_env(sink.port);
    let mut w = world(backend, sink.port).await;
    let id = create(&w, "jdoe", &json!({"email": "jane.doe@bayfire.gov"})).await;
    reset(&w, &id).await;
    outbox_until(&w, "a failed attempt", |items| {
        items.len() == 1 && items[0]["attempts"].as_i64().unwrap() >= 1
    })
    .await;

    w.app.kill().await;
    sink.restart().await;
    w.app.start_with_env(&[], &as_refs(&env)).await;
    w.api = Api::new(&w.app, &w.org.token);

    let mail = received(&sink, 1, &w).await.remove(0);
    assert_eq!(mail.to, ["jane.doe@bayfire.gov"]);
    outbox_until(&w, "the message to be marked sent", |items| {
        items.len() == 1 && items[0]["status"] == "sent"
    })
    .await;
    assert_exactly(&sink, 1).await;
}

async fn a_text_message_goes_to_the_carrier_gateway_through_the_same_smtp_server(backend: Backend) {
    let sink = SmtpSink::start().await;
    let w = world(backend, sink.port).await;
    let id = create(
        &w,
        "jdoe",
        &json!({"email": "jane.doe@bayfire.gov",
                "phones": [{"kind": "mobile", "number": "(555) 010-1234", "carrier": "Verizon"}]}),
    )
    .await;
    reset(&w, &id).await;

    let mails = received(&sink, 2, &w).await;
    let email = mails
        .iter()
        .find(|m| m.to == ["jane.doe@bayfire.gov"])
        .unwrap_or_else(|| panic!("no email: {mails:#?}"));
    let text = mails
        .iter()
        .find(|m| m.to == ["5550101234@vtext.com"])
        .unwrap_or_else(|| panic!("no text message: {mails:#?}"));
    let password = temporary_password(&email.body());
    let body = text.body();
    assert!(
        body.contains("jdoe") && body.contains("Bay City Fire"),
        "{body}"
    );
    assert!(!body.contains(&password), "no password by text message");
    outbox_until(&w, "both messages to be marked sent", |items| {
        items.len() == 2 && items.iter().all(|m| m["status"] == "sent")
    })
    .await;
    assert_exactly(&sink, 2).await;
}

async fn credentials_are_delivered_whatever_categories_the_user_subscribed_to(backend: Backend) {
    let sink = SmtpSink::start().await;
    let w = world(backend, sink.port).await;
    // No password: one is generated and mailed in the welcome (category `account`).
    let id = create(
        &w,
        "jdoe",
        &json!({"email": "jane.doe@bayfire.gov", "password": null,
                "preferences": {"notification_subscriptions": ["roster"]}}),
    )
    .await;
    let welcome = received(&sink, 1, &w).await.remove(0);
    assert_eq!(welcome.to, ["jane.doe@bayfire.gov"]);
    let password = temporary_password(&welcome.body());
    let (status, session) = login(&w, "jdoe", &password).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["must_change_password"], true);

    reset(&w, &id).await;
    let mails = received(&sink, 2, &w).await;
    let reset_password = temporary_password(&mails[1].body());
    assert_ne!(reset_password, password);
    let (status, _) = login(&w, "jdoe", &reset_password).await;
    assert_eq!(status, 200);
    let items = outbox_until(&w, "both messages to be marked sent", |items| {
        items.len() == 2 && items.iter().all(|m| m["status"] == "sent")
    })
    .await;
    let categories: Vec<&str> = items
        .iter()
        .map(|m| m["category"].as_str().unwrap())
        .collect();
    assert_eq!(categories, ["password_reset", "account"]);
    assert_exactly(&sink, 2).await;
}

async fn two_servers_on_one_database_never_send_the_same_message_twice(backend: Backend) {
    let mut sink = SmtpSink::stopped().await;
    let env = smtp_env(sink.port);
    let w = world(backend, sink.port).await;
    // A second server on the same database, delivering through the same mail server.
    let mut second = w
        .app
        .command()
        .arg("serve")
        .env("MUSTER_BIND", "127.0.0.1:0")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("MUSTER_LOG", "info,sqlx=warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(w.app.dir().join("second.log")).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    for i in 0..USERS {
        let id = create(
            &w,
            &format!("user{i}"),
            &json!({"email": format!("user{i}@bayfire.gov")}),
        )
        .await;
        reset(&w, &id).await;
    }
    // Both servers see the whole backlog at once when the mail server comes up.
    sink.restart().await;
    let mails = received(&sink, USERS, &w).await;
    outbox_until(&w, "every message to be marked sent", |items| {
        items.len() == USERS && items.iter().all(|m| m["status"] == "sent")
    })
    .await;
    assert_exactly(&sink, USERS).await;
    let mut ids: Vec<String> = mails
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), USERS, "every message once");
    assert!(
        second.try_wait().unwrap().is_none(),
        "the second server is still running"
    );
    // Each server claimed its own share; together they sent every message once.
    let delivered = |log: &str| log.matches("message delivered").count();
    let first = delivered(&w.app.server_log());
    let other = delivered(&std::fs::read_to_string(w.app.dir().join("second.log")).unwrap());
    eprintln!("first server delivered {first}, second {other}");
    assert_eq!(first + other, USERS);
    second.kill().await.unwrap();
}

async fn a_permanent_refusal_fails_the_message_at_once(backend: Backend) {
    let sink = SmtpSink::start().await;
    let w = world(backend, sink.port).await;
    let id = create(&w, "jdoe", &json!({"email": "bounce@bayfire.gov"})).await;
    reset(&w, &id).await;
    let items = outbox_until(&w, "the message to fail", |items| {
        items.len() == 1 && items[0]["status"] == "failed"
    })
    .await;
    let message = &items[0];
    assert_eq!(message["attempts"], 1, "no retry after a 5xx");
    assert!(
        message["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("550") || e.contains("No such user")),
        "{message}"
    );
    assert_eq!(message["sent_at"], Value::Null);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        outbox(&w).await[0]["attempts"],
        1,
        "failed messages are left alone"
    );
    assert!(sink.received().is_empty());
}

/// A submission server on `localhost` that wants `STARTTLS` (or TLS from the first byte)
/// and, optionally, the user name `muster` with the password `relay-secret`.
async fn secure_sink(tls: SinkTls, authenticated: bool) -> SmtpSink {
    SmtpSink::start_with(SinkSecurity {
        tls,
        credentials: authenticated.then(|| ("muster".to_owned(), "relay-secret".to_owned())),
    })
    .await
}

/// The environment for `sink`: its host name (the certificate's), the TLS mode, and the
/// CA file when `trust` is set.
fn secure_env(
    sink: &SmtpSink,
    mode: &str,
    trust: Option<&std::path::Path>,
) -> Vec<(&'static str, String)> {
    let mut env = smtp_env(sink.port);
    env.retain(|(k, _)| *k != "MUSTER_SMTP_HOST" && *k != "MUSTER_SMTP_TLS");
    env.push(("MUSTER_SMTP_HOST", "localhost".to_owned()));
    env.push(("MUSTER_SMTP_TLS", mode.to_owned()));
    if let Some(path) = trust {
        std::fs::write(path, sink.ca_pem.as_deref().expect("a TLS sink has a CA")).unwrap();
        env.push(("MUSTER_SMTP_CA_FILE", path.display().to_string()));
    }
    env
}

fn with_credentials(
    mut env: Vec<(&'static str, String)>,
    password: &str,
) -> Vec<(&'static str, String)> {
    env.push(("MUSTER_SMTP_USERNAME", "muster".to_owned()));
    env.push(("MUSTER_SMTP_PASSWORD", password.to_owned()));
    env
}

async fn starttls_and_authentication_deliver_through_a_submission_server(backend: Backend) {
    let sink = secure_sink(SinkTls::Starttls, true).await;
    let ca = tempfile::NamedTempFile::new().unwrap();
    let env = with_credentials(
        secure_env(&sink, "starttls", Some(ca.path())),
        "relay-secret",
    );
    let w = world_with(backend, env).await;
    let id = create(&w, "jdoe", &json!({"email": "jane@bayfire.gov"})).await;
    reset(&w, &id).await;
    let got = received(&sink, 1, &w).await;
    assert_eq!(got[0].to, ["jane@bayfire.gov"]);
    let password = temporary_password(&got[0].body());
    assert_eq!(login(&w, "jdoe", &password).await.0, 200);
    outbox_until(&w, "the message to be marked sent", |items| {
        items.len() == 1 && items[0]["status"] == "sent"
    })
    .await;
}

async fn tls_from_the_first_byte_delivers(backend: Backend) {
    let sink = secure_sink(SinkTls::Implicit, false).await;
    let ca = tempfile::NamedTempFile::new().unwrap();
    let w = world_with(backend, secure_env(&sink, "tls", Some(ca.path()))).await;
    let id = create(&w, "jdoe", &json!({"email": "jane@bayfire.gov"})).await;
    reset(&w, &id).await;
    let got = received(&sink, 1, &w).await;
    assert_eq!(got[0].to, ["jane@bayfire.gov"]);
    assert_exactly(&sink, 1).await;
}

/// Waits until the only message has been tried and is queued again; returns it.
async fn retried(w: &World) -> Value {
    let items = outbox_until(w, "a failed attempt", |items| {
        items.len() == 1 && items[0]["attempts"].as_i64().is_some_and(|a| a >= 1)
    })
    .await;
    items[0].clone()
}

async fn wrong_smtp_credentials_keep_the_message_queued_for_a_retry(backend: Backend) {
    let sink = secure_sink(SinkTls::Starttls, true).await;
    let ca = tempfile::NamedTempFile::new().unwrap();
    let env = with_credentials(secure_env(&sink, "starttls", Some(ca.path())), "wrong");
    let w = world_with(backend, env).await;
    let id = create(&w, "jdoe", &json!({"email": "jane@bayfire.gov"})).await;
    reset(&w, &id).await;
    let message = retried(&w).await;
    assert_eq!(
        message["status"], "queued",
        "a refused login is the settings' fault, not the message's: {message}"
    );
    assert!(
        message["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("535") || e.contains("credentials")),
        "{message}"
    );
    assert!(sink.received().is_empty());
}

async fn a_server_certificate_from_an_unknown_authority_is_refused(backend: Backend) {
    let sink = secure_sink(SinkTls::Implicit, false).await;
    let w = world_with(backend, secure_env(&sink, "tls", None)).await;
    let id = create(&w, "jdoe", &json!({"email": "jane@bayfire.gov"})).await;
    reset(&w, &id).await;
    let message = retried(&w).await;
    assert_eq!(message["status"], "queued", "{message}");
    assert!(
        message["last_error"]
            .as_str()
            .is_some_and(|e| e.to_lowercase().contains("certificate")),
        "{message}"
    );
    assert!(sink.received().is_empty());
}
