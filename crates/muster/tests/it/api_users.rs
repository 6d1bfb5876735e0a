//! `/api/v1/users`: profiles, logins, the lifecycle, the user list and placements.
#![allow(clippy::too_many_lines)] // Scenario tests read best top to bottom.

use std::cmp::Ordering;

use muster_domain::{CommandGroupId, NodeKindId, OrgId, ReferenceItemId, RoleId, UserId};
use muster_store::DbTime;
use muster_store::structure::{self, NewRole};
use muster_testkit::{Api, Backend, OrgFixture, TestApp, on_both_backends};
use serde_json::{Value, json};

use crate::spawn;

on_both_backends!(
    a_user_is_created_with_every_field_and_read_back,
    a_password_user_without_a_password_gets_a_generated_one,
    logins_are_unique_in_any_case_and_never_reused,
    bad_user_input_names_the_field_and_changes_nothing,
    profiles_are_patched_as_merge_patches_with_if_match,
    switching_the_login_kind_manages_the_secrets,
    the_lifecycle_moves_users_between_statuses,
    a_user_can_be_created_inactive_but_no_other_way,
    invalid_lifecycle_steps_are_conflicts_on_status,
    deleted_users_disappear_but_keep_their_login,
    the_user_list_searches_and_filters,
    every_sort_pages_in_both_orders,
    placements_follow_the_placement_rules,
    users_of_another_organization_are_invisible,
    every_user_change_is_audited_without_secrets,
);

/// All statuses a list can show.
const ALL_STATUSES: &str = "status=active,inactive,banned,retired,separated";

/// An organization with a small tree: Root > North (Region) > Ops (Division) >
/// Station 1, Station 2 (Locations); Root > South (Region).
struct World {
    app: TestApp,
    org: OrgFixture,
    api: Api,
    admin_role: String,
    north: String,
    south: String,
    ops: String,
    station1: String,
    station2: String,
    location_kind: String,
    region_kind: String,
}

async fn world(backend: Backend) -> World {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let admin = api.get(&format!("/users/{}", org.admin_id)).await;
    let admin_role = admin.expect(200)["placements"][0]["role_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let north = node(&api, "North", "Region", &org.root_node_id).await;
    let south = node(&api, "South", "Region", &org.root_node_id).await;
    let ops = node(&api, "Ops", "Division", &north["id"]).await;
    let station1 = node(&api, "Station 1", "Location", &ops["id"]).await;
    let station2 = node(&api, "Station 2", "Location", &ops["id"]).await;
    let id = |n: &Value| n["id"].as_str().unwrap().to_owned();
    World {
        admin_role,
        north: id(&north),
        south: id(&south),
        ops: id(&ops),
        location_kind: station1["kind_id"].as_str().unwrap().to_owned(),
        region_kind: north["kind_id"].as_str().unwrap().to_owned(),
        station1: id(&station1),
        station2: id(&station2),
        app,
        org,
        api,
    }
}

async fn node(api: &Api, name: &str, kind: &str, parent: impl serde::Serialize) -> Value {
    api.post(
        "/nodes",
        &json!({"name": name, "kind": kind, "parent_id": parent}),
    )
    .await
    .expect(201)
    .clone()
}

/// The smallest valid body of `POST /users`.
fn user_body(login: &str, first: &str, last: &str, node: &str, role: &str) -> Value {
    json!({
        "login": login,
        "first_name": first,
        "last_name": last,
        "password": "correct horse battery",
        "placements": [{"node_id": node, "role_id": role}],
    })
}

async fn create(w: &World, body: &Value) -> Value {
    w.api.post("/users", body).await.expect(201).clone()
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap().to_owned()
}

/// Inserts an entry of reference list `list` directly (no reference API on this branch).
async fn reference_item(app: &TestApp, org: &OrgFixture, list: &str, name: &str) -> String {
    let store = app.store().await;
    let mut tx = store.begin().await.unwrap();
    let id = ReferenceItemId::new();
    structure::insert_reference_item(
        &mut tx,
        org.org_id.parse::<OrgId>().unwrap(),
        id,
        list,
        name,
        1,
        DbTime::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id.to_string()
}

async fn command_group(app: &TestApp, org: &OrgFixture, name: &str) -> String {
    let store = app.store().await;
    let mut tx = store.begin().await.unwrap();
    let id = CommandGroupId::new();
    structure::insert_command_group(
        &mut tx,
        org.org_id.parse::<OrgId>().unwrap(),
        id,
        None,
        name,
        DbTime::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id.to_string()
}

/// A role assignable only at nodes of the given kinds.
async fn restricted_role(app: &TestApp, org: &OrgFixture, name: &str, kinds: &[&str]) -> String {
    let store = app.store().await;
    let mut tx = store.begin().await.unwrap();
    let id = RoleId::new();
    let kinds: Vec<NodeKindId> = kinds.iter().map(|k| k.parse().unwrap()).collect();
    structure::insert_role(
        &mut tx,
        &NewRole {
            id,
            org: org.org_id.parse::<OrgId>().unwrap(),
            name,
            preset: "custom",
            capabilities: &[],
            assignable_at: &kinds,
            now: DbTime::now(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id.to_string()
}

async fn total(api: &Api, query: &str) -> i64 {
    api.get(&format!("/users?{query}")).await.expect(200)["total"]
        .as_i64()
        .unwrap()
}

fn logins(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| str_of(&u["login"]))
        .collect()
}

async fn a_user_is_created_with_every_field_and_read_back(backend: Backend) {
    let w = world(backend).await;
    let title = reference_item(&w.app, &w.org, "titles", "VP").await;
    let rank = reference_item(&w.app, &w.org, "ranks", "Captain").await;
    let unit = reference_item(&w.app, &w.org, "units", "Engine 7").await;
    let hazmat = reference_item(&w.app, &w.org, "specialties", "Hazmat").await;
    let rescue = reference_item(&w.app, &w.org, "specialties", "Rope rescue").await;
    let separation = reference_item(&w.app, &w.org, "separation_statuses", "Resigned").await;
    let group = command_group(&w.app, &w.org, "Captains").await;
    let body = json!({
        "login": "a.lovelace@bayfire.gov",
        "first_name": " Ada ",
        "last_name": "Lovelace",
        "login_kind": "password",
        "email": "ada@bayfire.gov",
        "emails": ["ada.home@example.org"],
        "phones": [
            {"kind": "work", "number": "+1 555 0100", "private": true},
            {"kind": "mobile", "number": "555-0199", "carrier": "Verizon"}
        ],
        "placements": [
            {"node_id": w.station1, "role_id": w.admin_role, "default": true,
             "starts_on": "2026-01-01"},
            {"node_id": w.south, "role_id": w.admin_role, "starts_on": "2026-02-01",
             "ends_on": "2026-03-31"}
        ],
        "command_group_id": group,
        "password": "Analytical Engine 1843",
        "must_change_password": true,
        "send_notification": false,
        "display_name": "Countess Lovelace",
        "employee_number": "E-1815",
        "badge_number": "B-42",
        "address": {"street": "1 Engine Way", "city": "Bay City", "region": "CA"},
        "title_id": title,
        "title_designation": "of Analysis",
        "rank_id": rank,
        "unit_id": unit,
        "hire_date": "2020-03-01",
        "start_date": "2020-03-15",
        "transfer_date": "2024-07-01",
        "last_day": "2030-12-31",
        "leave_reason": "Planned",
        "separation_status_id": separation,
        "recruited_by_id": w.org.admin_id,
        "reports_to_id": w.org.admin_id,
        "payroll_id": "PR-77",
        "specialties": [hazmat, rescue],
        "demographics": {"date_of_birth": "1815-12-10", "gender": "female",
                         "fields": {"shirt_size": "M", "veteran": false, "boot": 38}},
        "preferences": {"landing_page": "/users", "email_reminders": false,
                        "notification_subscriptions": ["shift-changes"]},
        "directory_access": "shared_locations",
        "can_sms": true,
        "is_org_admin": false
    });

    let created = w.api.post("/users", &body).await;

    let user = created.expect(201).clone();
    assert_eq!(created.etag().as_deref(), Some("\"1\""));
    let id = str_of(&user["id"]);
    let read = w.api.get(&format!("/users/{id}")).await;
    assert_eq!(read.expect(200), &user);
    assert_eq!(read.etag().as_deref(), Some("\"1\""));
    for (field, value) in [
        ("login", json!("a.lovelace@bayfire.gov")),
        ("first_name", json!("Ada")),
        ("last_name", json!("Lovelace")),
        ("display_name", json!("Countess Lovelace")),
        ("employee_number", json!("E-1815")),
        ("badge_number", json!("B-42")),
        ("email", json!("ada@bayfire.gov")),
        ("emails", json!(["ada.home@example.org"])),
        (
            "phones",
            json!([
                {"kind": "work", "number": "+1 555 0100", "private": true},
                {"kind": "mobile", "number": "555-0199", "carrier": "Verizon", "private": false}
            ]),
        ),
        (
            "address",
            json!({"street": "1 Engine Way", "city": "Bay City", "region": "CA"}),
        ),
        (
            "effective_address",
            json!({"street": "1 Engine Way", "city": "Bay City", "region": "CA"}),
        ),
        ("title_id", json!(title)),
        ("title_designation", json!("of Analysis")),
        ("rank_id", json!(rank)),
        ("unit_id", json!(unit)),
        ("hire_date", json!("2020-03-01")),
        ("start_date", json!("2020-03-15")),
        ("transfer_date", json!("2024-07-01")),
        ("last_day", json!("2030-12-31")),
        ("leave_reason", json!("Planned")),
        ("separation_status_id", json!(separation)),
        ("recruited_by_id", json!(w.org.admin_id)),
        ("reports_to_id", json!(w.org.admin_id)),
        ("payroll_id", json!("PR-77")),
        ("specialties", json!([hazmat, rescue])),
        (
            "demographics",
            json!({"date_of_birth": "1815-12-10", "gender": "female",
                   "fields": {"boot": 38, "shirt_size": "M", "veteran": false}}),
        ),
        (
            "preferences",
            json!({"landing_page": "/users", "email_reminders": false,
                   "notification_subscriptions": ["shift-changes"]}),
        ),
        ("directory_access", json!("shared_locations")),
        ("can_sms", json!(true)),
        ("login_kind", json!("password")),
        ("status", json!("active")),
        ("must_change_password", json!(true)),
        ("is_org_admin", json!(false)),
        ("command_group_id", json!(group)),
        ("default_node_id", json!(w.station1)),
        ("last_login_at", Value::Null),
        ("version", json!(1)),
    ] {
        assert_eq!(user[field], value, "{field}");
    }
    assert_eq!(
        user["placements"],
        json!([
            {"node_id": w.station1, "node_name": "Station 1", "role_id": w.admin_role,
             "role_name": "Administrator", "default": true, "starts_on": "2026-01-01",
             "ends_on": null},
            {"node_id": w.south, "node_name": "South", "role_id": w.admin_role,
             "role_name": "Administrator", "default": false, "starts_on": "2026-02-01",
             "ends_on": "2026-03-31"}
        ])
    );
    let text = user.to_string();
    assert!(!text.contains("argon2") && !text.contains("hash"), "{text}");
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));

    let listed = w.api.get("/users?q=lovelace").await;
    assert_eq!(
        listed.expect(200)["items"],
        json!([{
            "id": id, "login": "a.lovelace@bayfire.gov", "first_name": "Ada",
            "last_name": "Lovelace", "display_name": "Countess Lovelace",
            "email": "ada@bayfire.gov", "status": "active", "login_kind": "password",
            "default_node_id": w.station1, "default_node_name": "Station 1",
            "default_role_name": "Administrator", "phone": "555-0199", "last_login_at": null
        }])
    );
}

async fn a_password_user_without_a_password_gets_a_generated_one(backend: Backend) {
    let w = world(backend).await;
    let mut body = user_body("gen", "Gene", "Rated", &w.station1, &w.admin_role);
    body.as_object_mut().unwrap().remove("password");
    body["must_change_password"] = json!(false);

    let user = create(&w, &body).await;
    let explicit = create(
        &w,
        &json!({"login": "gen2@bayfire.gov", "first_name": "G", "last_name": "R",
                "generate_password": true,
                "placements": [{"node_id": w.station1, "role_id": w.admin_role}]}),
    )
    .await;

    assert_eq!(user["must_change_password"], true);
    assert_eq!(user["login_kind"], "password");
    assert_eq!(explicit["must_change_password"], true);
    assert_eq!(
        explicit["email"], "gen2@bayfire.gov",
        "an email login is the default email"
    );
    let text = format!("{user}{explicit}");
    assert!(
        !text.contains("password\":\""),
        "no password is ever returned: {text}"
    );
}

async fn logins_are_unique_in_any_case_and_never_reused(backend: Backend) {
    let w = world(backend).await;
    let first = create(
        &w,
        &user_body("jsmith", "Jo", "Smith", &w.station1, &w.admin_role),
    )
    .await;
    let first_id = str_of(&first["id"]);

    w.api
        .post(
            "/users",
            &user_body("jsmith", "J", "S", &w.station1, &w.admin_role),
        )
        .await
        .expect_problem(409, "login");
    w.api
        .post(
            "/users",
            &user_body("JSmith", "J", "S", &w.station1, &w.admin_role),
        )
        .await
        .expect_problem(409, "login");
    w.api
        .post(
            "/users",
            &user_body("chief", "J", "S", &w.station1, &w.admin_role),
        )
        .await
        .expect_problem(409, "login");

    w.api
        .delete(&format!("/users/{first_id}"), None)
        .await
        .expect(204);
    w.api
        .post(
            "/users",
            &user_body("jsmith", "J", "S", &w.station1, &w.admin_role),
        )
        .await
        .expect_problem(409, "login");

    let second = create(
        &w,
        &user_body("kjones", "Kay", "Jones", &w.station1, &w.admin_role),
    )
    .await;
    let second_id = str_of(&second["id"]);
    let renamed = w
        .api
        .patch(
            &format!("/users/{second_id}"),
            &json!({"login": "kay.jones"}),
            None,
        )
        .await;
    assert_eq!(renamed.expect(200)["login"], "kay.jones");
    let recased = w
        .api
        .patch(
            &format!("/users/{second_id}"),
            &json!({"login": "Kay.Jones"}),
            None,
        )
        .await;
    assert_eq!(recased.expect(200)["login"], "Kay.Jones");
    w.api
        .post(
            "/users",
            &user_body("kjones", "K", "J", &w.station1, &w.admin_role),
        )
        .await
        .expect_problem(409, "login");
    w.api
        .patch(
            &format!("/users/{}", w.org.admin_id),
            &json!({"login": "KJONES"}),
            None,
        )
        .await
        .expect_problem(409, "login");
    w.api
        .patch(
            &format!("/users/{}", w.org.admin_id),
            &json!({"login": "jsmith"}),
            None,
        )
        .await
        .expect_problem(409, "login");
    let back = w
        .api
        .patch(
            &format!("/users/{second_id}"),
            &json!({"login": "kjones"}),
            None,
        )
        .await;
    assert_eq!(
        back.expect(200)["login"],
        "kjones",
        "a user may take back their own old login"
    );
    assert_eq!(total(&w.api, ALL_STATUSES).await, 2);
}

async fn bad_user_input_names_the_field_and_changes_nothing(backend: Backend) {
    let w = world(backend).await;
    let other_org = w.app.init_org("Harbor Police", "harbor").await;
    let other_role = w
        .app
        .api(&other_org)
        .get(&format!("/users/{}", other_org.admin_id))
        .await
        .body["placements"][0]["role_id"]
        .clone();
    let regional = restricted_role(&w.app, &w.org, "Regional chief", &[&w.region_kind]).await;
    let title = reference_item(&w.app, &w.org, "titles", "VP").await;
    create(
        &w,
        &json!({"login": "taken", "first_name": "T", "last_name": "T",
                "employee_number": "E-1", "login_kind": "none",
                "placements": [{"node_id": w.station1, "role_id": w.admin_role}]}),
    )
    .await;
    let before = total(&w.api, ALL_STATUSES).await;
    let base = user_body("newbie", "New", "Bie", &w.station1, &w.admin_role);
    let with = |changes: Value| {
        let mut body = base.clone();
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let place = |p: Value| json!({"placements": p});
    let s1 = &w.station1;
    let role = &w.admin_role;
    let cases = [
        (with(json!({"colour": "red"})), 422, "colour"),
        (with(json!({"first_name": 5})), 422, "first_name"),
        (
            with(json!({"first_name": "x".repeat(101)})),
            422,
            "first_name",
        ),
        (with(json!({"last_name": "  "})), 422, "last_name"),
        (
            with(json!({"display_name": "x".repeat(101)})),
            422,
            "display_name",
        ),
        (with(json!({"login": "j smith"})), 422, "login"),
        (with(json!({"login": "x".repeat(255)})), 422, "login"),
        (
            with(json!({"login_kind": "fingerprint"})),
            422,
            "login_kind",
        ),
        (with(json!({"email": "not-an-email"})), 422, "email"),
        (
            with(json!({"email": format!("{}@bayfire.gov", "a".repeat(250))})),
            422,
            "email",
        ),
        (
            with(json!({"emails": ["ok@bayfire.gov", "nope"]})),
            422,
            "emails[1]",
        ),
        (
            with(json!({"leave_reason": "x".repeat(1001)})),
            422,
            "leave_reason",
        ),
        (
            with(json!({"payroll_id": "x".repeat(101)})),
            422,
            "payroll_id",
        ),
        (with(json!({"hire_date": "2026-02-30"})), 422, "hire_date"),
        (with(json!({"hire_date": "yesterday"})), 422, "hire_date"),
        (
            with(json!({"hire_date": "2026-05-02", "last_day": "2026-05-01"})),
            422,
            "hire_date",
        ),
        (
            with(json!({"phones": [{"kind": "satellite", "number": "555"}]})),
            422,
            "phones[0].kind",
        ),
        (
            with(json!({"phones": [{"kind": "work", "number": "call me"}]})),
            422,
            "phones[0].number",
        ),
        (with(json!({"password": "short"})), 422, "password"),
        (
            with(json!({"login": "longlogin123", "password": "LONGLOGIN123"})),
            422,
            "password",
        ),
        (with(json!({"password": "Bie"})), 422, "password"),
        (with(json!({"password": "x".repeat(257)})), 422, "password"),
        (
            with(json!({"password": "correct horse battery", "generate_password": true})),
            422,
            "generate_password",
        ),
        (
            with(json!({"login_kind": "pin", "password": null, "pin": "12ab"})),
            422,
            "pin",
        ),
        (
            with(json!({"login_kind": "pin", "password": null})),
            422,
            "pin",
        ),
        (with(json!({"login_kind": "none"})), 422, "password"),
        (with(place(json!([]))), 422, "placements"),
        (
            with(place(json!([
                {"node_id": s1, "role_id": role, "default": true},
                {"node_id": w.south, "role_id": role, "default": true}
            ]))),
            422,
            "placements[1].default",
        ),
        (
            with(place(json!([
                {"node_id": s1, "role_id": role},
                {"node_id": w.south, "role_id": role}
            ]))),
            422,
            "placements",
        ),
        (
            with(place(json!([
                {"node_id": s1, "role_id": role, "default": true},
                {"node_id": s1, "role_id": role}
            ]))),
            422,
            "placements[1].node_id",
        ),
        (
            with(place(
                json!([{"node_id": other_org.root_node_id, "role_id": role}]),
            )),
            422,
            "placements[0].node_id",
        ),
        (
            with(place(json!([{"node_id": s1, "role_id": other_role}]))),
            422,
            "placements[0].role_id",
        ),
        (
            with(place(json!([{"node_id": s1, "role_id": regional}]))),
            409,
            "placements[0].role_id",
        ),
        (
            with(place(
                json!([{"node_id": s1, "role_id": role, "starts_on": "2026-05-02", "ends_on": "2026-05-01"}]),
            )),
            422,
            "placements[0].ends_on",
        ),
        (
            with(place(
                json!([{"node_id": s1, "role_id": role, "starts_on": "05/01/2026"}]),
            )),
            422,
            "placements[0].starts_on",
        ),
        (with(json!({"title_id": w.station1})), 422, "title_id"),
        (with(json!({"specialties": [title]})), 422, "specialties[0]"),
        (
            with(json!({"command_group_id": w.station1})),
            422,
            "command_group_id",
        ),
        (
            with(json!({"reports_to_id": w.station1})),
            422,
            "reports_to_id",
        ),
        (
            with(json!({"demographics": {"fields": {"nested": {"a": 1}}}})),
            422,
            "demographics.fields.nested",
        ),
        (
            with(json!({"preferences": {"theme": "dark"}})),
            422,
            "preferences.theme",
        ),
        (with(json!({"login": "TAKEN"})), 409, "login"),
        (
            with(json!({"employee_number": "E-1"})),
            409,
            "employee_number",
        ),
    ];
    for (body, status, field) in cases {
        w.api
            .post("/users", &body)
            .await
            .expect_problem(status, field);
    }
    let malformed = w
        .api
        .send(reqwest::Method::POST, "/users", None, None)
        .await;
    assert!(matches!(malformed.status, 400 | 415), "{malformed:?}");

    assert_eq!(total(&w.api, ALL_STATUSES).await, before);
    create(&w, &base).await;
    assert_eq!(total(&w.api, ALL_STATUSES).await, before + 1);
}

async fn profiles_are_patched_as_merge_patches_with_if_match(backend: Backend) {
    let w = world(backend).await;
    let rank = reference_item(&w.app, &w.org, "ranks", "Lieutenant").await;
    let mut body = user_body("mpatch", "Max", "Patch", &w.station1, &w.admin_role);
    body["display_name"] = json!("Maxi");
    body["phones"] = json!([{"kind": "work", "number": "555-0100"}]);
    body["demographics"] = json!({"gender": "male", "fields": {"shirt": "L", "boot": 44}});
    let created = w.api.post("/users", &body).await;
    let id = str_of(&created.expect(201)["id"]);
    let etag = created.etag().unwrap();
    let path = format!("/users/{id}");

    let patched = w
        .api
        .patch(
            &format!("{path}?confirm=true"),
            &json!({
                "first_name": "Maxine",
                "display_name": null,
                "rank_id": rank,
                "hire_date": "2021-01-04",
                "demographics": {"date_of_birth": "1990-01-01", "fields": {"shirt": null, "veteran": true}},
                "preferences": {"email_reminders": false},
                "address": {"city": "Harbor"},
                "directory_access": "hierarchy",
                "is_org_admin": true
            }),
            Some(&etag),
        )
        .await;

    let user = patched.expect(200).clone();
    assert_eq!(patched.etag().as_deref(), Some("\"2\""));
    assert_eq!(user["first_name"], "Maxine");
    assert_eq!(user["last_name"], "Patch", "absent fields are unchanged");
    assert_eq!(user["display_name"], Value::Null, "null clears");
    assert_eq!(user["rank_id"], json!(rank));
    assert_eq!(user["hire_date"], "2021-01-04");
    assert_eq!(user["phones"][0]["number"], "555-0100");
    assert_eq!(
        user["demographics"],
        json!({"date_of_birth": "1990-01-01", "gender": "male",
               "fields": {"boot": 44, "veteran": true}})
    );
    assert_eq!(
        user["preferences"],
        json!({"landing_page": null, "email_reminders": false, "notification_subscriptions": []})
    );
    assert_eq!(user["address"], json!({"city": "Harbor"}));
    assert_eq!(user["directory_access"], "hierarchy");
    assert_eq!(user["is_org_admin"], true);
    assert_eq!(w.api.get(&path).await.body, user);

    let stale = w
        .api
        .patch(&path, &json!({"first_name": "Lost"}), Some(&etag))
        .await;
    stale.expect(412);
    assert_eq!(stale.content_type(), "application/problem+json");
    w.api
        .patch(&path, &json!({"status": "banned"}), None)
        .await
        .expect_problem(422, "status");
    w.api
        .patch(&path, &json!({"placements": []}), None)
        .await
        .expect_problem(422, "placements");
    w.api
        .patch(
            &path,
            &json!({"hire_date": "2021-01-04", "last_day": "2020-01-01"}),
            None,
        )
        .await
        .expect_problem(422, "hire_date");
    w.api
        .patch(&path, &json!({"email": "nope"}), None)
        .await
        .expect_problem(422, "email");
    w.api
        .patch(&path, &json!({"reports_to_id": id}), None)
        .await
        .expect_problem(422, "reports_to_id");
    w.api
        .patch(&format!("{path}?bogus=1"), &json!({}), None)
        .await
        .expect_problem(422, "bogus");
    w.api
        .patch(
            "/users/0190e0d6-7a3c-7f00-8000-000000000000",
            &json!({"first_name": "Ghost"}),
            None,
        )
        .await
        .expect(404);
    let unchanged = w
        .api
        .patch(&path, &json!({"first_name": "Maxine"}), None)
        .await;
    assert_eq!(
        unchanged.etag().as_deref(),
        Some("\"2\""),
        "a no-op changes nothing"
    );
    assert_eq!(w.api.get(&path).await.body, user);
}

async fn switching_the_login_kind_manages_the_secrets(backend: Backend) {
    let w = world(backend).await;
    let user = create(
        &w,
        &user_body("kiosk", "Kim", "Osk", &w.station1, &w.admin_role),
    )
    .await;
    let path = format!("/users/{}", str_of(&user["id"]));

    w.api
        .patch(&path, &json!({"login_kind": "pin"}), None)
        .await
        .expect_problem(422, "pin");
    w.api
        .patch(&path, &json!({"login_kind": "pin", "pin": "12"}), None)
        .await
        .expect_problem(422, "pin");
    let pin = w
        .api
        .patch(&path, &json!({"login_kind": "pin", "pin": "4321"}), None)
        .await;
    assert_eq!(pin.expect(200)["login_kind"], "pin");
    w.api
        .patch(&path, &json!({"password": "another long password"}), None)
        .await
        .expect_problem(422, "password");
    let none = w
        .api
        .patch(&path, &json!({"login_kind": "none"}), None)
        .await;
    assert_eq!(none.expect(200)["login_kind"], "none");
    let back = w
        .api
        .patch(&path, &json!({"login_kind": "password"}), None)
        .await;
    assert_eq!(back.expect(200)["login_kind"], "password");
    assert_eq!(
        back.body["must_change_password"], true,
        "a generated password"
    );
    let set = w
        .api
        .patch(
            &path,
            &json!({"password": "a brand new secret", "must_change_password": false}),
            None,
        )
        .await;
    assert_eq!(set.expect(200)["must_change_password"], false);
    assert!(!set.body.to_string().contains("brand new"));
}

async fn the_lifecycle_moves_users_between_statuses(backend: Backend) {
    let w = world(backend).await;
    let retired_status = reference_item(&w.app, &w.org, "separation_statuses", "Retired").await;
    let mut body = user_body("life", "Liv", "Cycle", &w.station1, &w.admin_role);
    body["hire_date"] = json!("2010-01-01");
    let user = create(&w, &body).await;
    let path = format!("/users/{}", str_of(&user["id"]));
    let step = |action: &str| format!("{path}/{action}");

    let inactive = w.api.post(&step("deactivate"), &json!({})).await;
    assert_eq!(inactive.expect(200)["status"], "inactive");
    assert_eq!(inactive.etag().as_deref(), Some("\"2\""));
    assert_eq!(
        total(&w.api, "").await,
        1,
        "inactive users are hidden by default"
    );
    assert_eq!(total(&w.api, "status=inactive").await, 1);
    let active = w.api.post(&step("reactivate"), &json!({})).await;
    assert_eq!(active.expect(200)["status"], "active");

    let banned = w
        .api
        .post(&step("ban"), &json!({"reason": "too many failed sign-ins"}))
        .await;
    assert_eq!(banned.expect(200)["status"], "banned");
    let unbanned = w
        .api
        .send(reqwest::Method::POST, &step("unban"), None, None)
        .await;
    assert_eq!(unbanned.expect(200)["status"], "active");
    let banned_without_reason = w
        .api
        .send(reqwest::Method::POST, &step("ban"), None, None)
        .await;
    assert_eq!(banned_without_reason.expect(200)["status"], "banned");

    let retired = w
        .api
        .post(
            &step("retire"),
            &json!({"separation_status_id": retired_status, "last_day": "2026-06-30"}),
        )
        .await;
    let retired = retired.expect(200);
    assert_eq!(retired["status"], "retired");
    assert_eq!(retired["separation_status_id"], json!(retired_status));
    assert_eq!(retired["last_day"], "2026-06-30");
    let back = w.api.post(&step("reactivate"), &json!({})).await;
    assert_eq!(back.expect(200)["status"], "active");
    assert_eq!(back.body["separation_status_id"], Value::Null);
    assert_eq!(back.body["last_day"], Value::Null);

    let separated = w
        .api
        .post(
            &step("separate"),
            &json!({"separation_status_id": retired_status, "last_day": "2026-07-31"}),
        )
        .await;
    assert_eq!(separated.expect(200)["status"], "separated");
    assert_eq!(total(&w.api, "status=separated").await, 1);
    assert_eq!(
        w.api
            .post(&step("reactivate"), &json!({}))
            .await
            .expect(200)["status"],
        "active"
    );
    assert_eq!(w.api.get(&path).await.etag().as_deref(), Some("\"10\""));
}

async fn a_user_can_be_created_inactive_but_no_other_way(backend: Backend) {
    let w = world(backend).await;
    let mut body = user_body("dormant", "Dora", "Mant", &w.station1, &w.admin_role);
    body["status"] = json!("inactive");
    let user = create(&w, &body).await;
    assert_eq!(user["status"], "inactive");
    let path = format!("/users/{}", str_of(&user["id"]));
    assert_eq!(
        w.api
            .post(&format!("{path}/reactivate"), &json!({}))
            .await
            .expect(200)["status"],
        "active"
    );
    for status in ["banned", "retired", "deleted"] {
        let mut body = user_body("odd", "Odd", "Status", &w.station1, &w.admin_role);
        body["status"] = json!(status);
        w.api
            .post("/users", &body)
            .await
            .expect_problem(422, "status");
    }
    assert_eq!(
        total(&w.api, ALL_STATUSES).await,
        2,
        "only the admin and Dora"
    );
}

async fn invalid_lifecycle_steps_are_conflicts_on_status(backend: Backend) {
    let w = world(backend).await;
    let status = reference_item(&w.app, &w.org, "separation_statuses", "Resigned").await;
    let rank = reference_item(&w.app, &w.org, "ranks", "Captain").await;
    let mut body = user_body("steps", "Ste", "Ps", &w.station1, &w.admin_role);
    body["hire_date"] = json!("2020-01-01");
    let user = create(&w, &body).await;
    let path = format!("/users/{}", str_of(&user["id"]));
    let step = |action: &str| format!("{path}/{action}");
    let empty = json!({});

    w.api
        .post(&step("unban"), &empty)
        .await
        .expect_problem(409, "status");
    w.api
        .post(&step("reactivate"), &empty)
        .await
        .expect_problem(409, "status");
    w.api.post(&step("deactivate"), &empty).await.expect(200);
    w.api
        .post(&step("deactivate"), &empty)
        .await
        .expect_problem(409, "status");
    w.api
        .post(&step("unban"), &empty)
        .await
        .expect_problem(409, "status");
    w.api
        .post(&step("retire"), &json!({"last_day": "2026-01-01"}))
        .await
        .expect_problem(422, "separation_status_id");
    w.api
        .post(&step("retire"), &json!({"separation_status_id": status}))
        .await
        .expect_problem(422, "last_day");
    w.api
        .post(
            &step("retire"),
            &json!({"separation_status_id": rank, "last_day": "2026-01-01"}),
        )
        .await
        .expect_problem(422, "separation_status_id");
    w.api
        .post(
            &step("retire"),
            &json!({"separation_status_id": status, "last_day": "2019-12-31"}),
        )
        .await
        .expect_problem(422, "last_day");
    w.api
        .post(
            &step("retire"),
            &json!({"separation_status_id": status, "last_day": "2026-13-01"}),
        )
        .await
        .expect_problem(422, "last_day");
    w.api
        .post(&step("ban"), &json!({"why": "x"}))
        .await
        .expect_problem(422, "why");
    w.api
        .post(&step("ban"), &json!({"reason": "x".repeat(1001)}))
        .await
        .expect_problem(422, "reason");
    w.api.post(&step("ban"), &empty).await.expect(200);
    w.api
        .post(&step("ban"), &empty)
        .await
        .expect_problem(409, "status");
    w.api
        .post(&step("deactivate"), &empty)
        .await
        .expect_problem(409, "status");
    w.api.post(&step("reactivate"), &empty).await.expect(200);
    w.api.post(&step("deactivate"), &empty).await.expect(200);
    w.api
        .send(
            reqwest::Method::POST,
            &step("reactivate"),
            None,
            Some("\"1\""),
        )
        .await
        .expect(412);
    let me = format!("/users/{}", w.org.admin_id);
    w.api
        .post(&format!("{me}/ban"), &empty)
        .await
        .expect_problem(409, "status");
    w.api.delete(&me, None).await.expect_problem(409, "status");
    let read = w.api.get(&path).await;
    assert_eq!(read.body["status"], "inactive");
    assert_eq!(
        read.body["last_day"],
        Value::Null,
        "refused steps change nothing"
    );
}

async fn deleted_users_disappear_but_keep_their_login(backend: Backend) {
    let w = world(backend).await;
    let user = create(
        &w,
        &user_body("gone", "Gon", "Erson", &w.station1, &w.admin_role),
    )
    .await;
    let path = format!("/users/{}", str_of(&user["id"]));

    w.api.delete(&path, Some("\"7\"")).await.expect(412);
    w.api.delete(&path, Some("\"1\"")).await.expect(204);

    w.api.get(&path).await.expect(404);
    w.api
        .patch(&path, &json!({"first_name": "Back"}), None)
        .await
        .expect(404);
    w.api.get(&format!("{path}/placements")).await.expect(404);
    // Hidden everywhere: no lifecycle step finds them either.
    for action in ["reactivate", "unban", "ban", "deactivate"] {
        w.api
            .post(&format!("{path}/{action}"), &json!({}))
            .await
            .expect(404);
    }
    w.api.delete(&path, None).await.expect(404);
    assert_eq!(total(&w.api, ALL_STATUSES).await, 1);
    assert_eq!(total(&w.api, "q=gone").await, 0);
    w.api
        .get("/users?status=deleted")
        .await
        .expect_problem(422, "status");
    w.api
        .post(
            "/users",
            &user_body("GONE", "G", "E", &w.station1, &w.admin_role),
        )
        .await
        .expect_problem(409, "login");
    // A node whose only placed user is deleted can be deleted.
    let lonely = node(&w.api, "Lonely", "Location", &w.ops).await;
    let lonely_id = str_of(&lonely["id"]);
    let lone = create(
        &w,
        &user_body("lone", "L", "One", &lonely_id, &w.admin_role),
    )
    .await;
    w.api
        .delete(&format!("/users/{}", str_of(&lone["id"])), None)
        .await
        .expect(204);
    w.api
        .delete(&format!("/nodes/{lonely_id}"), None)
        .await
        .expect(204);
}

async fn the_user_list_searches_and_filters(backend: Backend) {
    let w = world(backend).await;
    let employee = restricted_role(
        &w.app,
        &w.org,
        "Dispatcher",
        &[&w.location_kind, &w.region_kind],
    )
    .await;
    let mut ada = user_body(
        "ada@bayfire.gov",
        "Ada",
        "Lovelace",
        &w.station1,
        &w.admin_role,
    );
    ada["employee_number"] = json!("E-100");
    ada["phones"] = json!([{"kind": "work", "number": "555-0001", "private": true}]);
    create(&w, &ada).await;
    create(
        &w,
        &json!({"login": "grace", "first_name": "Grace", "last_name": "Hopper",
                "login_kind": "pin", "pin": "2468",
                "placements": [{"node_id": w.station2, "role_id": employee}]}),
    )
    .await;
    let alan = create(
        &w,
        &json!({"login": "alan", "first_name": "Alan", "last_name": "Turing",
        "login_kind": "none", "email": "alan@enigma.org",
        "placements": [
            {"node_id": w.south, "role_id": employee, "default": true},
            {"node_id": w.station1, "role_id": w.admin_role}
        ]}),
    )
    .await;
    let edsger = create(
        &w,
        &user_body("edsger", "Edsger", "Dijkstra", &w.south, &w.admin_role),
    )
    .await;
    w.api
        .post(
            &format!("/users/{}/deactivate", str_of(&edsger["id"])),
            &json!({}),
        )
        .await
        .expect(200);
    let barbara = create(
        &w,
        &user_body("barbara", "Barbara", "Liskov", &w.ops, &w.admin_role),
    )
    .await;
    w.api
        .post(
            &format!("/users/{}/ban", str_of(&barbara["id"])),
            &json!({}),
        )
        .await
        .expect(200);

    let search = |q: &str| {
        let api = w.api.clone();
        let q = q.to_owned();
        async move {
            logins(
                api.get(&format!("/users?q={q}&{ALL_STATUSES}"))
                    .await
                    .expect(200),
            )
        }
    };
    assert_eq!(
        search("LOVE").await,
        ["ada@bayfire.gov"],
        "last name, any case"
    );
    assert_eq!(search("grace").await, ["grace"], "first name");
    assert_eq!(search("ada%20love").await, ["ada@bayfire.gov"], "full name");
    assert_eq!(search("enigma").await, ["alan"], "email");
    assert_eq!(search("e-10").await, ["ada@bayfire.gov"], "employee number");
    assert_eq!(
        search("dispatch").await,
        ["grace", "alan"],
        "default role name"
    );
    assert_eq!(
        search("south").await,
        ["edsger", "alan"],
        "default node name"
    );
    assert_eq!(search("station%202").await, ["grace"]);
    assert_eq!(search("100%25").await, Vec::<String>::new(), "% is literal");
    assert_eq!(search("_").await, Vec::<String>::new(), "_ is literal");

    let active = w.api.get("/users").await;
    assert_eq!(active.expect(200)["total"], 4);
    assert_eq!(
        logins(&active.body),
        ["chief", "grace", "ada@bayfire.gov", "alan"],
        "active users only, by last name"
    );
    assert_eq!(total(&w.api, "status=inactive&status=banned").await, 2);
    assert_eq!(total(&w.api, "status=inactive,banned,active").await, 6);
    assert_eq!(total(&w.api, "status=banned&login_kind=password").await, 1);
    assert_eq!(
        total(&w.api, &format!("login_kind=pin&{ALL_STATUSES}")).await,
        1
    );
    assert_eq!(
        total(&w.api, &format!("login_kind=none&{ALL_STATUSES}")).await,
        1
    );
    let north = w
        .api
        .get(&format!("/users?node_id={}&{ALL_STATUSES}", w.north))
        .await;
    let mut under_north = logins(north.expect(200));
    under_north.sort();
    assert_eq!(
        under_north,
        ["ada@bayfire.gov", "alan", "barbara", "grace"],
        "placements at North or below, default or not"
    );
    assert_eq!(north.body["total"], 4);
    assert_eq!(
        total(&w.api, &format!("node_id={}&{ALL_STATUSES}", w.station1)).await,
        2
    );
    assert_eq!(
        total(&w.api, &format!("node_id={}", w.org.root_node_id)).await,
        4
    );
    let alan_summary = w.api.get("/users?q=turing").await;
    assert_eq!(alan_summary.body["items"][0]["id"], alan["id"]);
    assert_eq!(alan_summary.body["items"][0]["default_node_name"], "South");
    assert_eq!(
        alan_summary.body["items"][0]["default_role_name"],
        "Dispatcher"
    );
    let ada_summary = w.api.get("/users?q=ada@").await;
    assert_eq!(
        ada_summary.body["items"][0]["phone"],
        Value::Null,
        "private numbers are not listed"
    );

    for (query, field) in [
        ("colour=red", "colour"),
        ("status=gone", "status"),
        ("status=deleted", "status"),
        ("login_kind=retina", "login_kind"),
        ("sort=age", "sort"),
        ("order=up", "order"),
        ("node_id=42", "node_id"),
        ("node_id=0190e0d6-7a3c-7f00-8000-000000000000", "node_id"),
        ("limit=0", "limit"),
        ("limit=many", "limit"),
        ("cursor=garbage", "cursor"),
        ("sort=login&sort=last_name", "sort"),
    ] {
        w.api
            .get(&format!("/users?{query}"))
            .await
            .expect_problem(422, field);
    }
}

/// An RFC 3339 UTC time with its fraction padded to nine digits, so that times compare as
/// text.
fn sortable_time(t: &str) -> String {
    let t = t.trim_end_matches('Z');
    let (whole, fraction) = t.split_once('.').unwrap_or((t, ""));
    format!("{whole}.{fraction:0<9}Z")
}

async fn every_sort_pages_in_both_orders(backend: Backend) {
    let w = world(backend).await;
    // (login, first, last, default node)
    let people = [
        ("u-delta", "Dana", "Baker", &w.station2),
        ("u-alpha", "Zoe", "Adams", &w.station1),
        ("u-echo", "Abe", "Baker", &w.south),
        ("u-bravo", "Cy", "Young", &w.station1),
        ("u-golf", "Eve", "Clark", &w.ops),
        ("u-charlie", "Eve", "Clark", &w.north),
        ("u-foxtrot", "Bo", "Zeta", &w.station2),
    ];
    for (login, first, last, node) in &people {
        create(&w, &user_body(login, first, last, node, &w.admin_role)).await;
    }
    let all = w.api.get("/users?limit=500").await.expect(200).clone();
    let mut users: Vec<Value> = Vec::new();
    for item in all["items"].as_array().unwrap() {
        let full = w
            .api
            .get(&format!("/users/{}", str_of(&item["id"])))
            .await
            .expect(200)
            .clone();
        users.push(full);
    }
    assert_eq!(users.len(), 8);
    // Some users signed in, at distinct times; the others never did.
    let store = w.app.store().await;
    let org_id: OrgId = w.org.org_id.parse().unwrap();
    let base = DbTime::now().get();
    for (n, login) in ["u-echo", "u-alpha", "chief", "u-golf"].iter().enumerate() {
        let user = users.iter_mut().find(|u| u["login"] == *login).unwrap();
        let minutes = u64::try_from(n).unwrap() * 7;
        let at = DbTime::new(base - std::time::Duration::from_secs(minutes * 60));
        let mut tx = store.begin().await.unwrap();
        muster_store::users::record_sign_in(
            &mut tx,
            org_id,
            str_of(&user["id"]).parse::<UserId>().unwrap(),
            at,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        user["last_login_at"] = json!(at.to_canonical_string());
    }
    let node_names: std::collections::HashMap<String, String> = users
        .iter()
        .map(|u| (str_of(&u["id"]), str_of(&u["placements"][0]["node_name"])))
        .collect();
    let lower = |u: &Value, f: &str| u[f].as_str().unwrap().to_lowercase();
    let id = |u: &Value| str_of(&u["id"]);
    let time = |u: &Value, f: &str| u[f].as_str().map(sortable_time);

    for sort in [
        "last_name",
        "first_name",
        "login",
        "last_login_at",
        "default_node",
        "created_at",
    ] {
        for order in ["asc", "desc"] {
            let mut expected = users.clone();
            expected.sort_by(|a, b| {
                let by_key = match sort {
                    "last_name" => (lower(a, "last_name"), lower(a, "first_name"))
                        .cmp(&(lower(b, "last_name"), lower(b, "first_name"))),
                    "first_name" => (lower(a, "first_name"), lower(a, "last_name"))
                        .cmp(&(lower(b, "first_name"), lower(b, "last_name"))),
                    "login" => lower(a, "login").cmp(&lower(b, "login")),
                    "default_node" => node_names[&id(a)]
                        .to_lowercase()
                        .cmp(&node_names[&id(b)].to_lowercase()),
                    "created_at" => time(a, "created_at").cmp(&time(b, "created_at")),
                    _ => Ordering::Equal,
                };
                let asc = order == "asc";
                if sort == "last_login_at" {
                    // Never signed in comes last in both directions.
                    let by_time = match (time(a, "last_login_at"), time(b, "last_login_at")) {
                        (Some(x), Some(y)) if asc => x.cmp(&y),
                        (Some(x), Some(y)) => y.cmp(&x),
                        (Some(_), None) => Ordering::Less,
                        (None, Some(_)) => Ordering::Greater,
                        (None, None) => Ordering::Equal,
                    };
                    let by_id = if asc {
                        id(a).cmp(&id(b))
                    } else {
                        id(b).cmp(&id(a))
                    };
                    return by_time.then(by_id);
                }
                let ordered = by_key.then_with(|| id(a).cmp(&id(b)));
                if asc { ordered } else { ordered.reverse() }
            });
            let expected: Vec<String> = expected.iter().map(|u| str_of(&u["login"])).collect();

            let mut seen = Vec::new();
            let mut pages = 0;
            let mut cursor: Option<String> = None;
            loop {
                let mut path = format!("/users?sort={sort}&order={order}&limit=3");
                if let Some(c) = &cursor {
                    path = format!("{path}&cursor={c}");
                }
                let page = w.api.get(&path).await.expect(200).clone();
                assert_eq!(page["total"], 8, "{sort} {order}");
                pages += 1;
                seen.extend(logins(&page));
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break,
                }
            }
            assert_eq!(seen, expected, "sort={sort} order={order}");
            assert_eq!(pages, 3, "sort={sort} order={order}");
        }
    }
    // A cursor belongs to its sort.
    let first = w.api.get("/users?sort=login&limit=3").await;
    let cursor = str_of(&first.body["next_cursor"]);
    w.api
        .get(&format!("/users?sort=first_name&limit=3&cursor={cursor}"))
        .await
        .expect_problem(422, "cursor");
    w.api
        .get(&format!(
            "/users?sort=login&order=desc&limit=3&cursor={cursor}"
        ))
        .await
        .expect_problem(422, "cursor");
}

async fn placements_follow_the_placement_rules(backend: Backend) {
    let w = world(backend).await;
    let other_org = w.app.init_org("Harbor Police", "harbor").await;
    let regional = restricted_role(&w.app, &w.org, "Regional chief", &[&w.region_kind]).await;
    let user = create(
        &w,
        &user_body("placed", "Pla", "Ced", &w.station1, &w.admin_role),
    )
    .await;
    let id = str_of(&user["id"]);
    let base = format!("/users/{id}/placements");
    let at = |node: &str| format!("{base}/{node}");

    let listed = w.api.get(&base).await;
    assert_eq!(listed.expect(200)["total"], 1);
    assert_eq!(listed.etag().as_deref(), Some("\"1\""));
    w.api
        .delete(&at(&w.station1), None)
        .await
        .expect_problem(409, "node_id");

    let added = w
        .api
        .send(
            reqwest::Method::POST,
            &base,
            Some(&json!({"node_id": w.north, "role_id": regional, "starts_on": "2026-01-01"})),
            Some("\"1\""),
        )
        .await;
    assert_eq!(
        added.expect(201),
        &json!({"node_id": w.north, "node_name": "North", "role_id": regional,
                "role_name": "Regional chief", "default": false,
                "starts_on": "2026-01-01", "ends_on": null})
    );
    assert_eq!(
        added.etag().as_deref(),
        Some("\"2\""),
        "placements change the user's version"
    );
    w.api
        .send(
            reqwest::Method::POST,
            &base,
            Some(&json!({"node_id": w.south, "role_id": w.admin_role})),
            Some("\"1\""),
        )
        .await
        .expect(412);
    w.api
        .post(&base, &json!({"node_id": w.north, "role_id": w.admin_role}))
        .await
        .expect_problem(409, "node_id");
    w.api
        .post(&base, &json!({"node_id": w.station2, "role_id": regional}))
        .await
        .expect_problem(409, "role_id");
    w.api
        .post(
            &base,
            &json!({"node_id": other_org.root_node_id, "role_id": w.admin_role}),
        )
        .await
        .expect_problem(422, "node_id");
    w.api
        .post(
            &base,
            &json!({"node_id": w.south, "role_id": w.admin_role,
                    "starts_on": "2026-02-01", "ends_on": "2026-01-01"}),
        )
        .await
        .expect_problem(422, "ends_on");
    w.api
        .post(&base, &json!({"node_id": w.south}))
        .await
        .expect(422);

    w.api
        .patch(
            &at(&w.north),
            &json!({"role_id": regional, "node_id": w.station2}),
            None,
        )
        .await
        .expect_problem(409, "role_id");
    w.api
        .patch(&at(&w.north), &json!({"node_id": w.station1}), None)
        .await
        .expect_problem(409, "node_id");
    w.api
        .patch(&at(&w.north), &json!({"ends_on": "2025-12-31"}), None)
        .await
        .expect_problem(422, "ends_on");
    w.api
        .patch(&at(&w.south), &json!({"ends_on": "2026-12-31"}), None)
        .await
        .expect(404);
    let patched = w
        .api
        .patch(
            &at(&w.north),
            &json!({"role_id": w.admin_role, "starts_on": null, "ends_on": "2026-12-31"}),
            Some("\"2\""),
        )
        .await;
    assert_eq!(patched.expect(200)["role_name"], "Administrator");
    assert_eq!(patched.body["starts_on"], Value::Null);
    assert_eq!(patched.body["ends_on"], "2026-12-31");
    assert_eq!(patched.etag().as_deref(), Some("\"3\""));
    let moved = w
        .api
        .patch(&at(&w.north), &json!({"node_id": w.south}), None)
        .await;
    assert_eq!(moved.expect(200)["node_name"], "South");

    w.api
        .delete(&at(&w.station1), None)
        .await
        .expect_problem(409, "node_id");
    w.api
        .put(
            &format!("/users/{id}/default-placement"),
            &json!({"node_id": w.north}),
        )
        .await
        .expect_problem(422, "node_id");
    let switched = w
        .api
        .put(
            &format!("/users/{id}/default-placement"),
            &json!({"node_id": w.south}),
        )
        .await;
    let items = switched.expect(200)["items"].clone();
    assert_eq!(items[0]["node_id"], json!(w.south));
    assert_eq!(items[0]["default"], true);
    assert_eq!(items[1]["default"], false);
    let profile = w.api.get(&format!("/users/{id}")).await;
    assert_eq!(profile.body["default_node_id"], json!(w.south));
    assert_eq!(profile.etag(), switched.etag());
    w.api
        .delete(&at(&w.station1), Some("\"1\""))
        .await
        .expect(412);
    w.api.delete(&at(&w.station1), None).await.expect(204);
    w.api
        .delete(&at(&w.south), None)
        .await
        .expect_problem(409, "node_id");
    let last = w.api.get(&base).await;
    assert_eq!(last.body["total"], 1);
    assert_eq!(last.body["items"][0]["node_id"], json!(w.south));
    assert_eq!(
        w.api
            .get(&format!("/users?q=south&{ALL_STATUSES}"))
            .await
            .body["total"],
        1
    );
    // Nodes with placed users cannot be deleted.
    w.api
        .delete(&format!("/nodes/{}", w.south), None)
        .await
        .expect_problem(409, "id");
}

async fn users_of_another_organization_are_invisible(backend: Backend) {
    let w = world(backend).await;
    let other = w.app.init_org("Harbor Police", "harbor").await;
    let other_api = w.app.api(&other);
    let theirs = other_api
        .get(&format!("/users/{}", other.admin_id))
        .await
        .expect(200)
        .clone();
    let ours = create(
        &w,
        &user_body("ours", "O", "Urs", &w.station1, &w.admin_role),
    )
    .await;
    let path = format!("/users/{}", other.admin_id);

    w.api.get(&path).await.expect(404);
    w.api
        .patch(&path, &json!({"first_name": "Hacked"}), None)
        .await
        .expect(404);
    w.api
        .post(&format!("{path}/deactivate"), &json!({}))
        .await
        .expect(404);
    w.api.delete(&path, None).await.expect(404);
    w.api.get(&format!("{path}/placements")).await.expect(404);
    w.api
        .post(
            &format!("{path}/placements"),
            &json!({"node_id": w.south, "role_id": w.admin_role}),
        )
        .await
        .expect(404);
    assert_eq!(total(&w.api, ALL_STATUSES).await, 2);
    assert_eq!(total(&other_api, ALL_STATUSES).await, 1);
    assert_eq!(
        logins(other_api.get("/users?q=ours").await.expect(200)),
        Vec::<String>::new()
    );
    other_api
        .get(&format!("/users/{}", str_of(&ours["id"])))
        .await
        .expect(404);
    w.api
        .patch(
            &format!("/users/{}", str_of(&ours["id"])),
            &json!({"reports_to_id": other.admin_id}),
            None,
        )
        .await
        .expect_problem(422, "reports_to_id");
    // The same login may exist in another organization.
    create(
        &w,
        &user_body("harbor", "H", "Arbor", &w.station1, &w.admin_role),
    )
    .await;
    assert_eq!(other_api.get(&path).await.body, theirs);
}

async fn every_user_change_is_audited_without_secrets(backend: Backend) {
    let w = world(backend).await;
    let user = create(
        &w,
        &user_body("audited", "Aud", "Ited", &w.station1, &w.admin_role),
    )
    .await;
    let id = str_of(&user["id"]);
    let path = format!("/users/{id}");
    w.api
        .patch(
            &path,
            &json!({"first_name": "Audrey", "password": "a secret nobody sees"}),
            None,
        )
        .await
        .expect(200);
    w.api
        .post(&format!("{path}/ban"), &json!({"reason": "lost badge"}))
        .await
        .expect(200);
    w.api
        .post(
            &format!("{path}/placements"),
            &json!({"node_id": w.south, "role_id": w.admin_role}),
        )
        .await
        .expect(201);
    w.api
        .patch(
            &format!("{path}/placements/{}", w.south),
            &json!({"ends_on": "2027-01-31"}),
            None,
        )
        .await
        .expect(200);
    w.api
        .put(
            &format!("{path}/default-placement"),
            &json!({"node_id": w.south}),
        )
        .await
        .expect(200);
    // A node that is not in the organization holds no placement: 404, not 403.
    let nowhere = "2539b82f-14c6-4b6f-9f5f-6e0da80f8a1a";
    w.api
        .delete(&format!("{path}/placements/{nowhere}"), None)
        .await
        .expect_problem_type(404, "not-found");
    w.api
        .patch(
            &format!("{path}/placements/{nowhere}"),
            &json!({"ends_on": "2027-01-31"}),
            None,
        )
        .await
        .expect_problem_type(404, "not-found");
    w.api
        .put(
            &format!("{path}/default-placement"),
            &json!({"node_id": nowhere}),
        )
        .await
        .expect_problem_type(404, "not-found");
    w.api
        .delete(&format!("{path}/placements/{}", w.station1), None)
        .await
        .expect(204);
    w.api.delete(&path, None).await.expect(204);

    let store = w.app.store().await;
    let org_id: OrgId = w.org.org_id.parse().unwrap();
    let events = muster_store::audit::chain_batch(&store, org_id, 0, 1000)
        .await
        .unwrap();
    let mine: Vec<_> = events
        .iter()
        .filter(|e| e.subject_id.map(|s| s.to_string()) == Some(id.clone()))
        .collect();
    let actions: Vec<&str> = mine.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user.create",
            "user.update",
            "user.ban",
            "placement.add",
            "placement.update",
            "placement.set_default",
            "placement.delete",
            "user.delete"
        ]
    );
    let changes = |action: &str| {
        mine.iter()
            .find(|e| e.action == action)
            .map(|e| serde_json::from_str::<Value>(&e.changes).unwrap())
            .unwrap()
    };
    assert_eq!(
        changes("user.create")["password"],
        json!({"before": null, "after": "***"})
    );
    assert_eq!(changes("user.create")["login"]["after"], "audited");
    assert_eq!(
        changes("user.update"),
        json!({"first_name": {"before": "Aud", "after": "Audrey"},
               "password": {"before": "***", "after": "***"}})
    );
    assert_eq!(
        changes("user.ban"),
        json!({"status": {"before": "active", "after": "banned"},
               "reason": {"before": null, "after": "lost badge"}})
    );
    assert_eq!(
        changes("placement.update"),
        json!({"ends_on": {"before": null, "after": "2027-01-31"}})
    );
    assert_eq!(
        changes("placement.set_default")["default_node_id"],
        json!({"before": w.station1, "after": w.south})
    );
    assert_eq!(
        changes("user.delete")["status"],
        json!({"before": "banned", "after": "deleted"})
    );
    for event in &mine {
        let kind = if event.action.starts_with("placement.") {
            "placement"
        } else {
            "user"
        };
        assert_eq!(event.target_kind, kind, "{}", event.action);
        let text = event.changes.clone();
        assert!(
            !text.contains("argon2") && !text.contains("nobody sees") && !text.contains("battery"),
            "{}: {text}",
            event.action
        );
    }
    let placement = mine
        .iter()
        .find(|e| e.action == "placement.delete")
        .unwrap();
    assert_eq!(
        placement.target_id.map(|t| t.to_string()),
        Some(w.station1.clone())
    );
    let verified = muster_service::audit::verify(&store, org_id).await.unwrap();
    assert!(verified.ok, "{verified:?}");
}
