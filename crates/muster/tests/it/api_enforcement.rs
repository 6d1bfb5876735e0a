//! Authorization enforced route by route (DESIGN.md §2): scope by current location,
//! read-only placements elsewhere, the multi-location confirmation, no escalation,
//! self-service fields, profile sections, organization-wide objects, token limits and
//! the directory — each through the real API with signed-in users.
//!
//! The agency (after `reference/emtrack-users-locations-roles.txt`):
//!
//! ```text
//! Bay City Police
//! ├── North (Region) ── regadmin: Regional Administrator
//! │   ├── Patrol (Division) ── divadmin: Division Administrator, Lieutenants
//! │   │   └── Station 1 ── officer1 (Sergeants), multi (also at Station 9)
//! │   └── Traffic (Division)
//! │       └── Station 2 ── officer2
//! └── South (Region)
//!     └── Station 9 ── officer9
//! ```
#![allow(clippy::too_many_lines)] // Scenario tests read best top to bottom.

use muster_testkit::{Api, Backend, TestApp, on_both_backends};
use reqwest::Method;
use serde_json::{Value, json};

use crate::spawn;

on_both_backends!(
    a_division_administrator_sees_and_counts_only_their_division,
    placements_elsewhere_are_read_only_and_multi_location_changes_need_confirmation,
    nobody_grants_more_than_they_hold_or_raises_their_own_access,
    employees_change_only_the_fields_their_organization_allows,
    profiles_show_only_the_sections_the_viewer_may_see,
    organization_wide_objects_need_the_capability_at_the_organization,
    api_tokens_act_within_their_capabilities,
    the_directory_shows_what_each_users_directory_access_allows,
    every_route_refuses_a_caller_without_rights,
);

pub(crate) const PASSWORD: &str = "Correct-Horse-Battery-Staple-9";

/// The agency and its people's ids.
pub(crate) struct Agency {
    pub(crate) app: TestApp,
    pub(crate) admin: Api,
    pub(crate) slug: String,
    pub(crate) north: String,
    pub(crate) patrol: String,
    pub(crate) station1: String,
    pub(crate) station2: String,
    pub(crate) south: String,
    pub(crate) station9: String,
    pub(crate) employee_role: String,
    pub(crate) division_role: String,
    pub(crate) lieutenants: String,
    pub(crate) sergeants: String,
    pub(crate) divadmin: String,
    pub(crate) officer1: String,
    pub(crate) officer2: String,
    pub(crate) officer9: String,
    pub(crate) multi: String,
}

fn id_of(reply: &muster_testkit::Reply) -> String {
    reply.expect(201)["id"].as_str().unwrap().to_owned()
}

async fn post_id(api: &Api, path: &str, body: Value) -> String {
    id_of(&api.post(path, &body).await)
}

pub(crate) async fn agency(backend: Backend) -> Agency {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Police", "chief").await;
    let admin = app.api(&org);
    let root = org.root_node_id.clone();
    let node = |name: &str, kind: &str, parent: &str| {
        let (admin, body) = (
            admin.clone(),
            json!({"name": name, "kind": kind, "parent_id": parent}),
        );
        async move { post_id(&admin, "/nodes", body).await }
    };
    let north = node("North", "Region", &root).await;
    let patrol = node("Patrol", "Division", &north).await;
    let station1 = node("Station 1", "Location", &patrol).await;
    let traffic = node("Traffic", "Division", &north).await;
    let station2 = node("Station 2", "Location", &traffic).await;
    let south = node("South", "Region", &root).await;
    let station9 = node("Station 9", "Location", &south).await;

    let roles = admin.get("/roles?limit=500").await;
    let employee_role = roles.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Employee")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let people_caps = json!([
        "users.view",
        "users.create",
        "users.edit",
        "users.lifecycle",
        "users.reset_password",
        "placements.add",
        "placements.edit_role",
        "placements.edit_location",
        "placements.delete",
        "placements.set_default"
    ]);
    let regional_role = post_id(
        &admin,
        "/roles",
        json!({"name": "Regional Administrator", "assignable_at": ["Region"],
               "capabilities": people_caps, "preset": "view_only"}),
    )
    .await;
    let division_role = post_id(
        &admin,
        "/roles",
        json!({"name": "Division Administrator", "assignable_at": ["Division"],
               "capabilities": ["users.view", "users.create", "users.edit", "users.lifecycle",
                                "placements.add", "placements.edit_role", "placements.delete",
                                "org.manage"],
               "preset": "view_only"}),
    )
    .await;
    let lieutenants = post_id(
        &admin,
        "/command-groups",
        json!({"name": "Lieutenants", "privileges": [
            {"scope": "direct", "access": "view", "section": "demographics"},
            {"scope": "direct", "access": "edit", "section": "discipline"}]}),
    )
    .await;
    let sergeants = post_id(
        &admin,
        "/command-groups",
        json!({"name": "Sergeants", "parent_id": lieutenants,
               "privileges": [{"scope": "peers", "access": "view", "section": "commendations"}]}),
    )
    .await;
    let person = |login: &str, node: &str, role: &str, group: Option<&str>| {
        let body = json!({"login": login, "first_name": "Pat", "last_name": login,
            "email": format!("{login}@bcpd.gov"), "password": PASSWORD,
            "command_group_id": group,
            "phones": [{"kind": "mobile", "number": "555-0100", "private": false},
                       {"kind": "home", "number": "555-0199", "private": true}],
            "demographics": {"gender": "F"},
            "placements": [{"node_id": node, "role_id": role, "default": true}]});
        let admin = admin.clone();
        async move { post_id(&admin, "/users", body).await }
    };
    person("regadmin", &north, &regional_role, None).await;
    let divadmin = person("divadmin", &patrol, &division_role, Some(&lieutenants)).await;
    let officer1 = person("officer1", &station1, &employee_role, Some(&sergeants)).await;
    let officer2 = person("officer2", &station2, &employee_role, None).await;
    let officer9 = person("officer9", &station9, &employee_role, None).await;
    let multi = person("multi", &station1, &employee_role, Some(&sergeants)).await;
    admin
        .post(
            &format!("/users/{multi}/placements"),
            &json!({"node_id": station9, "role_id": employee_role}),
        )
        .await
        .expect(201);
    Agency {
        app,
        admin,
        slug: org.slug,
        north,
        patrol,
        station1,
        station2,
        south,
        station9,
        employee_role,
        division_role,
        lieutenants,
        sergeants,
        divadmin,
        officer1,
        officer2,
        officer9,
        multi,
    }
}

impl Agency {
    /// Signs `login` in and returns an API client on the session.
    pub(crate) async fn session(&self, login: &str) -> Api {
        let reply = self
            .app
            .client
            .post(format!("{}/api/v1/auth/login", self.app.base_url))
            .json(&json!({"org": self.slug, "login": login, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "sign-in of {login}");
        let body: Value = reply.json().await.unwrap();
        Api::new(&self.app, body["token"].as_str().unwrap())
    }
}

/// The logins on a page of a list.
fn logins(body: &Value) -> Vec<String> {
    let mut out: Vec<String> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["login"].as_str().unwrap_or_default().to_owned())
        .collect();
    out.sort();
    out
}

async fn a_division_administrator_sees_and_counts_only_their_division(backend: Backend) {
    let a = agency(backend).await;
    let div = a.session("divadmin").await;
    let listed = div.get("/users?limit=500").await;
    let body = listed.expect(200);
    assert_eq!(logins(body), ["divadmin", "multi", "officer1"]);
    assert_eq!(
        body["total"], 3,
        "the total counts only what the caller sees"
    );
    let searched = div.get("/users?q=officer").await;
    assert_eq!(logins(searched.expect(200)), ["officer1"]);

    // Outside the division: not found, whatever is asked.
    for path in [
        format!("/users/{}", a.officer2),
        format!("/users/{}", a.officer9),
        format!("/users/{}/placements", a.officer9),
        format!("/users/{}/login-activity", a.officer9),
        format!("/users/{}/emergency-contacts", a.officer9),
    ] {
        div.get(&path).await.expect(404);
    }
    div.patch(
        &format!("/users/{}", a.officer9),
        &json!({"title_designation": "x"}),
        None,
    )
    .await
    .expect(404);
    div.post(&format!("/users/{}/ban", a.officer2), &json!({}))
        .await
        .expect(404);

    // Inside: visible and changeable.
    div.get(&format!("/users/{}", a.officer1)).await.expect(200);
    div.post(&format!("/users/{}/ban", a.officer1), &json!({}))
        .await
        .expect(200);

    // The regional administrator reaches the whole region, not the South.
    let reg = a.session("regadmin").await;
    let listed = reg.get("/users?limit=500").await;
    assert_eq!(
        logins(listed.expect(200)),
        ["divadmin", "multi", "officer2", "regadmin"],
        "officer1 is banned, so hidden by the default status filter"
    );
    let all = reg.get("/users?limit=500&status=active,banned").await;
    assert_eq!(all.expect(200)["total"], 5);
    reg.get(&format!("/users/{}", a.officer9)).await.expect(404);

    // Choosing Patrol as the current location narrows the regional view.
    reg.put("/me/current-location", &json!({"node_id": a.patrol}))
        .await
        .expect(200);
    let narrowed = reg.get("/users?limit=500&status=active,banned").await;
    assert_eq!(
        logins(narrowed.expect(200)),
        ["divadmin", "multi", "officer1", "regadmin"],
        "themself and Patrol"
    );
}

async fn placements_elsewhere_are_read_only_and_multi_location_changes_need_confirmation(
    backend: Backend,
) {
    let a = agency(backend).await;
    let div = a.session("divadmin").await;
    let multi = format!("/users/{}", a.multi);
    // multi is also placed at Station 9, outside Patrol.
    let refused = div
        .patch(&multi, &json!({"title_designation": "of Patrol"}), None)
        .await;
    refused.expect_problem_type(409, "multi-location-confirmation-required");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("confirm=true")
    );
    let unchanged = a.admin.get(&multi).await;
    assert_eq!(unchanged.expect(200)["title_designation"], Value::Null);
    div.patch(
        &format!("{multi}?confirm=true"),
        &json!({"title_designation": "of Patrol"}),
        None,
    )
    .await
    .expect(200);
    // Lifecycle steps ask too.
    div.post(&format!("{multi}/deactivate"), &json!({}))
        .await
        .expect_problem_type(409, "multi-location-confirmation-required");
    // A single-location user needs no confirmation.
    div.patch(
        &format!("/users/{}", a.officer1),
        &json!({"title_designation": "of Station 1"}),
        None,
    )
    .await
    .expect(200);

    // The placement at Station 9 is read-only to the division administrator.
    let at9 = format!("{multi}/placements/{}?confirm=true", a.station9);
    div.patch(&at9, &json!({"ends_on": "2030-01-01"}), None)
        .await
        .expect_problem_type(403, "forbidden");
    div.delete(&at9, None)
        .await
        .expect_problem_type(403, "forbidden");
    div.put(
        &format!("{multi}/default-placement?confirm=true"),
        &json!({"node_id": a.station9}),
    )
    .await
    .expect_problem_type(403, "forbidden");
    // The one at Station 1 is theirs to change.
    div.patch(
        &format!("{multi}/placements/{}?confirm=true", a.station1),
        &json!({"ends_on": "2030-01-01"}),
        None,
    )
    .await
    .expect(200);
    let placements = a.admin.get(&format!("{multi}/placements")).await;
    let items = placements.expect(200)["items"].as_array().unwrap().clone();
    let at9 = items.iter().find(|p| p["node_id"] == a.station9).unwrap();
    assert_eq!(at9["ends_on"], Value::Null, "Station 9 untouched");
}

async fn nobody_grants_more_than_they_hold_or_raises_their_own_access(backend: Backend) {
    let a = agency(backend).await;
    let div = a.session("divadmin").await;
    let officer1 = format!("/users/{}", a.officer1);

    // A role with capabilities the division administrator lacks.
    let auditor = post_id(
        &a.admin,
        "/roles",
        json!({"name": "Auditor", "assignable_at": ["Division", "Location"],
               "capabilities": ["users.view", "audit.view"], "preset": "view_only"}),
    )
    .await;
    let escalation = div
        .post(
            &format!("{officer1}/placements"),
            &json!({"node_id": a.patrol, "role_id": auditor}),
        )
        .await;
    escalation.expect_problem_type(403, "forbidden");
    assert!(
        escalation.body["detail"]
            .as_str()
            .unwrap()
            .contains("audit.view"),
        "{:#}",
        escalation.body
    );
    // The same for a new user, and for a location outside the division.
    let newcomer = |node: &str, role: &str| {
        json!({"login": "newcomer", "first_name": "New", "last_name": "Comer",
               "login_kind": "none",
               "placements": [{"node_id": node, "role_id": role, "default": true}]})
    };
    div.post("/users", &newcomer(&a.station1, &auditor))
        .await
        .expect_problem_type(403, "forbidden");
    div.post("/users", &newcomer(&a.station2, &a.employee_role))
        .await
        .expect_problem_type(403, "forbidden");
    let created = div
        .post("/users", &newcomer(&a.station1, &a.employee_role))
        .await;
    created.expect(201);
    // A role they hold themself is fine to give.
    div.post(
        &format!("{officer1}/placements"),
        &json!({"node_id": a.patrol, "role_id": a.division_role}),
    )
    .await
    .expect(201);

    // Roles are managed only with roles.manage over the organization, never beyond
    // what the manager holds.
    div.post(
        "/roles",
        &json!({"name": "Mine", "assignable_at": ["Division"], "capabilities": [],
                "preset": "view_only"}),
    )
    .await
    .expect_problem_type(403, "forbidden");

    // Only organization administrators make organization administrators.
    div.patch(&officer1, &json!({"is_org_admin": true}), None)
        .await
        .expect_problem_type(403, "forbidden");
    // Nobody raises their own access.
    let own = format!("/users/{}", a.divadmin);
    for patch in [
        json!({"command_group_id": a.sergeants}),
        json!({"is_org_admin": true}),
        json!({"login_kind": "pin", "pin": "123456"}),
    ] {
        div.patch(&own, &patch, None)
            .await
            .expect_problem_type(403, "forbidden");
    }
    let me = a.admin.get(&own).await;
    assert_eq!(me.expect(200)["command_group_id"], a.lieutenants.as_str());
    assert_eq!(me.body["is_org_admin"], false);

    // Every escalation attempt is in the audit log, with what was tried and why it was
    // refused; refusals for merely lacking a capability (the role definition above) are not
    // escalations.
    let refusals = a
        .admin
        .get(&format!(
            "/audit?action=access.refused&actor_id={}&limit=100",
            a.divadmin
        ))
        .await;
    let items = refusals.expect(200)["items"].as_array().unwrap().clone();
    let attempted: Vec<&str> = items
        .iter()
        .map(|e| e["changes"]["attempted"]["after"].as_str().unwrap())
        .collect();
    let count = |action: &str| attempted.iter().filter(|a| **a == action).count();
    assert_eq!(count("placement.add"), 1, "{attempted:?}");
    assert_eq!(count("user.create"), 1, "{attempted:?}");
    assert_eq!(count("user.update"), 4, "{attempted:?}");
    let grant = items
        .iter()
        .find(|e| e["changes"]["attempted"]["after"] == "placement.add")
        .unwrap();
    assert!(
        grant["changes"]["reason"]["after"]
            .as_str()
            .unwrap()
            .contains("audit.view"),
        "{grant:#}"
    );
    assert_eq!(grant["subject_id"], a.officer1.as_str());
    a.admin.post("/audit/verify", &json!({})).await.expect(200);
}

async fn employees_change_only_the_fields_their_organization_allows(backend: Backend) {
    let a = agency(backend).await;
    let officer = a.session("officer1").await;
    let own = format!("/users/{}", a.officer1);
    // Phones are a self-service field by default.
    officer
        .patch(
            &own,
            &json!({"phones": [{"kind": "mobile", "number": "555-0111"}]}),
            None,
        )
        .await
        .expect(200);
    let refused = officer
        .patch(
            &own,
            &json!({"first_name": "Patricia", "email": "p@x.gov"}),
            None,
        )
        .await;
    refused.expect_problem_type(403, "forbidden");
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("first_name") && detail.contains("email"),
        "{detail}"
    );
    officer
        .patch(&own, &json!({"password": "An0ther-Long-Passphrase!"}), None)
        .await
        .expect_problem_type(403, "forbidden");

    // The organization lets employees keep their own email.
    a.admin
        .patch(
            "/settings",
            &json!({"self_service_fields": ["email", "emergency_contacts"]}),
            None,
        )
        .await
        .expect(200);
    officer
        .patch(&own, &json!({"email": "pat.officer1@bcpd.gov"}), None)
        .await
        .expect(200);
    officer
        .post(
            &format!("{own}/emergency-contacts"),
            &json!({"name": "Sam", "relationship": "spouse", "priority": 1}),
        )
        .await
        .expect(201);
    // Phones are no longer theirs to change.
    officer
        .patch(&own, &json!({"phones": []}), None)
        .await
        .expect_problem_type(403, "forbidden");
    let profile = a.admin.get(&own).await;
    assert_eq!(profile.expect(200)["email"], "pat.officer1@bcpd.gov");
    assert_eq!(profile.body["first_name"], "Pat");

    // Visible to themself, but no administration of themself or of others.
    officer
        .post(&format!("{own}/reset-password"), &json!({}))
        .await
        .expect_problem_type(403, "forbidden");
    officer
        .get(&format!("/users/{}", a.officer2))
        .await
        .expect(404);
    let listed = officer.get("/users").await;
    // Sergeants see their peers' commendations, so peers are visible.
    assert_eq!(logins(listed.expect(200)), ["multi", "officer1"]);
}

async fn profiles_show_only_the_sections_the_viewer_may_see(backend: Backend) {
    let a = agency(backend).await;
    // The Lieutenant's direct report: demographics visible (privilege) and private
    // phones too (users.view reaches Station 1).
    let div = a.session("divadmin").await;
    let report = div.get(&format!("/users/{}", a.officer1)).await;
    let body = report.expect(200);
    assert_eq!(body["demographics"]["gender"], "F");
    assert_eq!(body["phones"].as_array().unwrap().len(), 2);

    // A peer sees the profile through the commendations privilege alone: no
    // demographics, no private numbers.
    let peer = a.session("multi").await;
    let seen = peer.get(&format!("/users/{}", a.officer1)).await;
    let body = seen.expect(200);
    assert!(body.get("demographics").is_none(), "{body:#}");
    let phones = body["phones"].as_array().unwrap();
    assert_eq!(phones.len(), 1);
    assert_eq!(phones[0]["private"], false);
    // Their own profile keeps their private number but not the protected section
    // (no privilege of theirs covers it).
    let own = peer.get(&format!("/users/{}", a.multi)).await;
    assert_eq!(own.expect(200)["phones"].as_array().unwrap().len(), 2);
    assert!(own.body.get("demographics").is_none());
    // The organization administrator sees everything.
    let full = a.admin.get(&format!("/users/{}", a.multi)).await;
    assert_eq!(full.expect(200)["demographics"]["gender"], "F");

    // Demographics are edited only with the edit privilege.
    div.patch(
        &format!("/users/{}", a.officer1),
        &json!({"demographics": {"gender": "M"}}),
        None,
    )
    .await
    .expect_problem_type(403, "forbidden");
    // Who can see officer1's discipline, and why: the Lieutenant, as a direct report.
    let access = a.admin.get(&format!("/users/{}/access", a.officer1)).await;
    let sections = access.expect(200)["sections"].as_array().unwrap().clone();
    let discipline = sections
        .iter()
        .find(|s| s["section"] == "discipline")
        .unwrap();
    assert!(
        discipline["edit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["user_id"] == a.divadmin.as_str()),
        "{discipline:#}"
    );
    // The reverse lookup itself needs users.view over the person.
    peer.get(&format!("/users/{}/access", a.officer1))
        .await
        .expect_problem_type(403, "forbidden");
}

async fn organization_wide_objects_need_the_capability_at_the_organization(backend: Backend) {
    let a = agency(backend).await;
    // The division administrator holds org.manage at Patrol: the tree below it only.
    let div = a.session("divadmin").await;
    div.post(
        "/nodes",
        &json!({"name": "Station 3", "kind": "Location", "parent_id": a.patrol}),
    )
    .await
    .expect(201);
    div.post(
        "/nodes",
        &json!({"name": "Station 8", "kind": "Location", "parent_id": a.south}),
    )
    .await
    .expect_problem_type(403, "forbidden");
    div.patch(
        &format!("/nodes/{}", a.north),
        &json!({"name": "Northern"}),
        None,
    )
    .await
    .expect_problem_type(403, "forbidden");
    div.post("/reference/ranks", &json!({"name": "Major"}))
        .await
        .expect_problem_type(403, "forbidden");
    div.patch("/settings", &json!({"lockout_threshold": 3}), None)
        .await
        .expect_problem_type(403, "forbidden");
    div.post(
        "/command-groups",
        &json!({"name": "Captains", "privileges": []}),
    )
    .await
    .expect_problem_type(403, "forbidden");
    div.get("/audit")
        .await
        .expect_problem_type(403, "forbidden");
    div.get("/outbox")
        .await
        .expect_problem_type(403, "forbidden");
    // Reading the organization's structure is open to every member.
    let officer = a.session("officer9").await;
    for path in [
        "/nodes",
        "/roles",
        "/modules",
        "/command-groups",
        "/reference/ranks",
        "/settings",
    ] {
        officer.get(path).await.expect(200);
    }
    // Nothing was changed by the refusals.
    let root = a.admin.get(&format!("/nodes/{}", a.north)).await;
    assert_eq!(root.expect(200)["name"], "North");
    let ranks = a.admin.get("/reference/ranks").await;
    assert_eq!(ranks.expect(200)["total"], 0);
    assert_eq!(
        a.admin.get("/nodes?limit=500").await.expect(200)["total"],
        9,
        "root, seven nodes, Station 3"
    );
}

async fn api_tokens_act_within_their_capabilities(backend: Backend) {
    let a = agency(backend).await;
    let created = a
        .admin
        .post(
            "/tokens",
            &json!({"name": "Roster reader", "capabilities": ["users.view"]}),
        )
        .await;
    let reader = Api::new(&a.app, created.expect(201)["secret"].as_str().unwrap());
    let listed = reader.get("/users?limit=500").await;
    assert_eq!(listed.expect(200)["total"], 7);
    let refused = reader
        .post(
            "/users",
            &json!({"login": "x", "first_name": "X", "last_name": "Y", "login_kind": "none",
                    "placements": [{"node_id": a.station1, "role_id": a.employee_role,
                                    "default": true}]}),
        )
        .await;
    refused.expect_problem_type(403, "forbidden");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("does not carry users.create")
    );
    reader
        .post(&format!("/users/{}/ban", a.officer9), &json!({}))
        .await
        .expect_problem_type(403, "forbidden");
    reader
        .post("/reference/ranks", &json!({"name": "Major"}))
        .await
        .expect_problem_type(403, "forbidden");
    // The owner's record privileges reach through a token only as far as it carries:
    // reading needs users.view, changing users.edit, the status privilege users.lifecycle.
    let record = json!({"date": "2026-01-05", "title": "Late to roll call"});
    reader
        .post(
            &format!("/users/{}/records/discipline", a.officer1),
            &record,
        )
        .await
        .expect_problem_type(403, "forbidden");
    reader
        .get(&format!("/users/{}/records/discipline", a.officer1))
        .await
        .expect(200);
    reader
        .post(&format!("/users/{}/deactivate", a.officer1), &json!({}))
        .await
        .expect_problem_type(403, "forbidden");
    let editor = a
        .admin
        .post(
            "/tokens",
            &json!({"name": "Records clerk", "capabilities": ["users.edit"]}),
        )
        .await;
    let editor = Api::new(&a.app, editor.expect(201)["secret"].as_str().unwrap());
    editor
        .get(&format!("/users/{}/records/discipline", a.officer1))
        .await
        .expect_problem_type(403, "forbidden");
    editor
        .post(
            &format!("/users/{}/records/discipline", a.officer1),
            &record,
        )
        .await
        .expect(201);
    assert_eq!(
        a.admin
            .get(&format!("/users/{}", a.officer1))
            .await
            .expect(200)["status"],
        "active"
    );
    // Other applications ask about anyone the token may view.
    let check = reader
        .post(
            "/access/check",
            &json!({"subject_id": a.divadmin, "action": "users.edit",
                    "resource": {"user_id": a.officer1}}),
        )
        .await;
    assert_eq!(check.expect(200)["allowed"], true);
}

async fn the_directory_shows_what_each_users_directory_access_allows(backend: Backend) {
    let a = agency(backend).await;
    let set = |user: &str, access: &str| {
        let (admin, path) = (a.admin.clone(), format!("/users/{user}"));
        let body = json!({"directory_access": access});
        async move { admin.patch(&path, &body, None).await.expect(200).clone() }
    };
    set(&a.officer9, "none").await;
    set(&a.officer2, "everyone").await;
    set(&a.multi, "shared_locations").await;
    set(&a.officer1, "hierarchy").await;

    let nobody = a.session("officer9").await.get("/directory").await;
    assert_eq!(nobody.expect(200)["total"], 0);
    let everyone = a
        .session("officer2")
        .await
        .get("/directory?limit=500")
        .await;
    assert_eq!(
        everyone.expect(200)["total"],
        7,
        "every active user and chief"
    );
    assert!(
        !everyone.body.to_string().contains("555-0199"),
        "private numbers never appear"
    );
    // multi shares Station 1 with officer1 and Station 9 with officer9.
    let shared = a.session("multi").await.get("/directory").await;
    let names: Vec<&str> = shared.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["last_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["multi", "officer1", "officer9"]);
    // officer1 (Sergeants under Lieutenants) sees the Lieutenants and the Sergeants.
    let hierarchy = a.session("officer1").await.get("/directory").await;
    let names: Vec<&str> = hierarchy.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["last_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["divadmin", "multi", "officer1"]);
}

/// Routes every signed-in member may use (their own account, the organization's
/// structure, the directory); everything else must refuse a caller without rights.
const OPEN_TO_MEMBERS: &[(&str, &str)] = &[
    ("get", "/me"),
    ("put", "/me/current-location"),
    ("post", "/auth/login"),
    ("post", "/auth/logout"),
    ("post", "/auth/password"),
    ("get", "/nodes"),
    ("get", "/nodes/{id}"),
    ("get", "/roles"),
    ("get", "/roles/{id}"),
    ("get", "/modules"),
    ("get", "/modules/{key}"),
    ("get", "/command-groups"),
    ("get", "/command-groups/{id}"),
    ("get", "/reference/{list}"),
    ("get", "/reference/{list}/{id}"),
    ("get", "/settings"),
    ("get", "/directory"),
    ("get", "/users"),
];

async fn every_route_refuses_a_caller_without_rights(backend: Backend) {
    let a = agency(backend).await;
    // officer9: the Employee role (no capabilities), no command group.
    let employee = a.session("officer9").await;
    let own = a.officer9.clone();
    let other = a.officer1.clone();
    let doc = a.app.get("/api/v1/openapi.json").await;
    let doc: Value = doc.json().await.unwrap();
    let role = a.division_role.clone();
    let group = a.lieutenants.clone();
    let node = a.station1.clone();
    let tokens = a.admin.get("/tokens").await;
    let token = tokens.expect(200)["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let contact = id_of(
        &a.admin
            .post(
                &format!("/users/{other}/emergency-contacts"),
                &json!({"name": "Kim", "priority": 1}),
            )
            .await,
    );
    let rank = post_id(&a.admin, "/reference/ranks", json!({"name": "Captain"})).await;
    a.admin
        .post(&format!("/users/{other}/barcodes"), &json!({"code": "B-1"}))
        .await
        .expect(201);
    let record = id_of(
        &a.admin
            .post(
                &format!("/users/{other}/records/discipline"),
                &json!({"date": "2026-01-01", "title": "Late"}),
            )
            .await,
    );
    let own_record = id_of(
        &a.admin
            .post(
                &format!("/users/{own}/records/discipline"),
                &json!({"date": "2026-01-01", "title": "Late"}),
            )
            .await,
    );
    let file = |user: String| {
        let admin = a.admin.clone();
        async move {
            let reply = admin
                .upload(
                    Method::POST,
                    &format!("/users/{user}/files"),
                    &[muster_testkit::Part::file(
                        "file",
                        "a.txt",
                        "text/plain",
                        b"a".to_vec(),
                    )],
                    None,
                )
                .await;
            id_of(&reply)
        }
    };
    let other_file = file(other.clone()).await;
    let own_file = file(own.clone()).await;

    // For each protected route: a request a permitted caller could make, and the
    // statuses that count as refused (404 for people the employee cannot see, 403 for
    // what they may see but not do).
    let user_routes = |target: &str| -> Vec<(&'static str, String, Option<Value>)> {
        let (record, file) = if target == own {
            (own_record.clone(), own_file.clone())
        } else {
            (record.clone(), other_file.clone())
        };
        vec![
            ("get", format!("/users/{target}/records/discipline"), None),
            (
                "post",
                format!("/users/{target}/records/discipline"),
                Some(json!({"date": "2026-01-02", "title": "Z"})),
            ),
            (
                "get",
                format!("/users/{target}/records/discipline/{record}"),
                None,
            ),
            (
                "patch",
                format!("/users/{target}/records/discipline/{record}"),
                Some(json!({"title": "Z"})),
            ),
            (
                "delete",
                format!("/users/{target}/records/discipline/{record}"),
                None,
            ),
            ("get", format!("/users/{target}/files"), None),
            ("post", format!("/users/{target}/files"), Some(json!({}))),
            ("get", format!("/users/{target}/files/{file}"), None),
            (
                "put",
                format!("/users/{target}/files/{file}"),
                Some(json!({})),
            ),
            (
                "patch",
                format!("/users/{target}/files/{file}"),
                Some(json!({"title": "Z"})),
            ),
            ("delete", format!("/users/{target}/files/{file}"), None),
            ("get", format!("/users/{target}/photo"), None),
            ("put", format!("/users/{target}/photo"), Some(json!({}))),
            ("delete", format!("/users/{target}/photo"), None),
            (
                "patch",
                format!("/users/{target}"),
                Some(json!({"first_name": "Z"})),
            ),
            ("delete", format!("/users/{target}"), None),
            ("post", format!("/users/{target}/ban"), Some(json!({}))),
            ("post", format!("/users/{target}/unban"), Some(json!({}))),
            (
                "post",
                format!("/users/{target}/deactivate"),
                Some(json!({})),
            ),
            (
                "post",
                format!("/users/{target}/reactivate"),
                Some(json!({})),
            ),
            (
                "post",
                format!("/users/{target}/retire"),
                Some(json!({"separation_status_id": rank, "last_day": "2026-01-01"})),
            ),
            (
                "post",
                format!("/users/{target}/separate"),
                Some(json!({"separation_status_id": rank, "last_day": "2026-01-01"})),
            ),
            (
                "post",
                format!("/users/{target}/reset-password"),
                Some(json!({})),
            ),
            (
                "post",
                format!("/users/{target}/placements"),
                Some(json!({"node_id": node, "role_id": role})),
            ),
            (
                "patch",
                format!("/users/{target}/placements/{node}"),
                Some(json!({"role_id": role})),
            ),
            ("delete", format!("/users/{target}/placements/{node}"), None),
            (
                "put",
                format!("/users/{target}/default-placement"),
                Some(json!({"node_id": node})),
            ),
            (
                "post",
                format!("/users/{target}/barcodes"),
                Some(json!({"code": "Z-9"})),
            ),
            ("delete", format!("/users/{target}/barcodes/B-1"), None),
            ("get", format!("/users/{target}/audit"), None),
            ("get", format!("/users/{target}/access"), None),
            (
                "get",
                format!("/users/{target}/effective-permissions"),
                None,
            ),
            ("get", format!("/users/{target}/login-activity"), None),
            ("get", format!("/users/{target}/barcodes"), None),
            ("get", format!("/users/{target}/emergency-contacts"), None),
            (
                "get",
                format!("/users/{target}/emergency-contacts/{contact}"),
                None,
            ),
            (
                "patch",
                format!("/users/{target}/emergency-contacts/{contact}"),
                Some(json!({"name": "Z"})),
            ),
            (
                "delete",
                format!("/users/{target}/emergency-contacts/{contact}"),
                None,
            ),
            (
                "post",
                format!("/users/{target}/emergency-contacts"),
                Some(json!({"name": "Z", "priority": 2})),
            ),
            ("get", format!("/users/{target}"), None),
            ("get", format!("/users/{target}/placements"), None),
        ]
    };
    let mut cases: Vec<(&'static str, String, Option<Value>, &'static [u16])> = user_routes(&other)
        .into_iter()
        .map(|(m, p, b)| (m, p, b, &[404][..]))
        .collect();
    let org_routes: Vec<(&'static str, String, Option<Value>)> = vec![
        (
            "post",
            "/users".into(),
            Some(
                json!({"login": "zz", "first_name": "Z", "last_name": "Z", "login_kind": "none",
                        "placements": [{"node_id": a.station9, "role_id": a.employee_role,
                                        "default": true}]}),
            ),
        ),
        (
            "post",
            "/nodes".into(),
            Some(json!({"name": "N", "kind": "Location", "parent_id": a.station9})),
        ),
        (
            "patch",
            format!("/nodes/{}", a.station9),
            Some(json!({"name": "N"})),
        ),
        ("delete", format!("/nodes/{}", a.station9), None),
        (
            "post",
            "/roles".into(),
            Some(json!({"name": "R", "assignable_at": [], "capabilities": [],
                        "preset": "view_only"})),
        ),
        (
            "patch",
            format!("/roles/{role}"),
            Some(json!({"name": "R"})),
        ),
        ("delete", format!("/roles/{role}"), None),
        ("post", format!("/roles/{role}/enable-all"), Some(json!({}))),
        (
            "post",
            "/modules".into(),
            Some(json!({"key": "m", "name": "M", "levels": ["none", "view"]})),
        ),
        ("patch", "/modules/m".into(), Some(json!({"name": "M"}))),
        (
            "post",
            "/command-groups".into(),
            Some(json!({"name": "G", "privileges": []})),
        ),
        (
            "patch",
            format!("/command-groups/{group}"),
            Some(json!({"name": "G"})),
        ),
        ("delete", format!("/command-groups/{group}"), None),
        (
            "post",
            "/reference/ranks".into(),
            Some(json!({"name": "R"})),
        ),
        (
            "patch",
            format!("/reference/ranks/{rank}"),
            Some(json!({"name": "R"})),
        ),
        ("delete", format!("/reference/ranks/{rank}"), None),
        (
            "patch",
            "/settings".into(),
            Some(json!({"lockout_threshold": 3})),
        ),
        ("post", "/users/import".into(), None),
        (
            "post",
            "/users/bulk".into(),
            Some(json!({"action": "deactivate", "user_ids": [other], "preview": true})),
        ),
        ("get", "/audit".into(), None),
        ("post", "/audit/verify".into(), Some(json!({}))),
        ("get", "/outbox".into(), None),
        ("get", "/tokens".into(), None),
        (
            "post",
            "/tokens".into(),
            Some(json!({"name": "T", "capabilities": []})),
        ),
        ("delete", format!("/tokens/{token}"), None),
        (
            "post",
            "/access/check".into(),
            Some(json!({"subject_id": other, "action": "users.view",
                        "resource": {"node_id": node}})),
        ),
    ];
    cases.extend(
        org_routes
            .into_iter()
            .map(|(m, p, b)| (m, p, b, &[403][..])),
    );
    // Themself: visible, but none of the administration (reading their own profile,
    // placements, login activity, effective permissions and emergency contacts, and
    // keeping their emergency contacts, are theirs).
    let own_refused: &[(&str, &str)] = &[
        ("patch", ""),
        ("delete", ""),
        ("post", "/ban"),
        ("post", "/unban"),
        ("post", "/deactivate"),
        ("post", "/reactivate"),
        ("post", "/retire"),
        ("post", "/separate"),
        ("post", "/reset-password"),
        ("post", "/placements"),
        ("patch", "/placements/"),
        ("delete", "/placements/"),
        ("put", "/default-placement"),
        ("post", "/barcodes"),
        ("delete", "/barcodes/"),
        ("get", "/access"),
        ("get", "/audit"),
        // No privilege of theirs covers their own discipline; employees do not keep
        // their own files unless the organization lets them.
        ("get", "/records/discipline"),
        ("post", "/records/discipline"),
        ("get", "/records/discipline/"),
        ("patch", "/records/discipline/"),
        ("delete", "/records/discipline/"),
        ("post", "/files"),
        ("put", "/files/"),
        ("patch", "/files/"),
        ("delete", "/files/"),
    ];
    for (m, p, b) in user_routes(&own) {
        let suffix = p.trim_start_matches(&format!("/users/{own}")).to_owned();
        let refused = own_refused.iter().any(|(rm, rs)| {
            *rm == m && (suffix == *rs || (rs.ends_with('/') && suffix.starts_with(rs)))
        });
        if refused {
            cases.push((m, p, b, &[403]));
        }
    }

    let mut covered: Vec<(String, String)> = Vec::new();
    for (method, path, body, refused) in &cases {
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let reply = employee.send(m, path, body.as_ref(), None).await;
        assert!(
            refused.contains(&reply.status),
            "{method} {path} answered {} to an employee: {:#}",
            reply.status,
            reply.body
        );
        assert_ne!(
            reply.status, 422,
            "{method} {path}: refused for the right reason"
        );
        covered.push(((*method).to_owned(), template_of(path, &doc)));
    }
    // The open routes answer members (and still need a signed-in caller).
    for (method, path) in OPEN_TO_MEMBERS {
        covered.push(((*method).to_owned(), (*path).to_owned()));
        if *method == "get" {
            let concrete = path
                .replace("{id}", &a.station1)
                .replace("{key}", "none")
                .replace("{list}", "ranks");
            let reply = employee.get(&concrete).await;
            assert!(
                matches!(reply.status, 200 | 404),
                "GET {concrete}: {}",
                reply.status
            );
            let anonymous = a.app.get(&format!("/api/v1{concrete}")).await;
            assert_eq!(
                anonymous.status(),
                401,
                "GET {concrete} without credentials"
            );
        }
    }
    // Every route of the API is covered by one of the two tables.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            assert!(
                covered.iter().any(|(m, p)| m == method && p == path),
                "{method} {path} has no authorization test in api_enforcement.rs"
            );
        }
    }
}

/// The OpenAPI path template a concrete path belongs to (`/users/{id}/ban`).
fn template_of(path: &str, doc: &Value) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let parts: Vec<&str> = path.split('/').collect();
    doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .find(|template| {
            let t: Vec<&str> = template.split('/').collect();
            t.len() == parts.len()
                && t.iter()
                    .zip(&parts)
                    .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}')))
        })
        .cloned()
        .unwrap_or_else(|| panic!("{path} is not a route of the API"))
}
