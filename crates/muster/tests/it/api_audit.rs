//! `/api/v1/audit`, `/api/v1/users/{id}/audit`, `/api/v1/audit/verify` and
//! `muster audit verify`: the trail, its filters, and tamper detection.

use muster_domain::{OrgId, UserId};
use muster_store::audit;
use muster_testkit::{Api, Backend, CommandOutput, OrgFixture, TestApp, on_both_backends};
use serde_json::{Value, json};

use crate::spawn;

on_both_backends!(
    the_audit_log_lists_changes_newest_first_with_field_changes_and_request_ids,
    audit_filters_select_by_actor_target_action_and_time,
    invalid_audit_filters_name_the_parameter,
    the_audit_log_pages_by_cursor_without_gaps_or_repeats,
    a_users_audit_tab_lists_the_events_about_them,
    an_intact_chain_verifies_through_the_api_and_the_command_line,
    an_edited_event_breaks_the_chain_at_that_event,
    a_removed_event_breaks_the_chain_at_the_next_event,
    reordered_events_break_the_chain,
    removing_the_newest_event_is_detected,
);

/// `POST /api/v1{path}` with our own `X-Request-Id`.
async fn post_with_request_id(
    app: &TestApp,
    org: &OrgFixture,
    path: &str,
    body: &Value,
    request_id: &str,
) -> Value {
    let response = app
        .client
        .post(app.url(&format!("/api/v1{path}")))
        .bearer_auth(&org.token)
        .header("x-request-id", request_id)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    response.json().await.unwrap()
}

/// A few changes of different kinds: three nodes (one renamed), a contact, a barcode.
/// Returns the ids of the North region and of the contact.
async fn make_history(app: &TestApp, org: &OrgFixture) -> (String, String) {
    let api = app.api(org);
    let north = post_with_request_id(
        app,
        org,
        "/nodes",
        &json!({"name": "North", "kind": "Region", "parent_id": org.root_node_id}),
        "req-north-1",
    )
    .await;
    let north_id = north["id"].as_str().unwrap().to_owned();
    api.post(
        "/nodes",
        &json!({"name": "South", "kind": "Region", "parent_id": org.root_node_id}),
    )
    .await
    .expect(201);
    api.patch(
        &format!("/nodes/{north_id}"),
        &json!({"name": "Northern"}),
        None,
    )
    .await
    .expect(200);
    let contact = post_with_request_id(
        app,
        org,
        &format!("/users/{}/emergency-contacts", org.admin_id),
        &json!({"name": "Dana Chief"}),
        "req-contact-1",
    )
    .await;
    api.post(
        &format!("/users/{}/barcodes", org.admin_id),
        &json!({"code": "EMP-0001"}),
    )
    .await
    .expect(201);
    (north_id, contact["id"].as_str().unwrap().to_owned())
}

fn items(page: &Value) -> &Vec<Value> {
    page["items"].as_array().unwrap()
}

fn actions(page: &Value) -> Vec<&str> {
    items(page)
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

fn seqs(page: &Value) -> Vec<i64> {
    items(page)
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect()
}

/// The id of event `seq`, read through the API.
async fn event_id(api: &Api, seq: i64) -> String {
    let all = api.get("/audit?limit=500").await;
    items(all.expect(200))
        .iter()
        .find(|e| e["seq"] == seq)
        .unwrap_or_else(|| panic!("no event #{seq}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn verify(api: &Api) -> Value {
    api.post("/audit/verify", &json!({}))
        .await
        .expect(200)
        .clone()
}

/// Asserts `muster audit verify` failed with exit code 1, naming `needle` in its output.
fn assert_broken(output: &CommandOutput, slug: &str, needle: &str) {
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let line = output
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("{slug}:")))
        .unwrap_or_else(|| panic!("no line for {slug}: {output:?}"));
    assert!(line.contains("BROKEN"), "{line}");
    assert!(line.contains(needle), "expected {needle:?} in {line:?}");
    assert!(output.stderr.contains("error: "), "{output:?}");
    assert!(!output.stderr.contains("panicked"), "{output:?}");
}

fn org_id(org: &OrgFixture) -> OrgId {
    org.org_id.parse().unwrap()
}

async fn the_audit_log_lists_changes_newest_first_with_field_changes_and_request_ids(
    backend: Backend,
) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let (north, contact) = make_history(&app, &org).await;

    let log = api.get("/audit").await;

    let log = log.expect(200);
    assert_eq!(
        actions(log),
        [
            "barcode.add",
            "emergency_contact.create",
            "node.update",
            "node.create",
            "node.create",
            "token.create",
            "user.create",
            "organization.create",
        ]
    );
    assert_eq!(log["total"], 8);
    assert_eq!(seqs(log), [8, 7, 6, 5, 4, 3, 2, 1]);
    assert_eq!(log["next_cursor"], Value::Null);
    let rename = &items(log)[2];
    assert_eq!(rename["target"], json!({"kind": "node", "id": north}));
    assert_eq!(
        rename["changes"],
        json!({"name": {"before": "North", "after": "Northern"}})
    );
    assert_eq!(rename["actor"]["kind"], "token");
    assert_eq!(rename["actor"]["user_id"], org.admin_id.as_str());
    assert!(rename["actor"]["token_id"].is_string());
    assert_eq!(rename["subject_id"], Value::Null);
    assert!(rename["ip"].as_str().unwrap().starts_with("127.0.0.1"));
    assert!(rename["at"].as_str().unwrap().ends_with('Z'));
    let created = &items(log)[4];
    assert_eq!(created["target"]["id"], north.as_str());
    assert_eq!(created["request_id"], "req-north-1");
    assert_eq!(
        created["changes"]["name"],
        json!({"before": null, "after": "North"})
    );
    assert_eq!(
        created["changes"]["parent_id"]["after"],
        org.root_node_id.as_str()
    );
    assert!(created["changes"].get("version").is_none());
    let added = &items(log)[1];
    assert_eq!(added["request_id"], "req-contact-1");
    assert_eq!(
        added["target"],
        json!({"kind": "emergency_contact", "id": contact})
    );
    assert_eq!(added["subject_id"], org.admin_id.as_str());
    let founding = &items(log)[7];
    assert_eq!(
        founding["actor"],
        json!({"kind": "system", "user_id": null, "token_id": null})
    );
    // A server-made request id is recorded when the client sends none.
    assert!(items(log)[0]["request_id"].as_str().unwrap().len() >= 32);
}

async fn audit_filters_select_by_actor_target_action_and_time(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let (north, contact) = make_history(&app, &org).await;
    let all = api.get("/audit").await.expect(200).clone();
    let at = |seq: i64| {
        items(&all).iter().find(|e| e["seq"] == seq).unwrap()["at"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    let by_admin = api.get(&format!("/audit?actor_id={}", org.admin_id)).await;
    assert_eq!(seqs(by_admin.expect(200)), [8, 7, 6, 5, 4]);
    assert_eq!(by_admin.body["total"], 5);
    let by_nobody = api.get(&format!("/audit?actor_id={}", UserId::new())).await;
    assert_eq!(by_nobody.expect(200)["total"], 0);
    let about_north = api.get(&format!("/audit?target_id={north}")).await;
    assert_eq!(
        actions(about_north.expect(200)),
        ["node.update", "node.create"]
    );
    let about_contact = api.get(&format!("/audit?target_id={contact}")).await;
    assert_eq!(
        actions(about_contact.expect(200)),
        ["emergency_contact.create"]
    );
    let about_admin = api.get(&format!("/audit?target_id={}", org.admin_id)).await;
    assert_eq!(
        actions(about_admin.expect(200)),
        [
            "barcode.add",
            "emergency_contact.create",
            "token.create",
            "user.create"
        ]
    );
    let node_family = api.get("/audit?action=node.").await;
    assert_eq!(
        actions(node_family.expect(200)),
        ["node.update", "node.create", "node.create"]
    );
    let exact = api.get("/audit?action=node.create").await;
    assert_eq!(seqs(exact.expect(200)), [5, 4]);
    let since = api.get(&format!("/audit?since={}", at(6))).await;
    assert_eq!(seqs(since.expect(200)), [8, 7, 6]);
    let until = api.get(&format!("/audit?until={}", at(4))).await;
    assert!(seqs(until.expect(200)).iter().all(|s| *s < 4));
    let window = api
        .get(&format!(
            "/audit?since={}&until={}&action=node.",
            at(4),
            at(7)
        ))
        .await;
    assert_eq!(seqs(window.expect(200)), [6, 5, 4]);
    assert_eq!(window.body["total"], 3);
    let nothing_yet = api.get("/audit?since=2999-01-01T00:00:00Z").await;
    assert_eq!(nothing_yet.expect(200)["total"], 0);
    let offset = api.get("/audit?until=2999-01-01T01:00:00%2B01:00").await;
    assert_eq!(offset.expect(200)["total"], 8);
}

async fn invalid_audit_filters_name_the_parameter(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);

    for (query, field) in [
        ("actor_id=chief", "actor_id"),
        ("target_id=42", "target_id"),
        ("action=Node.Create", "action"),
        ("action=node%20create", "action"),
        ("since=yesterday", "since"),
        ("until=2026-13-01T00:00:00Z", "until"),
        ("since=2026-11-23", "since"),
        (
            "since=2026-11-24T00:00:00Z&until=2026-11-23T00:00:00Z",
            "until",
        ),
        ("limit=0", "limit"),
        ("limit=many", "limit"),
        ("cursor=garbage", "cursor"),
        ("colour=red", "colour"),
    ] {
        api.get(&format!("/audit?{query}"))
            .await
            .expect_problem(422, field);
    }
    api.get(&format!("/users/{}/audit?since=soon", org.admin_id))
        .await
        .expect_problem(422, "since");
    api.get(&format!(
        "/users/{}/audit?target_id={}",
        org.admin_id, org.admin_id
    ))
    .await
    .expect_problem(422, "target_id");
    api.post("/audit/verify", &json!({})).await.expect(200);
}

async fn the_audit_log_pages_by_cursor_without_gaps_or_repeats(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    make_history(&app, &org).await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/audit?limit=3&cursor={c}"),
            None => "/audit?limit=3".to_owned(),
        };
        let page = api.get(&path).await;
        let page = page.expect(200);
        assert_eq!(page["total"], 8);
        seen.extend(seqs(page));
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }

    assert_eq!(pages, 3);
    assert_eq!(seen, [8, 7, 6, 5, 4, 3, 2, 1]);
    let filtered = api.get("/audit?action=node.&limit=2").await;
    let next = filtered.expect(200)["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let rest = api
        .get(&format!("/audit?action=node.&limit=2&cursor={next}"))
        .await;
    assert_eq!(seqs(rest.expect(200)), [4]);
    assert_eq!(rest.body["total"], 3);
}

async fn a_users_audit_tab_lists_the_events_about_them(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let other = app.init_org("Harbor County Police", "sheriff").await;
    let api = app.api(&org);
    make_history(&app, &org).await;

    let tab = api.get(&format!("/users/{}/audit", org.admin_id)).await;

    assert_eq!(
        actions(tab.expect(200)),
        [
            "barcode.add",
            "emergency_contact.create",
            "token.create",
            "user.create"
        ]
    );
    assert_eq!(tab.body["total"], 4);
    let contacts_only = api
        .get(&format!(
            "/users/{}/audit?action=emergency_contact.",
            org.admin_id
        ))
        .await;
    assert_eq!(
        actions(contacts_only.expect(200)),
        ["emergency_contact.create"]
    );
    let paged = api
        .get(&format!("/users/{}/audit?limit=3", org.admin_id))
        .await;
    let next = paged.expect(200)["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let rest = api
        .get(&format!(
            "/users/{}/audit?limit=3&cursor={next}",
            org.admin_id
        ))
        .await;
    assert_eq!(actions(rest.expect(200)), ["user.create"]);
    api.get(&format!("/users/{}/audit", other.admin_id))
        .await
        .expect(404);
    api.get(&format!("/users/{}/audit", UserId::new()))
        .await
        .expect(404);
    // The other organization's trail is its own.
    let theirs = app.api(&other).get("/audit").await;
    assert_eq!(theirs.expect(200)["total"], 3);
}

async fn an_intact_chain_verifies_through_the_api_and_the_command_line(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    app.init_org("Harbor County Police", "sheriff").await;
    let api = app.api(&org);
    make_history(&app, &org).await;

    let verdict = verify(&api).await;

    assert_eq!(
        verdict,
        json!({"ok": true, "events": 8, "first_bad_event_id": null, "problem": null})
    );
    let all = app.muster(&["audit", "verify"]).await;
    assert!(all.status.success(), "{all:?}");
    assert!(
        all.stdout.contains("bay-city-fire: ok, 8 events"),
        "{all:?}"
    );
    assert!(
        all.stdout.contains("harbor-county-police: ok, 3 events"),
        "{all:?}"
    );
    let one = app
        .muster(&["audit", "verify", "--org", "harbor-county-police"])
        .await;
    assert!(one.status.success(), "{one:?}");
    assert_eq!(one.stdout.trim(), "harbor-county-police: ok, 3 events");
    let unknown = app.muster(&["audit", "verify", "--org", "nobody"]).await;
    assert_eq!(unknown.status.code(), Some(1), "{unknown:?}");
    assert!(unknown.stderr.contains("nobody"), "{unknown:?}");
}

async fn an_edited_event_breaks_the_chain_at_that_event(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    app.init_org("Harbor County Police", "sheriff").await;
    let api = app.api(&org);
    make_history(&app, &org).await;
    let rename = event_id(&api, 6).await;
    let store = app.store().await;

    let edited = audit::tamper_changes_for_tests(
        &store,
        org_id(&org),
        6,
        &json!({"name": {"before": "North", "after": "Somewhere else"}}),
    )
    .await
    .unwrap();
    store.close().await;

    assert_eq!(edited, 1);
    let verdict = verify(&api).await;
    assert_eq!(verdict["ok"], false);
    assert_eq!(verdict["first_bad_event_id"], rename.as_str());
    assert!(
        verdict["problem"].as_str().unwrap().contains("modified"),
        "{verdict:#}"
    );
    let output = app.muster(&["audit", "verify"]).await;
    assert_broken(&output, "bay-city-fire", &rename);
    assert!(
        output.stdout.contains("harbor-county-police: ok, 3 events"),
        "{output:?}"
    );
    let only_theirs = app
        .muster(&["audit", "verify", "--org", "harbor-county-police"])
        .await;
    assert!(only_theirs.status.success(), "{only_theirs:?}");
}

async fn a_removed_event_breaks_the_chain_at_the_next_event(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    make_history(&app, &org).await;
    let after_removed = event_id(&api, 6).await;
    let store = app.store().await;

    let removed = audit::tamper_delete_for_tests(&store, org_id(&org), 5)
        .await
        .unwrap();
    store.close().await;

    assert_eq!(removed, 1);
    let verdict = verify(&api).await;
    assert_eq!(verdict["ok"], false);
    assert_eq!(verdict["first_bad_event_id"], after_removed.as_str());
    assert!(
        verdict["problem"].as_str().unwrap().contains("removed"),
        "{verdict:#}"
    );
    let output = app
        .muster(&["audit", "verify", "--org", "bay-city-fire"])
        .await;
    assert_broken(&output, "bay-city-fire", &after_removed);
}

async fn reordered_events_break_the_chain(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    make_history(&app, &org).await;
    let moved_up = event_id(&api, 5).await;
    let store = app.store().await;

    audit::tamper_swap_seq_for_tests(&store, org_id(&org), 4, 5)
        .await
        .unwrap();
    store.close().await;

    // Event 5 now sits at position 4: the first that does not follow its predecessor.
    let verdict = verify(&api).await;
    assert_eq!(verdict["ok"], false);
    assert_eq!(verdict["first_bad_event_id"], moved_up.as_str());
    assert!(verdict["problem"].is_string());
    let output = app.muster(&["audit", "verify"]).await;
    assert_broken(&output, "bay-city-fire", &moved_up);
}

async fn removing_the_newest_event_is_detected(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    make_history(&app, &org).await;
    let store = app.store().await;

    let removed = audit::tamper_delete_for_tests(&store, org_id(&org), 8)
        .await
        .unwrap();
    store.close().await;

    assert_eq!(removed, 1);
    let verdict = verify(&api).await;
    assert_eq!(verdict["ok"], false);
    assert_eq!(verdict["events"], 7);
    assert_eq!(verdict["first_bad_event_id"], Value::Null);
    assert!(
        verdict["problem"].as_str().unwrap().contains("newest"),
        "{verdict:#}"
    );
    let output = app.muster(&["audit", "verify"]).await;
    assert_broken(&output, "bay-city-fire", "newest were removed");
}
