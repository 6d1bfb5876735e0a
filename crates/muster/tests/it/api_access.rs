//! Access decisions through the API: `POST /access/check`, effective permissions and the
//! reverse lookup, on a small agency — and decisions that follow changes at once.

use muster_testkit::{Api, Backend, on_both_backends};
use serde_json::{Value, json};

use crate::spawn;

on_both_backends!(
    decisions_name_the_grant_or_what_is_missing,
    effective_permissions_and_the_reverse_lookup_explain_themselves,
    bad_check_requests_name_the_field,
    muster_check_explains_a_decision_on_the_command_line,
    a_change_made_through_one_server_is_in_force_on_the_other,
);

/// Posts `body` to `path` and returns the new object's id.
async fn create(api: &Api, path: &str, body: &Value) -> String {
    let reply = api.post(path, body).await;
    reply.expect(201)["id"].as_str().unwrap().to_owned()
}

struct Agency {
    patrol: String,
    divadmin: String,
    officer1: String,
    officer9: String,
}

/// North Region > Patrol Division > Station 1; South Region > Station 9. A division
/// administrator at Patrol (a Lieutenant), an officer at Station 1 (a Sergeant, directly
/// below), an officer at Station 9.
async fn agency(api: &Api, root: &str) -> Agency {
    let north = create(
        api,
        "/nodes",
        &json!({"name": "North", "kind": "Region", "parent_id": root}),
    )
    .await;
    let patrol = create(
        api,
        "/nodes",
        &json!({"name": "Patrol", "kind": "Division", "parent_id": north}),
    )
    .await;
    let station1 = create(
        api,
        "/nodes",
        &json!({"name": "Station 1", "kind": "Location", "parent_id": patrol}),
    )
    .await;
    let south = create(
        api,
        "/nodes",
        &json!({"name": "South", "kind": "Region", "parent_id": root}),
    )
    .await;
    let station9 = create(
        api,
        "/nodes",
        &json!({"name": "Station 9", "kind": "Location", "parent_id": south}),
    )
    .await;
    let role = create(
        api,
        "/roles",
        &json!({"name": "Division Administrator", "assignable_at": ["Division"],
                "capabilities": ["users.view", "users.edit", "placements.add"], "preset": "custom"}),
    )
    .await;
    let roles = api.get("/roles?limit=500").await;
    let employee = roles.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Employee")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let lieutenants = create(
        api,
        "/command-groups",
        &json!({"name": "Lieutenants", "privileges": [{"scope": "direct", "access": "view", "section": "discipline"}]}),
    )
    .await;
    let sergeants = create(
        api,
        "/command-groups",
        &json!({"name": "Sergeants", "parent_id": lieutenants, "privileges": []}),
    )
    .await;
    let person = |login: &str, node: &str, role: &str, group: Option<&str>| {
        json!({"login": login, "first_name": "Pat", "last_name": login, "login_kind": "password",
               "password": "Correct-Horse-Battery-Staple-9", "command_group_id": group,
               "placements": [{"node_id": node, "role_id": role, "default": true}]})
    };
    let divadmin = create(
        api,
        "/users",
        &person("divadmin", &patrol, &role, Some(&lieutenants)),
    )
    .await;
    let officer1 = create(
        api,
        "/users",
        &person("officer1", &station1, &employee, Some(&sergeants)),
    )
    .await;
    let officer9 = create(
        api,
        "/users",
        &person("officer9", &station9, &employee, None),
    )
    .await;
    Agency {
        patrol,
        divadmin,
        officer1,
        officer9,
    }
}

async fn check(api: &Api, subject: &str, action: &str, resource: Value) -> Value {
    let reply = api
        .post(
            "/access/check",
            &json!({"subject_id": subject, "action": action, "resource": resource}),
        )
        .await;
    reply.expect(200).clone()
}

async fn decisions_name_the_grant_or_what_is_missing(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Police", "chief").await;
    let api = app.api(&org);
    let a = agency(&api, &org.root_node_id).await;

    let inside = check(
        &api,
        &a.divadmin,
        "users.edit",
        json!({"user_id": a.officer1}),
    )
    .await;
    let outside = check(
        &api,
        &a.divadmin,
        "users.edit",
        json!({"user_id": a.officer9}),
    )
    .await;
    let missing = check(
        &api,
        &a.divadmin,
        "users.lifecycle",
        json!({"user_id": a.officer1}),
    )
    .await;
    let section = check(
        &api,
        &a.divadmin,
        "section:discipline:view",
        json!({"user_id": a.officer1}),
    )
    .await;
    let no_edit = check(
        &api,
        &a.divadmin,
        "section:discipline:edit",
        json!({"user_id": a.officer1}),
    )
    .await;

    assert_eq!(inside["allowed"], true, "{inside}");
    let reason = inside["reason"].as_str().unwrap();
    assert!(
        reason.contains("Division Administrator") && reason.contains("Patrol"),
        "{reason}"
    );
    assert_eq!(outside["allowed"], false, "{outside}");
    assert_eq!(missing["allowed"], false, "{missing}");
    assert!(
        missing["reason"]
            .as_str()
            .unwrap()
            .contains("users.lifecycle"),
        "{missing}"
    );
    assert_eq!(section["allowed"], true, "{section}");
    assert!(
        section["reason"].as_str().unwrap().contains("Lieutenants"),
        "{section}"
    );
    assert_eq!(no_edit["allowed"], false, "{no_edit}");

    // A placement that starts tomorrow grants nothing today, and the decision says so;
    // the change is in force for the very next decision.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .date_naive()
        .to_string();
    api.patch(
        &format!("/users/{}/placements/{}", a.divadmin, a.patrol),
        &json!({"starts_on": tomorrow}),
        None,
    )
    .await
    .expect(200);
    let later = check(
        &api,
        &a.divadmin,
        "users.edit",
        json!({"user_id": a.officer1}),
    )
    .await;
    assert_eq!(later["allowed"], false, "{later}");
    assert!(
        later["reason"].as_str().unwrap().contains(&tomorrow),
        "{later}"
    );
}

async fn effective_permissions_and_the_reverse_lookup_explain_themselves(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Police", "chief").await;
    let api = app.api(&org);
    let a = agency(&api, &org.root_node_id).await;

    let permissions = api
        .get(&format!("/users/{}/effective-permissions", a.divadmin))
        .await;
    let access = api.get(&format!("/users/{}/access", a.officer1)).await;

    let capabilities = permissions.expect(200)["capabilities"]
        .as_array()
        .unwrap()
        .clone();
    let allowed: Vec<&str> = capabilities
        .iter()
        .filter(|c| c["allowed"] == true)
        .map(|c| c["capability"].as_str().unwrap())
        .collect();
    assert_eq!(allowed, ["users.view", "users.edit", "placements.add"]);
    assert_eq!(permissions.body["current_node_id"], a.patrol.as_str());
    assert_eq!(permissions.body["sections"][0]["section"], "discipline");
    let administrators: Vec<&str> = access.expect(200)["administrators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["user_id"].as_str().unwrap())
        .collect();
    assert!(
        administrators.contains(&a.divadmin.as_str()),
        "{:#}",
        access.body
    );
    assert!(
        administrators.contains(&org.admin_id.as_str()),
        "{:#}",
        access.body
    );
    let discipline = access.body["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["section"] == "discipline")
        .unwrap()
        .clone();
    assert!(
        discipline["view"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["user_id"] == a.divadmin.as_str()),
        "{discipline}"
    );
    api.get(&format!("/users/{}/access", uuid_of_nobody()))
        .await
        .expect(404);
}

fn uuid_of_nobody() -> &'static str {
    "01900000-0000-7000-8000-000000000000"
}

async fn bad_check_requests_name_the_field(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Police", "chief").await;
    let api = app.api(&org);
    let a = agency(&api, &org.root_node_id).await;

    let cases = [
        (
            json!({"subject_id": a.divadmin, "action": "users.fly", "resource": {"user_id": a.officer1}}),
            "action",
        ),
        (
            json!({"subject_id": a.divadmin, "action": "users.edit", "resource": {"user_id": a.officer1, "node_id": a.patrol}}),
            "resource",
        ),
        (
            json!({"subject_id": uuid_of_nobody(), "action": "users.edit", "resource": {"user_id": a.officer1}}),
            "subject_id",
        ),
        (
            json!({"subject_id": a.divadmin, "action": "section:discipline:view", "resource": {"node_id": a.patrol}}),
            "resource",
        ),
        (
            json!({"subject_id": a.divadmin, "action": "users.edit"}),
            "resource",
        ),
    ];
    for (body, field) in cases {
        api.post("/access/check", &body)
            .await
            .expect_problem(422, field);
    }
}

async fn muster_check_explains_a_decision_on_the_command_line(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Police", "chief").await;
    let api = app.api(&org);
    agency(&api, &org.root_node_id).await;
    let run = |action: &'static str, target: [&'static str; 2]| {
        let app = &app;
        async move {
            app.muster(&[
                "check", "--as", "divadmin", "--action", action, target[0], target[1],
            ])
            .await
        }
    };

    let allowed = run("users.edit", ["--user", "officer1"]).await;
    let denied = run("users.edit", ["--user", "officer9"]).await;
    let node = run("users.create", ["--node", "Station 1"]).await;
    let unknown = run("users.edit", ["--user", "nobody"]).await;

    assert_eq!(allowed.status.code(), Some(0), "{allowed:?}");
    assert!(allowed.stdout.starts_with("ALLOWED: "), "{allowed:?}");
    assert!(
        allowed.stdout.contains("Division Administrator"),
        "{allowed:?}"
    );
    assert_eq!(denied.status.code(), Some(3), "{denied:?}");
    assert!(denied.stdout.starts_with("DENIED: "), "{denied:?}");
    assert_eq!(node.status.code(), Some(3), "{node:?}");
    assert!(node.stdout.contains("users.create"), "{node:?}");
    assert_eq!(unknown.status.code(), Some(1), "{unknown:?}");
    assert!(
        unknown.stderr.contains("no user has the login"),
        "{unknown:?}"
    );
}

/// Reads `path` through `api` until it answers `wanted` or a second has passed; returns
/// whether it did and how many reads it took. Only reads: a write would make the server
/// check the database again by itself.
async fn until_status(api: &Api, path: &str, wanted: u16) -> (bool, u32) {
    let started = std::time::Instant::now();
    let mut reads = 0;
    loop {
        reads += 1;
        let status = api.get(path).await.status;
        if status == wanted || started.elapsed() > std::time::Duration::from_secs(1) {
            return (status == wanted, reads);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Two `muster serve` processes on one database: a change made through either is in
/// force on the other — on SQLite before the next decision (the change counter), on
/// PostgreSQL within a second (LISTEN/NOTIFY; the counter is not read while listening).
async fn a_change_made_through_one_server_is_in_force_on_the_other(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Police", "chief").await;
    let first = app.api(&org);
    let a = agency(&first, &org.root_node_id).await;
    let sibling = app.sibling().await;
    let second = Api::at(&sibling.base_url, &org.token);
    let signed_in = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"org": org.slug, "login": "divadmin",
                      "password": "Correct-Horse-Battery-Staple-9"}))
        .send()
        .await
        .unwrap();
    let session: Value = signed_in.json().await.unwrap();
    let token = session["token"].as_str().unwrap();
    let divadmin_first = Api::new(&app, token);
    let divadmin_second = Api::at(&sibling.base_url, token);
    let officer9 = format!("/users/{}", a.officer9);

    // Officer 9 is outside the division administrator's Patrol division.
    divadmin_second.get(&officer9).await.expect(404);
    divadmin_first.get(&officer9).await.expect(404);
    let employee = first
        .get(&format!("/users/{}/placements", a.officer1))
        .await;
    let role = employee.expect(200)["items"][0]["role_id"].clone();
    first
        .post(
            &format!("{officer9}/placements"),
            &json!({"node_id": a.patrol, "role_id": role}),
        )
        .await
        .expect(201);
    let (seen, reads) = until_status(&divadmin_second, &officer9, 200).await;
    assert!(
        seen,
        "the second server still hides officer 9 after a second"
    );
    if backend == Backend::Sqlite {
        assert_eq!(reads, 1, "SQLite: in force at the very next decision");
    }
    // The first server's own change is in force on it at once.
    divadmin_first.get(&officer9).await.expect(200);

    // And the other way round.
    second
        .delete(&format!("{officer9}/placements/{}", a.patrol), None)
        .await
        .expect(204);
    divadmin_second.get(&officer9).await.expect(404);
    let (seen, reads) = until_status(&divadmin_first, &officer9, 404).await;
    assert!(
        seen,
        "the first server still shows officer 9 after a second"
    );
    if backend == Backend::Sqlite {
        assert_eq!(reads, 1);
    }
}
