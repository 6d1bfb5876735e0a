//! `/api/v1/reference/{list}` (reference lists and node kinds) and `/api/v1/settings`.

use muster_domain::user::{DirectoryAccess, Login, LoginKind, UserStatus};
use muster_domain::{OrgId, ReferenceItemId, UserId};
use muster_store::people::{self, NewUser};
use muster_store::{DbTime, Store};
use muster_testkit::{Api, Backend, on_both_backends};
use serde_json::{Value, json};

use crate::spawn;

on_both_backends!(
    reference_items_are_created_listed_renamed_reordered_and_deleted,
    reference_lists_page_by_position_then_name,
    duplicate_names_are_refused_ignoring_case_among_live_items,
    an_unknown_list_is_not_found,
    node_kinds_are_a_reference_list_and_renaming_one_renames_its_nodes,
    the_root_node_kind_cannot_be_deleted,
    a_node_kind_still_used_by_a_node_cannot_be_deleted,
    an_item_users_still_have_cannot_be_deleted,
    a_stale_if_match_is_refused_and_changes_nothing,
    bad_reference_input_names_the_field_and_changes_nothing,
    another_organizations_lists_are_invisible,
    settings_start_with_the_defaults,
    settings_are_patched_partially_with_if_match,
    bad_settings_input_names_the_field_and_changes_nothing,
);

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

fn id(item: &Value) -> String {
    item["id"].as_str().unwrap().to_owned()
}

async fn add(api: &Api, list: &str, name: &str) -> Value {
    api.post(&format!("/reference/{list}"), &json!({"name": name}))
        .await
        .expect(201)
        .clone()
}

async fn reference_items_are_created_listed_renamed_reordered_and_deleted(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Harbor County Police", "chief").await;
    let api = app.api(&org);

    let created = api
        .post("/reference/ranks", &json!({"name": "  Captain "}))
        .await;
    let captain = created.expect(201).clone();
    assert_eq!(captain["name"], "Captain");
    assert_eq!(captain["position"], 1);
    assert_eq!(captain["version"], 1);
    assert!(captain.get("is_root").is_none(), "{captain}");
    assert_eq!(created.etag().as_deref(), Some("\"1\""));
    let lieutenant = add(&api, "ranks", "Lieutenant").await;
    let sergeant = add(&api, "ranks", "Sergeant").await;
    assert_eq!(lieutenant["position"], 2);
    assert_eq!(sergeant["position"], 3);
    let vp = add(&api, "titles", "VP").await;
    assert_eq!(vp["position"], 1);

    let ranks = api.get("/reference/ranks").await;
    assert_eq!(ranks.expect(200)["total"], 3);
    assert_eq!(names(&ranks.body), ["Captain", "Lieutenant", "Sergeant"]);
    assert_eq!(
        names(api.get("/reference/titles").await.expect(200)),
        ["VP"]
    );
    let read = api.get(&format!("/reference/ranks/{}", id(&captain))).await;
    assert_eq!(read.expect(200), &captain);
    assert_eq!(read.etag().as_deref(), Some("\"1\""));

    let renamed = api
        .patch(
            &format!("/reference/ranks/{}", id(&captain)),
            &json!({"name": "Chief"}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(renamed.expect(200)["name"], "Chief");
    assert_eq!(renamed.etag().as_deref(), Some("\"2\""));
    let moved = api
        .patch(
            &format!("/reference/ranks/{}", id(&sergeant)),
            &json!({"position": 0}),
            None,
        )
        .await;
    assert_eq!(moved.expect(200)["position"], 0);
    assert_eq!(
        names(api.get("/reference/ranks").await.expect(200)),
        ["Sergeant", "Chief", "Lieutenant"]
    );

    api.delete(&format!("/reference/ranks/{}", id(&lieutenant)), None)
        .await
        .expect(204);
    api.get(&format!("/reference/ranks/{}", id(&lieutenant)))
        .await
        .expect(404);
    api.delete(&format!("/reference/ranks/{}", id(&lieutenant)), None)
        .await
        .expect(404);
    let after = api.get("/reference/ranks").await;
    assert_eq!(after.expect(200)["total"], 2);
    assert_eq!(names(&after.body), ["Sergeant", "Chief"]);
    // Assignment types are not used by anything yet, so they can always go.
    let patrol = add(&api, "assignment_types", "Patrol").await;
    api.delete(
        &format!("/reference/assignment_types/{}", id(&patrol)),
        Some("\"1\""),
    )
    .await
    .expect(204);
    // An item of one list is not an item of another.
    api.get(&format!("/reference/titles/{}", id(&sergeant)))
        .await
        .expect(404);
}

async fn reference_lists_page_by_position_then_name(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Harbor County Police", "chief").await;
    let api = app.api(&org);
    for (name, position) in [
        ("Marine", 2),
        ("K9", 1),
        ("Bomb Squad", 2),
        ("Traffic", 1),
        ("Air", 3),
    ] {
        api.post(
            "/reference/units",
            &json!({"name": name, "position": position}),
        )
        .await
        .expect(201);
    }

    let first = api.get("/reference/units?limit=2").await;
    let first = first.expect(200).clone();
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = api
        .get(&format!("/reference/units?limit=2&cursor={cursor}"))
        .await
        .expect(200)
        .clone();
    let cursor = second["next_cursor"].as_str().unwrap();
    let third = api
        .get(&format!("/reference/units?limit=2&cursor={cursor}"))
        .await
        .expect(200)
        .clone();

    assert_eq!(first["total"], 5);
    assert_eq!(names(&first), ["K9", "Traffic"]);
    assert_eq!(names(&second), ["Bomb Squad", "Marine"]);
    assert_eq!(names(&third), ["Air"]);
    assert_eq!(third["next_cursor"], Value::Null);
    api.get("/reference/units?cursor=nonsense")
        .await
        .expect_problem(422, "cursor");
    api.get("/reference/units?limit=0")
        .await
        .expect_problem(422, "limit");
}

async fn duplicate_names_are_refused_ignoring_case_among_live_items(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Harbor County Police", "chief").await;
    let api = app.api(&org);
    let captain = add(&api, "ranks", "Captain").await;
    let major = add(&api, "ranks", "Major").await;
    let kind = add(&api, "node_kinds", "Precinct").await;

    api.post("/reference/ranks", &json!({"name": "CAPTAIN"}))
        .await
        .expect_problem(409, "name");
    api.patch(
        &format!("/reference/ranks/{}", id(&major)),
        &json!({"name": "captain"}),
        None,
    )
    .await
    .expect_problem(409, "name");
    api.post("/reference/node_kinds", &json!({"name": "region"}))
        .await
        .expect_problem(409, "name");
    api.post("/reference/node_kinds", &json!({"name": "precinct"}))
        .await
        .expect_problem(409, "name");
    // The same name in another list is fine, and so is a change of case of its own name.
    add(&api, "titles", "Captain").await;
    let recased = api
        .patch(
            &format!("/reference/ranks/{}", id(&captain)),
            &json!({"name": "CAPTAIN"}),
            None,
        )
        .await;
    assert_eq!(recased.expect(200)["name"], "CAPTAIN");
    // A deleted item's name can be used again.
    api.delete(&format!("/reference/ranks/{}", id(&major)), None)
        .await
        .expect(204);
    add(&api, "ranks", "major").await;
    api.delete(&format!("/reference/node_kinds/{}", id(&kind)), None)
        .await
        .expect(204);
    add(&api, "node_kinds", "Precinct").await;

    assert_eq!(
        names(api.get("/reference/ranks").await.expect(200)),
        ["CAPTAIN", "major"]
    );
}

async fn an_unknown_list_is_not_found(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Harbor County Police", "chief").await;
    let api = app.api(&org);
    let rank = add(&api, "ranks", "Captain").await;
    let path = format!("/reference/planets/{}", id(&rank));

    let list = api.get("/reference/planets").await;
    let create = api
        .post("/reference/planets", &json!({"name": "Mars"}))
        .await;
    let read = api.get(&path).await;
    let update = api.patch(&path, &json!({"name": "Mars"}), None).await;
    let delete = api.delete(&path, None).await;
    let wrong_case = api.get("/reference/Ranks").await;

    for reply in [list, create, read, update, delete, wrong_case] {
        reply.expect(404);
        assert_eq!(reply.content_type(), "application/problem+json");
    }
    api.get("/reference/ranks/0190e0d6-7a3c-7f00-8000-000000000000")
        .await
        .expect(404);
    assert_eq!(
        names(api.get("/reference/ranks").await.expect(200)),
        ["Captain"]
    );
}

async fn node_kinds_are_a_reference_list_and_renaming_one_renames_its_nodes(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Harbor County Police", "chief").await;
    let api = app.api(&org);

    let kinds = api.get("/reference/node_kinds").await;
    let kinds = kinds.expect(200).clone();
    assert_eq!(
        names(&kinds),
        ["Organization", "Region", "Division", "Location"]
    );
    assert_eq!(kinds["total"], 4);
    let items = kinds["items"].as_array().unwrap();
    assert_eq!(items[0]["is_root"], true);
    assert_eq!(items[0]["position"], 0);
    assert!(items[1..].iter().all(|k| k["is_root"] == false));
    let division = items[2].clone();

    let precinct = api
        .post("/reference/node_kinds", &json!({"name": "Precinct"}))
        .await;
    let precinct = precinct.expect(201).clone();
    assert_eq!(precinct["position"], 4);
    assert_eq!(precinct["is_root"], false);
    let node = api
        .post(
            "/nodes",
            &json!({"name": "First Precinct", "kind": "Precinct", "parent_id": org.root_node_id}),
        )
        .await
        .expect(201)
        .clone();
    let renamed = api
        .patch(
            &format!("/reference/node_kinds/{}", id(&precinct)),
            &json!({"name": "District", "position": 1}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(renamed.expect(200)["name"], "District");
    assert_eq!(renamed.body["is_root"], false);
    let node = api.get(&format!("/nodes/{}", id(&node))).await;
    assert_eq!(node.expect(200)["kind"], "District");
    assert_eq!(node.body["kind_id"], precinct["id"]);

    // The root's kind can be renamed too.
    let root_kind = id(&items[0]);
    api.patch(
        &format!("/reference/node_kinds/{root_kind}"),
        &json!({"name": "Agency"}),
        None,
    )
    .await
    .expect(200);
    let root = api.get(&format!("/nodes/{}", org.root_node_id)).await;
    assert_eq!(root.expect(200)["kind"], "Agency");

    api.delete(&format!("/reference/node_kinds/{}", id(&division)), None)
        .await
        .expect(204);
    assert_eq!(
        names(api.get("/reference/node_kinds").await.expect(200)),
        ["Agency", "District", "Region", "Location"]
    );
    // A deleted kind cannot be given to nodes any more.
    api.post(
        "/nodes",
        &json!({"name": "Ops", "kind": "Division", "parent_id": org.root_node_id}),
    )
    .await
    .expect_problem(422, "kind");
}

async fn the_root_node_kind_cannot_be_deleted(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Harbor County Police", "chief").await;
    let api = app.api(&org);
    let kinds = api.get("/reference/node_kinds").await.body;
    let root_kind = kinds["items"][0].clone();
    assert_eq!(root_kind["is_root"], true);

    api.delete(&format!("/reference/node_kinds/{}", id(&root_kind)), None)
        .await
        .expect_problem(409, "id");

    let read = api
        .get(&format!("/reference/node_kinds/{}", id(&root_kind)))
        .await;
    assert_eq!(read.expect(200), &root_kind);
}

async fn a_node_kind_still_used_by_a_node_cannot_be_deleted(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Harbor County Police", "chief").await;
    let api = app.api(&org);
    let kinds = api.get("/reference/node_kinds").await.body;
    let region = kinds["items"][1].clone();
    assert_eq!(region["name"], "Region");
    let node = api
        .post(
            "/nodes",
            &json!({"name": "North", "kind": "Region", "parent_id": org.root_node_id}),
        )
        .await
        .expect(201)
        .clone();
    let path = format!("/reference/node_kinds/{}", id(&region));

    api.delete(&path, None).await.expect_problem(409, "id");
    assert_eq!(api.get(&path).await.expect(200), &region);

    // Once the node is gone, so can the kind be.
    api.delete(&format!("/nodes/{}", id(&node)), None)
        .await
        .expect(204);
    api.delete(&path, Some("\"1\"")).await.expect(204);
    api.get(&path).await.expect(404);
}

/// Inserts a user of `org` with `rank` and `unit` directly in the store (the users API is
/// another part of the system).
async fn insert_user(
    store: &Store,
    org: &str,
    login: &str,
    status: UserStatus,
    rank: Option<&str>,
    unit: Option<&str>,
) {
    let item = |id: Option<&str>| id.map(|i| ReferenceItemId::from_uuid(i.parse().unwrap()));
    let login = Login::parse(login).unwrap();
    let mut tx = store.begin().await.unwrap();
    people::insert_user(
        &mut tx,
        &NewUser {
            id: UserId::new(),
            org: OrgId::from_uuid(org.parse().unwrap()),
            login: &login,
            first_name: "Pat",
            last_name: "Doe",
            employee_number: None,
            badge_number: None,
            email: None,
            phones: &[],
            title: None,
            rank: item(rank),
            unit: item(unit),
            hire_date: None,
            date_of_birth: None,
            gender: None,
            login_kind: LoginKind::None,
            status,
            password_hash: None,
            must_change_password: false,
            is_org_admin: false,
            command_group: None,
            directory_access: DirectoryAccess::Everyone,
            now: DbTime::now(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn an_item_users_still_have_cannot_be_deleted(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Harbor County Police", "chief").await;
    let api = app.api(&org);
    let captain = add(&api, "ranks", "Captain").await;
    let marine = add(&api, "units", "Marine").await;
    let store = app.store().await;
    insert_user(
        &store,
        &org.org_id,
        "pat",
        UserStatus::Retired,
        Some(&id(&captain)),
        None,
    )
    .await;
    insert_user(
        &store,
        &org.org_id,
        "gone",
        UserStatus::Deleted,
        None,
        Some(&id(&marine)),
    )
    .await;

    let in_use = api
        .delete(&format!("/reference/ranks/{}", id(&captain)), None)
        .await;
    let only_deleted_users = api
        .delete(&format!("/reference/units/{}", id(&marine)), None)
        .await;

    in_use.expect_problem(409, "id");
    only_deleted_users.expect(204);
    assert_eq!(
        names(api.get("/reference/ranks").await.expect(200)),
        ["Captain"]
    );
    assert_eq!(api.get("/reference/units").await.expect(200)["total"], 0);
}

async fn a_stale_if_match_is_refused_and_changes_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Harbor County Police", "chief").await;
    let api = app.api(&org);
    let item = add(&api, "specialties", "Diver").await;
    let path = format!("/reference/specialties/{}", id(&item));
    let current = api
        .patch(&path, &json!({"name": "Rescue Diver"}), Some("\"1\""))
        .await
        .expect(200)
        .clone();

    let stale_patch = api
        .patch(&path, &json!({"name": "Lost"}), Some("\"1\""))
        .await;
    let stale_delete = api.delete(&path, Some("\"1\"")).await;

    stale_patch.expect(412);
    assert_eq!(stale_patch.content_type(), "application/problem+json");
    stale_delete.expect(412);
    assert_eq!(api.get(&path).await.expect(200), &current);
    api.delete(&path, Some("\"2\"")).await.expect(204);
}

async fn bad_reference_input_names_the_field_and_changes_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Harbor County Police", "chief").await;
    let api = app.api(&org);
    let item = add(&api, "separation_statuses", "Retired").await;
    let path = format!("/reference/separation_statuses/{}", id(&item));

    let cases = [
        (json!({"name": "Resigned", "colour": "red"}), "colour"),
        (json!({"name": 5}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": "x".repeat(101)}), "name"),
        (json!({"name": "a\u{7}b"}), "name"),
        (json!({"position": 1}), "name"),
        (json!({"name": "Resigned", "position": -1}), "position"),
        (
            json!({"name": "Resigned", "position": 1_000_001}),
            "position",
        ),
        (json!({"name": "Resigned", "position": "first"}), "position"),
    ];
    for (body, field) in &cases {
        api.post("/reference/separation_statuses", body)
            .await
            .expect_problem(422, field);
    }
    let patches = [
        (json!({"name": "x".repeat(101)}), "name"),
        (json!({"name": null}), "name"),
        (json!({"position": null}), "position"),
        (json!({"position": -5}), "position"),
        (json!({"position": 1.5}), "position"),
        (json!({"is_root": true}), "is_root"),
    ];
    for (body, field) in &patches {
        api.patch(&path, body, None)
            .await
            .expect_problem(422, field);
    }
    let malformed = api
        .send(
            reqwest::Method::POST,
            "/reference/separation_statuses",
            None,
            None,
        )
        .await;
    assert!(matches!(malformed.status, 400 | 415), "{malformed:?}");

    let list = api.get("/reference/separation_statuses").await;
    assert_eq!(list.expect(200)["total"], 1);
    assert_eq!(list.body["items"][0], item);
}

async fn another_organizations_lists_are_invisible(backend: Backend) {
    let app = spawn(backend).await;
    let harbor = app.init_org("Harbor County Police", "chief").await;
    let bay = app.init_org("Bay City Fire", "fire-chief").await;
    let harbor_api = app.api(&harbor);
    let bay_api = app.api(&bay);
    let captain = add(&harbor_api, "ranks", "Captain").await;
    let harbor_region = harbor_api.get("/reference/node_kinds").await.body["items"][1].clone();
    let path = format!("/reference/ranks/{}", id(&captain));
    let kind_path = format!("/reference/node_kinds/{}", id(&harbor_region));

    let list = bay_api.get("/reference/ranks").await;
    let read = bay_api.get(&path).await;
    let rename = bay_api.patch(&path, &json!({"name": "Stolen"}), None).await;
    let delete = bay_api.delete(&path, None).await;
    let kind_rename = bay_api
        .patch(&kind_path, &json!({"name": "Stolen"}), None)
        .await;
    let kind_delete = bay_api.delete(&kind_path, None).await;
    // Names are unique per organization, not across them.
    let same_name = bay_api
        .post("/reference/ranks", &json!({"name": "Captain"}))
        .await;

    assert_eq!(list.expect(200)["total"], 0);
    for reply in [read, rename, delete, kind_rename, kind_delete] {
        reply.expect(404);
    }
    same_name.expect(201);
    assert_eq!(bay_api.get("/reference/node_kinds").await.body["total"], 4);
    assert_eq!(harbor_api.get(&path).await.expect(200), &captain);
    assert_eq!(harbor_api.get(&kind_path).await.expect(200), &harbor_region);
}

async fn settings_start_with_the_defaults(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Harbor County Police", "chief").await;
    let api = app.api(&org);

    let settings = api.get("/settings").await;

    assert_eq!(
        settings.expect(200),
        &json!({
            "lockout_threshold": 5,
            "lockout_release_minutes": null,
            "password_min_length": 10,
            "self_service_fields": ["phones", "address", "emergency_contacts", "photo", "preferences"],
            "files_module": {"enabled": true, "employees_see_own": true, "employees_update_own": false,
                             "max_file_bytes": 10_485_760},
            "address": {},
            "scim_provisioning": null,
            "version": 1,
        })
    );
    assert_eq!(settings.etag().as_deref(), Some("\"1\""));
}

async fn settings_are_patched_partially_with_if_match(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Harbor County Police", "chief").await;
    let api = app.api(&org);
    let etag = api.get("/settings").await.etag().unwrap();

    let patched = api
        .patch(
            "/settings",
            &json!({
                "lockout_threshold": 3,
                "lockout_release_minutes": 30,
                "self_service_fields": ["photo", "display_name", "can_sms"],
                "files_module": {"employees_update_own": true, "max_file_bytes": 2_097_152},
                "address": {"street": "1 Harbor Way", "city": "Harbor City", "country": "US"},
            }),
            Some(&etag),
        )
        .await;

    assert_eq!(
        patched.expect(200),
        &json!({
            "lockout_threshold": 3,
            "lockout_release_minutes": 30,
            "password_min_length": 10,
            "self_service_fields": ["display_name", "photo", "can_sms"],
            "files_module": {"enabled": true, "employees_see_own": true, "employees_update_own": true,
                             "max_file_bytes": 2_097_152},
            "address": {"street": "1 Harbor Way", "city": "Harbor City", "country": "US"},
            "scim_provisioning": null,
            "version": 2,
        })
    );
    assert_eq!(patched.etag().as_deref(), Some("\"2\""));

    // A stale ETag changes nothing.
    api.patch("/settings", &json!({"lockout_threshold": 9}), Some(&etag))
        .await
        .expect(412);
    assert_eq!(api.get("/settings").await.body, patched.body);

    let cleared = api
        .patch(
            "/settings",
            &json!({
                "lockout_release_minutes": null,
                "password_min_length": 12,
                "files_module": {"enabled": false},
                "address": {"street": null, "city": "Port Harbor"},
            }),
            Some("\"2\""),
        )
        .await;
    let cleared = cleared.expect(200).clone();
    assert_eq!(cleared["lockout_release_minutes"], Value::Null);
    assert_eq!(cleared["lockout_threshold"], 3);
    assert_eq!(cleared["password_min_length"], 12);
    assert_eq!(
        cleared["files_module"],
        json!({"enabled": false, "employees_see_own": true, "employees_update_own": true,
               "max_file_bytes": 2_097_152})
    );
    assert_eq!(
        cleared["address"],
        json!({"city": "Port Harbor", "country": "US"})
    );
    assert_eq!(cleared["version"], 3);

    // An empty patch changes nothing, not even the version.
    let unchanged = api.patch("/settings", &json!({}), None).await;
    assert_eq!(unchanged.expect(200), &cleared);
    let read = api.get("/settings").await;
    assert_eq!(read.expect(200), &cleared);
    assert_eq!(read.etag().as_deref(), Some("\"3\""));
    let no_address = api
        .patch("/settings", &json!({"address": null}), None)
        .await;
    assert_eq!(no_address.expect(200)["address"], json!({}));
}

async fn bad_settings_input_names_the_field_and_changes_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Harbor County Police", "chief").await;
    let api = app.api(&org);
    let before = api.get("/settings").await.body;

    let cases = [
        (json!({"lockout_threshold": 0}), "lockout_threshold"),
        (json!({"lockout_threshold": 101}), "lockout_threshold"),
        (json!({"lockout_threshold": null}), "lockout_threshold"),
        (json!({"lockout_threshold": "five"}), "lockout_threshold"),
        (
            json!({"lockout_release_minutes": 0}),
            "lockout_release_minutes",
        ),
        (
            json!({"lockout_release_minutes": 10_081}),
            "lockout_release_minutes",
        ),
        (json!({"password_min_length": 7}), "password_min_length"),
        (json!({"password_min_length": 129}), "password_min_length"),
        (json!({"password_min_length": 10.5}), "password_min_length"),
        (
            json!({"self_service_fields": ["phones", "salary"]}),
            "self_service_fields",
        ),
        (
            json!({"self_service_fields": ["phones", "phones"]}),
            "self_service_fields",
        ),
        (
            json!({"self_service_fields": "phones"}),
            "self_service_fields",
        ),
        (
            json!({"files_module": {"enabled": "yes"}}),
            "files_module.enabled",
        ),
        (
            json!({"files_module": {"enabled": null}}),
            "files_module.enabled",
        ),
        (
            json!({"files_module": {"max_file_bytes": 10}}),
            "files_module.max_file_bytes",
        ),
        (
            json!({"files_module": {"hidden": true}}),
            "files_module.hidden",
        ),
        (json!({"files_module": null}), "files_module"),
        (
            json!({"address": {"city": "c".repeat(201)}}),
            "address.city",
        ),
        (json!({"address": {"planet": "Mars"}}), "address.planet"),
        (json!({"theme": "dark"}), "theme"),
        (json!({"version": 7}), "version"),
    ];
    for (body, field) in &cases {
        api.patch("/settings", body, None)
            .await
            .expect_problem(422, field);
    }
    // Several bad fields are all reported, and the good ones next to them are not applied.
    let several = api
        .patch(
            "/settings",
            &json!({"lockout_threshold": 0, "password_min_length": 200, "lockout_release_minutes": 60}),
            None,
        )
        .await;
    several.expect_problem(422, "lockout_threshold");
    several.expect_problem(422, "password_min_length");
    let malformed = api
        .send(reqwest::Method::PATCH, "/settings", None, None)
        .await;
    assert!(matches!(malformed.status, 400 | 415), "{malformed:?}");

    assert_eq!(api.get("/settings").await.body, before);
}
