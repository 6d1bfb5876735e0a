//! The console's personnel pages over HTTP, on both backends: creating a user, the user
//! page's forms, the multi-location confirmation, lifecycle buttons and an employee's own
//! profile. Each goes through the same services as the API, so these tests check the
//! pages' wiring — that a form changes what it says, and nothing when it is refused.
//! (Browser tests of the same pages live in `e2e/user_page.test.cjs`.)

use muster_testkit::{Backend, on_both_backends};
use serde_json::Value;

use crate::api_enforcement::{Agency, PASSWORD, agency};
use crate::console::{Browser, sign_in};

on_both_backends!(
    a_user_created_in_the_console_opens_their_page_and_a_bad_form_creates_nobody,
    the_multi_location_confirmation_is_asked_before_anything_changes,
    an_employee_cannot_change_a_locked_field_even_with_a_crafted_form,
    lifecycle_buttons_ban_and_unban_and_refusals_come_back_as_messages,
    every_tab_of_the_user_page_renders_and_hides_what_the_caller_may_not_open,
);

/// Signs `login` of the agency in.
async fn session(a: &Agency, login: &str) -> (Browser, String) {
    sign_in(&a.app, &a.slug, login, PASSWORD).await
}

async fn post(
    a: &Agency,
    client: &Browser,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let reply = client
        .post(a.app.url(path))
        .header("Origin", a.app.base_url.clone())
        .form(form)
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    let location = reply
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, reply.text().await.unwrap())
}

async fn get(a: &Agency, client: &Browser, path: &str) -> (u16, String) {
    let reply = client.get(a.app.url(path)).send().await.unwrap();
    (reply.status().as_u16(), reply.text().await.unwrap())
}

async fn total_users(a: &Agency) -> i64 {
    a.admin
        .get("/users?limit=1&status=active,inactive,banned,retired,separated")
        .await
        .expect(200)["total"]
        .as_i64()
        .unwrap()
}

async fn user(a: &Agency, id: &str) -> Value {
    a.admin
        .get(&format!("/users/{id}"))
        .await
        .expect(200)
        .clone()
}

async fn a_user_created_in_the_console_opens_their_page_and_a_bad_form_creates_nobody(
    backend: Backend,
) {
    let a = agency(backend).await;
    let (client, csrf) = session(&a, "divadmin").await;
    let (status, html) = get(&a, &client, "/console/users/new").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Station 1"),
        "the division's locations are offered"
    );
    assert!(!html.contains("Station 9"), "locations outside it are not");

    let before = total_users(&a).await;
    let base = [
        ("csrf", csrf.as_str()),
        ("first_name", "Robin"),
        ("last_name", "Quill"),
        ("login", "rquill"),
        ("email", "rquill@bcpd.gov"),
        ("phone0_kind", "mobile"),
        ("phone0_number", "555-0142"),
        ("login_kind", "password"),
        ("password_mode", "generate"),
        ("send_notification", "1"),
        ("active", "1"),
    ];
    // No location or role: named next to their fields, nobody created.
    let (status, _, html) = post(&a, &client, "/console/users/new", &base).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"e-node_id\""), "{html}");
    assert!(html.contains("id=\"e-role_id\""));
    assert!(html.contains("value=\"Quill\""), "values are kept");
    // Outside the division: the service's refusal, nobody created.
    let mut outside = base.to_vec();
    outside.extend([
        ("node_id", a.station9.as_str()),
        ("role_id", a.employee_role.as_str()),
    ]);
    let (status, _, html) = post(&a, &client, "/console/users/new", &outside).await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("class=\"alert alert-error\""));
    assert_eq!(total_users(&a).await, before);

    let mut good = base.to_vec();
    good.extend([
        ("node_id", a.station1.as_str()),
        ("role_id", a.employee_role.as_str()),
    ]);
    let (status, location, _) = post(&a, &client, "/console/users/new", &good).await;
    assert_eq!(status, 303);
    let id = location.strip_prefix("/console/users/").unwrap().to_owned();
    let created = user(&a, &id).await;
    assert_eq!(created["login"], "rquill");
    assert_eq!(created["phones"][0]["number"], "555-0142");
    assert_eq!(created["must_change_password"], true);
    assert_eq!(created["placements"][0]["node_id"], a.station1.as_str());
    let (status, html) = get(&a, &client, &location).await;
    assert_eq!(status, 200);
    assert!(html.contains("Robin Quill"));
    assert!(html.contains("was created"), "the toast says so");
}

async fn the_multi_location_confirmation_is_asked_before_anything_changes(backend: Backend) {
    let a = agency(backend).await;
    let (client, csrf) = session(&a, "divadmin").await;
    let path = format!("/console/users/{}/placements/{}", a.multi, a.station1);
    let (status, html) = get(
        &a,
        &client,
        &format!("/console/users/{}/placements", a.multi),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Read-only"),
        "Station 9 is outside the division"
    );
    let form = [
        ("csrf", csrf.as_str()),
        ("action", "update"),
        ("role_id", a.employee_role.as_str()),
        ("starts_on", ""),
        ("ends_on", "2031-01-31"),
    ];
    let (status, _, html) = post(&a, &client, &path, &form).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"confirm-dialog\""), "{html}");
    assert!(html.contains("also has placements outside Patrol"));
    assert!(html.contains("name=\"confirm\" value=\"1\""));
    let placements = a.admin.get(&format!("/users/{}/placements", a.multi)).await;
    let at1 = placements.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["node_id"] == a.station1.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        at1["ends_on"],
        Value::Null,
        "nothing changed before confirming"
    );

    let mut confirmed = form.to_vec();
    confirmed.push(("confirm", "1"));
    let (status, location, _) = post(&a, &client, &path, &confirmed).await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("/console/users/{}/placements", a.multi));
    let placements = a.admin.get(&format!("/users/{}/placements", a.multi)).await;
    let items = placements.expect(200)["items"].as_array().unwrap().clone();
    let at1 = items
        .iter()
        .find(|p| p["node_id"] == a.station1.as_str())
        .unwrap();
    assert_eq!(at1["ends_on"], "2031-01-31");
    let at9 = items
        .iter()
        .find(|p| p["node_id"] == a.station9.as_str())
        .unwrap();
    assert_eq!(
        at9["ends_on"],
        Value::Null,
        "the other location is untouched"
    );
}

async fn an_employee_cannot_change_a_locked_field_even_with_a_crafted_form(backend: Backend) {
    let a = agency(backend).await;
    let (client, csrf) = session(&a, "officer1").await;
    let (status, html) = get(&a, &client, "/console/me").await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"f-first_name\" name=\"first_name\""));
    let locked = html.split("id=\"f-first_name\"").nth(1).unwrap();
    assert!(
        locked[..locked.find('>').unwrap()].contains("disabled"),
        "first name is greyed out"
    );
    let phones = html.split("id=\"f-phone0_number\"").nth(1).unwrap();
    assert!(
        !phones[..phones.find('>').unwrap()].contains("disabled"),
        "phones are not"
    );

    let me = user(&a, &a.officer1).await;
    let version = me["version"].to_string();
    let path = format!("/console/users/{}/account", a.officer1);
    // A crafted form that sends the disabled field anyway.
    let (status, _, html) = post(
        &a,
        &client,
        &path,
        &[
            ("csrf", csrf.as_str()),
            ("back", "/console/me"),
            ("version", version.as_str()),
            ("first_name", "Mallory"),
            ("phone0_kind", "mobile"),
            ("phone0_number", "555-0177"),
        ],
    )
    .await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("first_name"));
    let after = user(&a, &a.officer1).await;
    assert_eq!(after["first_name"], "Pat");
    assert_eq!(
        after["phones"][0]["number"], "555-0100",
        "nothing of the form was saved"
    );

    // The allowed change alone is saved.
    let (status, location, _) = post(
        &a,
        &client,
        &path,
        &[
            ("csrf", csrf.as_str()),
            ("back", "/console/me"),
            ("version", version.as_str()),
            ("phone0_kind", "mobile"),
            ("phone0_number", "555-0177"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/console/me");
    let after = user(&a, &a.officer1).await;
    assert_eq!(after["phones"][0]["number"], "555-0177");
    assert_eq!(
        after["phones"].as_array().unwrap().len(),
        1,
        "the form held one phone"
    );
}

async fn lifecycle_buttons_ban_and_unban_and_refusals_come_back_as_messages(backend: Backend) {
    let a = agency(backend).await;
    let (client, csrf) = session(&a, "divadmin").await;
    let path = format!("/console/users/{}/lifecycle", a.officer1);
    let (status, location, _) = post(
        &a,
        &client,
        &path,
        &[
            ("csrf", csrf.as_str()),
            ("action", "ban"),
            ("reason", "lost badge"),
        ],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, format!("/console/users/{}/admin", a.officer1).as_str())
    );
    assert_eq!(user(&a, &a.officer1).await["status"], "banned");
    let back = format!("/console/users/{}", a.officer1);
    let (status, location, _) = post(
        &a,
        &client,
        &path,
        &[
            ("csrf", csrf.as_str()),
            ("action", "unban"),
            ("back", back.as_str()),
        ],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, back.as_str()));
    assert_eq!(user(&a, &a.officer1).await["status"], "active");
    // A step that does not apply: the page says why, nothing changed.
    let (status, _, html) = post(
        &a,
        &client,
        &path,
        &[("csrf", csrf.as_str()), ("action", "unban")],
    )
    .await;
    assert_eq!(status, 409);
    assert!(html.contains("alert alert-error"), "{html}");
    assert_eq!(user(&a, &a.officer1).await["status"], "active");
    // Making an organization administrator is not theirs to do.
    let (status, location, _) = post(
        &a,
        &client,
        &path,
        &[("csrf", csrf.as_str()), ("action", "make_admin")],
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = get(&a, &client, &location).await;
    assert!(
        html.contains("Only an organization administrator"),
        "{html}"
    );
    assert_eq!(user(&a, &a.officer1).await["is_org_admin"], false);
    // Retiring without a separation status names the field.
    let (status, _, html) = post(
        &a,
        &client,
        &path,
        &[
            ("csrf", csrf.as_str()),
            ("action", "retire"),
            ("last_day", "2026-01-31"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("id=\"e-separation_status_id\""));
    assert_eq!(user(&a, &a.officer1).await["status"], "active");
}

async fn every_tab_of_the_user_page_renders_and_hides_what_the_caller_may_not_open(
    backend: Backend,
) {
    let a = agency(backend).await;
    let (admin, _) = session(&a, "divadmin").await;
    for tab in [
        "",
        "/account",
        "/placements",
        "/permissions",
        "/access",
        "/admin",
        "/contacts",
        "/specialties",
        "/activity",
    ] {
        let (status, html) = get(&a, &admin, &format!("/console/users/{}{tab}", a.officer1)).await;
        assert_eq!(status, 200, "{tab}: {html}");
        assert!(html.contains("Pat officer1"), "{tab}");
    }
    // Someone outside the division is not there at all.
    let (status, _) = get(&a, &admin, &format!("/console/users/{}", a.officer9)).await;
    assert_eq!(status, 404);
    let (status, _) = get(&a, &admin, &format!("/console/users/{}/access", a.officer9)).await;
    assert_eq!(status, 404);
    // An employee sees their own page without the administrators' tabs.
    let (officer, _) = session(&a, "officer2").await;
    let (status, html) = get(&a, &officer, &format!("/console/users/{}", a.officer2)).await;
    assert_eq!(status, 200);
    assert!(!html.contains("Admin features"));
    assert!(!html.contains(">Access<"));
    let (status, _) = get(
        &a,
        &officer,
        &format!("/console/users/{}/access", a.officer2),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = get(&a, &officer, &format!("/console/users/{}", a.officer1)).await;
    assert_eq!(status, 404);
}
