//! The notification outbox: password resets, welcome messages of new users, text messages
//! through carrier gateways, and the local mailbox (`GET /api/v1/outbox`).
#![allow(clippy::too_many_lines)] // Scenario tests read best top to bottom.

use muster_testkit::{Api, Backend, TestApp, on_both_backends};
use serde_json::{Value, json};

use crate::spawn;

on_both_backends!(
    a_reset_emails_a_temporary_password_that_must_be_changed,
    a_reset_is_refused_when_no_email_can_carry_it_and_changes_nothing,
    resets_of_missing_deleted_and_foreign_users_are_not_found,
    a_mobile_phone_with_a_carrier_gets_a_text_through_its_gateway,
    a_new_user_with_a_generated_password_is_welcomed_with_it,
    an_explicit_password_with_send_notification_is_welcomed_without_it,
    no_welcome_is_sent_when_not_wanted_or_not_deliverable,
    the_outbox_of_another_organization_is_invisible,
    a_user_creation_that_fails_queues_nothing,
    the_mailbox_pages_newest_first_and_filters,
);

struct World {
    app: TestApp,
    api: Api,
    root: String,
    admin_role: String,
}

async fn world(backend: Backend) -> World {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let admin = api.get(&format!("/users/{}", org.admin_id)).await;
    let admin_role = str_of(&admin.expect(200)["placements"][0]["role_id"]);
    World {
        root: org.root_node_id.clone(),
        app,
        api,
        admin_role,
    }
}

fn str_of(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

/// A `POST /users` body with an explicit password; `extra` fields are merged in.
fn user_body(w: &World, login: &str, extra: &Value) -> Value {
    let mut body = json!({
        "login": login,
        "first_name": "Jane",
        "last_name": "Doe",
        "password": "correct horse battery",
        "placements": [{"node_id": w.root, "role_id": w.admin_role}],
    });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

async fn create(w: &World, body: &Value) -> Value {
    w.api.post("/users", body).await.expect(201).clone()
}

async fn outbox(api: &Api, query: &str) -> Value {
    api.get(&format!("/outbox{query}"))
        .await
        .expect(200)
        .clone()
}

fn items(page: &Value) -> Vec<Value> {
    page["items"].as_array().unwrap().clone()
}

/// The temporary password written in a message body.
fn temporary_password(body: &str) -> String {
    let line = body
        .lines()
        .find(|l| l.contains("Temporary password:"))
        .unwrap_or_else(|| panic!("no temporary password in {body:?}"));
    line.rsplit(':').next().unwrap().trim().to_owned()
}

async fn reset(w: &World, id: &str) -> Value {
    w.api
        .post(&format!("/users/{id}/reset-password"), &json!({}))
        .await
        .expect(202)
        .clone()
}

async fn a_reset_emails_a_temporary_password_that_must_be_changed(backend: Backend) {
    let w = world(backend).await;
    let user = create(
        &w,
        &user_body(&w, "jdoe", &json!({"email": "jane.doe@bayfire.gov"})),
    )
    .await;
    let id = str_of(&user["id"]);
    assert_eq!(user["must_change_password"], false);
    assert_eq!(
        outbox(&w.api, "").await["total"],
        0,
        "an explicit password without send_notification sends nothing"
    );

    let reply = w
        .api
        .post(&format!("/users/{id}/reset-password"), &json!({}))
        .await;
    let queued = reply.expect(202).clone();

    assert_eq!(
        queued,
        json!({"queued": [{"channel": "email", "recipient": "jane.doe@bayfire.gov"}]})
    );
    let page = outbox(&w.api, "").await;
    assert_eq!(page["total"], 1);
    let message = &items(&page)[0];
    assert_eq!(message["channel"], "email");
    assert_eq!(message["recipient"], "jane.doe@bayfire.gov");
    assert_eq!(message["category"], "password_reset");
    assert_eq!(message["status"], "queued");
    assert_eq!(message["attempts"], 0);
    assert_eq!(message["user_id"], id.as_str());
    assert_eq!(message["sent_at"], Value::Null);
    assert_eq!(message["last_error"], Value::Null);
    let subject = str_of(&message["subject"]);
    let body = str_of(&message["body"]);
    assert!(subject.contains("Bay City Fire"), "{subject}");
    assert!(body.starts_with("Hello Jane,"), "{body}");
    assert!(
        body.contains("Bay City Fire") && body.contains("jdoe"),
        "{body}"
    );
    assert!(body.contains("next time you sign in"), "{body}");
    let password = temporary_password(&body);
    assert_eq!(password.len(), 16, "{password}");
    assert!(
        !reply.body.to_string().contains(&password),
        "the password is never returned"
    );

    let after = w.api.get(&format!("/users/{id}")).await;
    let profile = after.expect(200);
    assert_eq!(profile["must_change_password"], true);
    assert_eq!(profile["version"], user["version"].as_i64().unwrap() + 1);
    assert_eq!(reply.etag(), after.etag(), "the ETag is the new version");

    let audit = w
        .api
        .get("/audit?action=user.reset_password")
        .await
        .expect(200)
        .clone();
    assert_eq!(audit["total"], 1);
    let event = &audit["items"][0];
    assert_eq!(event["subject_id"], id.as_str());
    assert_eq!(
        event["changes"]["password"],
        json!({"before": "***", "after": "***"})
    );
    assert_eq!(
        event["changes"]["must_change_password"],
        json!({"before": false, "after": true})
    );
    assert_eq!(
        event["changes"]["notified"]["after"],
        json!([{"channel": "email", "recipient": "jane.doe@bayfire.gov"}])
    );
    let whole_trail = w.api.get("/audit?limit=500").await.expect(200).to_string();
    assert!(
        !whole_trail.contains(&password),
        "no password in the audit trail"
    );

    // A second reset replaces the first temporary password with another.
    reset(&w, &id).await;
    let page = outbox(&w.api, "").await;
    assert_eq!(page["total"], 2);
    let newest = temporary_password(&str_of(&items(&page)[0]["body"]));
    assert_ne!(newest, password);
}

async fn a_reset_is_refused_when_no_email_can_carry_it_and_changes_nothing(backend: Backend) {
    let w = world(backend).await;
    let no_email = create(&w, &user_body(&w, "nomail", &json!({}))).await;
    let pin = create(
        &w,
        &json!({"login": "kiosk", "first_name": "Kim", "last_name": "Osk",
                "login_kind": "pin", "pin": "4821", "email": "kiosk@bayfire.gov",
                "placements": [{"node_id": w.root, "role_id": w.admin_role}]}),
    )
    .await;
    let roster = create(
        &w,
        &json!({"login": "roster", "first_name": "Ro", "last_name": "Ster",
                "login_kind": "none", "email": "roster@bayfire.gov",
                "placements": [{"node_id": w.root, "role_id": w.admin_role}]}),
    )
    .await;

    for (user, field) in [
        (&no_email, "email"),
        (&pin, "login_kind"),
        (&roster, "login_kind"),
    ] {
        let id = str_of(&user["id"]);
        w.api
            .post(&format!("/users/{id}/reset-password"), &json!({}))
            .await
            .expect_problem(409, field);
        let now = w.api.get(&format!("/users/{id}")).await.expect(200).clone();
        assert_eq!(now["version"], user["version"], "{field}: unchanged");
        assert_eq!(now["must_change_password"], false);
        assert_eq!(now["login_kind"], user["login_kind"]);
    }
    assert_eq!(outbox(&w.api, "").await["total"], 0, "nothing queued");
    assert_eq!(
        w.api
            .get("/audit?action=user.reset_password")
            .await
            .expect(200)["total"],
        0,
        "nothing audited"
    );

    // Once the user has an email address, the reset goes through.
    let id = str_of(&no_email["id"]);
    w.api
        .patch(
            &format!("/users/{id}"),
            &json!({"email": "nomail@bayfire.gov"}),
            None,
        )
        .await
        .expect(200);
    reset(&w, &id).await;
    assert_eq!(outbox(&w.api, "").await["total"], 1);
}

async fn resets_of_missing_deleted_and_foreign_users_are_not_found(backend: Backend) {
    let w = world(backend).await;
    let gone = create(&w, &user_body(&w, "gone@bayfire.gov", &json!({}))).await;
    let gone_id = str_of(&gone["id"]);
    w.api
        .delete(&format!("/users/{gone_id}"), None)
        .await
        .expect(204);
    let other = w.app.init_org("Harbor Police", "harbor").await;

    for id in [
        gone_id.as_str(),
        other.admin_id.as_str(),
        "0190f0c4-0000-7000-8000-000000000000",
    ] {
        w.api
            .post(&format!("/users/{id}/reset-password"), &json!({}))
            .await
            .expect(404);
    }
    assert_eq!(outbox(&w.api, "").await["total"], 0);
    assert_eq!(outbox(&w.app.api(&other), "").await["total"], 0);
}

async fn a_mobile_phone_with_a_carrier_gets_a_text_through_its_gateway(backend: Backend) {
    let w = world(backend).await;
    let texted = create(
        &w,
        &user_body(
            &w,
            "texted@bayfire.gov",
            &json!({"phones": [
                {"kind": "work", "number": "555-010-0000", "carrier": "Verizon"},
                {"kind": "mobile", "number": "(555) 010-5555"},
                {"kind": "mobile", "number": "(555) 010-1234", "carrier": "Verizon", "private": true},
                {"kind": "mobile", "number": "555-010-9999", "carrier": "AT&T"},
            ]}),
        ),
    )
    .await;
    let att = create(
        &w,
        &user_body(
            &w,
            "att@bayfire.gov",
            &json!({"phones": [{"kind": "mobile", "number": "+1 555 010 7777", "carrier": "at&t"}]}),
        ),
    )
    .await;
    let unknown_carrier = create(
        &w,
        &user_body(
            &w,
            "plain@bayfire.gov",
            &json!({"phones": [{"kind": "mobile", "number": "555-010-8888", "carrier": "Acme Telecom"}]}),
        ),
    )
    .await;

    let queued = reset(&w, &str_of(&texted["id"])).await;
    assert_eq!(
        queued["queued"],
        json!([
            {"channel": "email", "recipient": "texted@bayfire.gov"},
            {"channel": "sms", "recipient": "5550101234@vtext.com"},
        ]),
        "the first mobile phone with a carrier"
    );
    let queued = reset(&w, &str_of(&att["id"])).await;
    assert_eq!(queued["queued"][1]["recipient"], "5550107777@txt.att.net");
    let queued = reset(&w, &str_of(&unknown_carrier["id"])).await;
    assert_eq!(
        queued["queued"],
        json!([{"channel": "email", "recipient": "plain@bayfire.gov"}]),
        "no text without a known carrier"
    );

    let page = outbox(
        &w.api,
        &format!("?user_id={}", texted["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(page["total"], 2);
    let text = items(&page)
        .into_iter()
        .find(|m| m["channel"] == "sms")
        .unwrap();
    let email = items(&page)
        .into_iter()
        .find(|m| m["channel"] == "email")
        .unwrap();
    let password = temporary_password(&str_of(&email["body"]));
    let sms = str_of(&text["body"]);
    assert_eq!(text["category"], "password_reset");
    assert!(
        sms.contains("Bay City Fire") && sms.contains("texted@bayfire.gov"),
        "{sms}"
    );
    assert!(!sms.contains(&password), "texts never carry the password");
}

async fn a_new_user_with_a_generated_password_is_welcomed_with_it(backend: Backend) {
    let w = world(backend).await;
    let mut body = user_body(&w, "jdoe@bayfire.gov", &json!({"display_name": "JD"}));
    body.as_object_mut().unwrap().remove("password");
    let user = create(&w, &body).await;
    let explicit = create(
        &w,
        &json!({"login": "rsmith", "first_name": "Rob", "last_name": "Smith",
                "email": "rob.smith@bayfire.gov", "generate_password": true,
                "send_notification": true,
                "placements": [{"node_id": w.root, "role_id": w.admin_role}]}),
    )
    .await;

    assert_eq!(user["must_change_password"], true);
    let page = outbox(&w.api, "").await;
    assert_eq!(page["total"], 2);
    let welcome = items(&page)
        .into_iter()
        .find(|m| m["user_id"] == user["id"])
        .unwrap();
    assert_eq!(welcome["channel"], "email");
    assert_eq!(welcome["recipient"], "jdoe@bayfire.gov");
    assert_eq!(welcome["category"], "account");
    let text = str_of(&welcome["body"]);
    assert!(text.starts_with("Hello JD,"), "{text}");
    assert!(
        text.contains("Bay City Fire") && text.contains("jdoe@bayfire.gov"),
        "{text}"
    );
    assert!(text.contains("first time you sign in"), "{text}");
    let password = temporary_password(&text);
    assert_eq!(password.len(), 16);
    assert!(!user.to_string().contains(&password));

    let other = items(&page)
        .into_iter()
        .find(|m| m["user_id"] == explicit["id"])
        .unwrap();
    assert_eq!(other["recipient"], "rob.smith@bayfire.gov");
    assert!(str_of(&other["body"]).contains("rsmith"));
    assert_ne!(temporary_password(&str_of(&other["body"])), password);

    let audit = w
        .api
        .get(&format!(
            "/audit?action=user.create&target_id={}",
            user["id"].as_str().unwrap()
        ))
        .await
        .expect(200)
        .clone();
    assert_eq!(
        audit["items"][0]["changes"]["notified"]["after"],
        json!([{"channel": "email", "recipient": "jdoe@bayfire.gov"}])
    );
    assert!(!audit.to_string().contains(&password));
}

async fn an_explicit_password_with_send_notification_is_welcomed_without_it(backend: Backend) {
    let w = world(backend).await;
    let user = create(
        &w,
        &user_body(
            &w,
            "jdoe",
            &json!({"email": "jane@bayfire.gov", "send_notification": true,
                    "must_change_password": true}),
        ),
    )
    .await;

    let page = outbox(&w.api, "").await;
    assert_eq!(page["total"], 1);
    let welcome = &items(&page)[0];
    assert_eq!(welcome["user_id"], user["id"]);
    assert_eq!(welcome["recipient"], "jane@bayfire.gov");
    assert_eq!(welcome["category"], "account");
    let text = str_of(&welcome["body"]);
    assert!(
        text.contains("jdoe") && text.contains("Bay City Fire"),
        "{text}"
    );
    assert!(!text.contains("correct horse battery"), "{text}");
    assert!(!text.contains("Temporary password"), "{text}");
    assert!(
        text.contains("password your administrator gave you"),
        "{text}"
    );
    assert!(text.contains("first time you sign in"), "{text}");
}

async fn no_welcome_is_sent_when_not_wanted_or_not_deliverable(backend: Backend) {
    let w = world(backend).await;
    // Generated password, but the administrator does not want a notification.
    let mut quiet = user_body(
        &w,
        "quiet@bayfire.gov",
        &json!({"send_notification": false}),
    );
    quiet.as_object_mut().unwrap().remove("password");
    let quiet = create(&w, &quiet).await;
    assert_eq!(quiet["must_change_password"], true);
    // Explicit password, no notification asked for.
    create(&w, &user_body(&w, "plain@bayfire.gov", &json!({}))).await;
    // Generated password but no email address: created all the same, nothing queued.
    let mut nowhere = user_body(&w, "nowhere", &json!({"send_notification": true}));
    nowhere.as_object_mut().unwrap().remove("password");
    let nowhere = create(&w, &nowhere).await;
    assert_eq!(nowhere["email"], Value::Null);
    // PIN and roster users are not sent sign-in details.
    create(
        &w,
        &json!({"login": "kiosk@bayfire.gov", "first_name": "K", "last_name": "Iosk",
                "login_kind": "pin", "pin": "4821", "send_notification": true,
                "placements": [{"node_id": w.root, "role_id": w.admin_role}]}),
    )
    .await;
    create(
        &w,
        &json!({"login": "roster@bayfire.gov", "first_name": "R", "last_name": "Oster",
                "login_kind": "none", "send_notification": true,
                "placements": [{"node_id": w.root, "role_id": w.admin_role}]}),
    )
    .await;

    assert_eq!(outbox(&w.api, "").await["total"], 0);
    let audit = w
        .api
        .get(&format!(
            "/audit?action=user.create&target_id={}",
            nowhere["id"].as_str().unwrap()
        ))
        .await
        .expect(200)
        .clone();
    assert_eq!(audit["items"][0]["changes"]["notified"], Value::Null);
}

async fn the_outbox_of_another_organization_is_invisible(backend: Backend) {
    let w = world(backend).await;
    let other = w.app.init_org("Harbor Police", "harbor").await;
    let other_api = w.app.api(&other);
    let other_admin = other_api
        .get(&format!("/users/{}", other.admin_id))
        .await
        .expect(200)
        .clone();
    let theirs = other_api
        .post(
            "/users",
            &json!({"login": "officer@harbor.gov", "first_name": "Oz", "last_name": "Ficer",
                    "placements": [{"node_id": other.root_node_id,
                                    "role_id": other_admin["placements"][0]["role_id"]}]}),
        )
        .await
        .expect(201)
        .clone();
    let ours = create(
        &w,
        &user_body(&w, "ours@bayfire.gov", &json!({"send_notification": true})),
    )
    .await;

    let mine = outbox(&w.api, "").await;
    assert_eq!(mine["total"], 1);
    assert_eq!(items(&mine)[0]["user_id"], ours["id"]);
    let filtered = outbox(
        &w.api,
        &format!("?user_id={}", theirs["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(filtered["total"], 0);
    assert_eq!(items(&filtered).len(), 0);

    let their_page = outbox(&other_api, "").await;
    assert_eq!(their_page["total"], 1);
    assert_eq!(items(&their_page)[0]["recipient"], "officer@harbor.gov");
    assert!(
        !their_page.to_string().contains("ours@bayfire.gov"),
        "{their_page}"
    );
    // Nor can one organization reset the other's users.
    w.api
        .post(
            &format!("/users/{}/reset-password", theirs["id"].as_str().unwrap()),
            &json!({}),
        )
        .await
        .expect(404);
    assert_eq!(outbox(&other_api, "").await["total"], 1);
}

async fn a_user_creation_that_fails_queues_nothing(backend: Backend) {
    let w = world(backend).await;
    let mut invalid = user_body(&w, "bad@bayfire.gov", &json!({"last_name": ""}));
    invalid.as_object_mut().unwrap().remove("password");
    w.api
        .post("/users", &invalid)
        .await
        .expect_problem(422, "last_name");
    let mut bad_role = user_body(
        &w,
        "badrole@bayfire.gov",
        &json!({"placements": [{"node_id": w.root, "role_id": "0190f0c4-0000-7000-8000-000000000000"}]}),
    );
    bad_role.as_object_mut().unwrap().remove("password");
    w.api
        .post("/users", &bad_role)
        .await
        .expect_problem(422, "placements[0].role_id");
    let mut taken = user_body(&w, "chief", &json!({"email": "chief@bayfire.gov"}));
    taken.as_object_mut().unwrap().remove("password");
    w.api
        .post("/users", &taken)
        .await
        .expect_problem(409, "login");

    assert_eq!(outbox(&w.api, "").await["total"], 0);
    assert_eq!(
        w.api.get("/users?q=bayfire.gov").await.expect(200)["total"],
        0,
        "no user was created either"
    );
}

async fn the_mailbox_pages_newest_first_and_filters(backend: Backend) {
    let w = world(backend).await;
    let mut logins = Vec::new();
    for n in 0..5 {
        let login = format!("user{n}@bayfire.gov");
        let mut body = user_body(&w, &login, &json!({}));
        body.as_object_mut().unwrap().remove("password");
        create(&w, &body).await;
        logins.push(login);
    }

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("?limit=2&cursor={c}"),
            None => "?limit=2".to_owned(),
        };
        let page = outbox(&w.api, &query).await;
        assert_eq!(page["total"], 5);
        seen.extend(items(&page).into_iter().map(|m| str_of(&m["recipient"])));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    logins.reverse();
    assert_eq!(seen, logins, "newest first, each once");

    assert_eq!(outbox(&w.api, "?status=queued").await["total"], 5);
    assert_eq!(outbox(&w.api, "?status=sent").await["total"], 0);
    assert_eq!(outbox(&w.api, "?status=").await["total"], 5);
    w.api
        .get("/outbox?status=lost")
        .await
        .expect_problem(422, "status");
    w.api
        .get("/outbox?user_id=nobody")
        .await
        .expect_problem(422, "user_id");
    w.api
        .get("/outbox?cursor=garbage")
        .await
        .expect_problem(422, "cursor");
    w.api
        .get("/outbox?limit=0")
        .await
        .expect_problem(422, "limit");
    w.api
        .get("/outbox?color=red")
        .await
        .expect_problem(422, "color");
}
