//! `/api/v1/modules`, `/api/v1/roles` and `/api/v1/command-groups`: what roles grant in
//! the organization's applications, and the command hierarchy with its privileges.

use muster_domain::user::{DirectoryAccess, Login, LoginKind, UserStatus};
use muster_domain::{CommandGroupId, NodeId, OrgId, RoleId, UserId};
use muster_store::DbTime;
use muster_store::people::{self, NewPlacement, NewUser};
use muster_testkit::{Api, Backend, OrgFixture, TestApp, on_both_backends};
use serde_json::{Value, json};

use crate::spawn;

on_both_backends!(
    modules_are_created_listed_and_changed_with_if_match,
    bad_module_input_names_the_field_and_changes_nothing,
    a_module_keeps_the_levels_and_items_its_roles_grant,
    role_presets_give_the_grants_the_industrack_page_describes,
    a_preset_with_different_modules_is_refused_unless_custom,
    enable_all_gives_the_map_view_settings_full_access_and_edit_elsewhere,
    roles_are_renamed_and_regranted_with_if_match,
    bad_role_input_names_the_field_and_changes_nothing,
    a_role_in_use_is_neither_deleted_nor_taken_from_its_node_kinds,
    command_groups_form_a_tree_that_cannot_loop,
    command_group_privileges_are_checked_and_replaced_whole,
    command_groups_with_children_or_members_are_not_deleted,
    bad_command_group_input_names_the_field_and_changes_nothing,
    roles_modules_and_groups_of_another_organization_are_invisible,
    every_change_is_audited_with_its_field_changes,
);

/// The modules of the `IndusTrack` "office users" page, as Muster data.
async fn industrack_modules(api: &Api) {
    for module in [
        json!({"key": "scheduling", "name": "Scheduling",
               "items": [{"key": "delivery", "name": "Delivery Schedule"},
                         {"key": "service", "name": "Service Calls"}],
               "requires_items": true}),
        json!({"key": "map", "name": "Map", "levels": ["none", "view"],
               "items": [{"key": "truck_1", "name": "Truck 1"}, {"key": "truck_2", "name": "Truck 2"}]}),
        json!({"key": "timesheet", "name": "Timesheet"}),
        json!({"key": "settings", "name": "Settings",
               "levels": ["none", "view", "edit", "super_admin"]}),
        json!({"key": "vehicle_tracking", "name": "Vehicle Tracking", "levels": ["off", "on"]}),
    ] {
        api.post("/modules", &module).await.expect(201);
    }
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap().to_owned())
        .collect()
}

fn id(reply: &Value) -> String {
    reply["id"].as_str().unwrap().to_owned()
}

/// The id of the role named `name`.
async fn role_id(api: &Api, name: &str) -> String {
    let roles = api.get("/roles").await;
    roles.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .map(id)
        .unwrap()
}

/// Adds a non-login user to `org` straight through the store (this branch has no users
/// API): placed at the root with `role`, in command group `group`.
async fn add_member(
    app: &TestApp,
    org: &OrgFixture,
    login: &str,
    role: &str,
    group: Option<&str>,
) -> String {
    let store = app.store().await;
    let org_id: OrgId = org.org_id.parse().unwrap();
    let id = UserId::new();
    let login = Login::parse(login).unwrap();
    let now = DbTime::now();
    let mut tx = store.begin().await.unwrap();
    people::insert_user(
        &mut tx,
        &NewUser {
            id,
            org: org_id,
            login: &login,
            first_name: "Pat",
            last_name: "Officer",
            employee_number: None,
            badge_number: None,
            email: None,
            phones: &[],
            title: None,
            rank: None,
            unit: None,
            hire_date: None,
            date_of_birth: None,
            gender: None,
            login_kind: LoginKind::None,
            status: UserStatus::Active,
            password_hash: None,
            must_change_password: false,
            is_org_admin: false,
            command_group: group.map(|g| g.parse::<CommandGroupId>().unwrap()),
            directory_access: DirectoryAccess::Everyone,
            now,
        },
    )
    .await
    .unwrap();
    people::insert_placement(
        &mut tx,
        &NewPlacement {
            org: org_id,
            user: id,
            node: org.root_node_id.parse::<NodeId>().unwrap(),
            role: role.parse::<RoleId>().unwrap(),
            is_default: true,
            starts_on: None,
            ends_on: None,
            now,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    store.close().await;
    id.to_string()
}

async fn modules_are_created_listed_and_changed_with_if_match(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);

    let created = api
        .post(
            "/modules",
            &json!({"key": "scheduling", "name": "Scheduling",
                    "items": [{"key": "delivery", "name": "Delivery Schedule"}],
                    "requires_items": true}),
        )
        .await;

    assert_eq!(
        created.expect(201),
        &json!({"key": "scheduling", "name": "Scheduling",
                "levels": ["none", "view", "edit"],
                "items": [{"key": "delivery", "name": "Delivery Schedule"}],
                "requires_items": true, "version": 1})
    );
    assert_eq!(created.etag().as_deref(), Some("\"1\""));
    let read = api.get("/modules/scheduling").await;
    assert_eq!(read.expect(200), &created.body);
    assert_eq!(read.etag().as_deref(), Some("\"1\""));
    for (key, name) in [
        ("map", "Map"),
        ("timesheet", "Timesheet"),
        ("forms", "Forms"),
    ] {
        api.post("/modules", &json!({"key": key, "name": name}))
            .await
            .expect(201);
    }
    let first = api.get("/modules?limit=3").await;
    assert_eq!(first.expect(200)["total"], 4);
    assert_eq!(names(&first.body), ["Forms", "Map", "Scheduling"]);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = api.get(&format!("/modules?limit=3&cursor={cursor}")).await;
    assert_eq!(names(second.expect(200)), ["Timesheet"]);
    assert_eq!(second.body["next_cursor"], Value::Null);

    let patched = api
        .patch(
            "/modules/scheduling",
            &json!({"name": "Schedule",
                    "levels": ["none", "view", "edit", "dispatch"],
                    "items": [{"key": "delivery", "name": "Deliveries"},
                              {"key": "service", "name": "Service Calls"}]}),
            Some("\"1\""),
        )
        .await;
    let stale = api
        .patch(
            "/modules/scheduling",
            &json!({"name": "Lost update"}),
            Some("\"1\""),
        )
        .await;

    assert_eq!(patched.expect(200)["name"], "Schedule");
    assert_eq!(patched.body["levels"][3], "dispatch");
    assert_eq!(patched.body["items"][1]["key"], "service");
    assert_eq!(patched.etag().as_deref(), Some("\"2\""));
    stale.expect(412);
    assert_eq!(stale.content_type(), "application/problem+json");
    assert_eq!(api.get("/modules/scheduling").await.body, patched.body);
    api.get("/modules/payroll").await.expect(404);
    api.patch("/modules/payroll", &json!({"name": "Payroll"}), None)
        .await
        .expect(404);
}

async fn bad_module_input_names_the_field_and_changes_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    api.post(
        "/modules",
        &json!({"key": "map", "name": "Map", "levels": ["none", "view"]}),
    )
    .await
    .expect(201);
    let map = api.get("/modules/map").await.body;

    let cases = [
        (json!({"key": "Map2", "name": "Map"}), 422, "key"),
        (json!({"key": "map-2", "name": "Map"}), 422, "key"),
        (json!({"key": "a".repeat(41), "name": "Map"}), 422, "key"),
        (json!({"key": "m2", "name": " "}), 422, "name"),
        (
            json!({"key": "m2", "name": "M", "levels": ["none"]}),
            422,
            "levels",
        ),
        (
            json!({"key": "m2", "name": "M", "levels": ["none", "view", "none"]}),
            422,
            "levels[2]",
        ),
        (
            json!({"key": "m2", "name": "M", "levels": ["none", "View"]}),
            422,
            "levels[1]",
        ),
        (
            json!({"key": "m2", "name": "M", "levels": (0..11).map(|i| format!("l{i}")).collect::<Vec<_>>()}),
            422,
            "levels",
        ),
        (
            json!({"key": "m2", "name": "M", "items": [{"key": "a", "name": "A"}, {"key": "a", "name": "B"}]}),
            422,
            "items[1].key",
        ),
        (
            json!({"key": "m2", "name": "M", "items": [{"key": "a", "name": ""}]}),
            422,
            "items[0].name",
        ),
        (
            json!({"key": "m2", "name": "M", "requires_items": true}),
            422,
            "requires_items",
        ),
        (
            json!({"key": "m2", "name": "M", "colour": "red"}),
            422,
            "colour",
        ),
        (json!({"key": "map", "name": "Another map"}), 409, "key"),
    ];
    for (body, status, field) in cases {
        api.post("/modules", &body)
            .await
            .expect_problem(status, field);
    }
    for (patch, field) in [
        (json!({"levels": ["none"]}), "levels"),
        (json!({"name": ""}), "name"),
        (json!({"key": "maps"}), "key"),
        (json!({"requires_items": true}), "requires_items"),
    ] {
        api.patch("/modules/map", &patch, None)
            .await
            .expect_problem(422, field);
    }

    let after = api.get("/modules").await;
    assert_eq!(after.body["total"], 1);
    assert_eq!(after.body["items"][0], map);
}

async fn a_module_keeps_the_levels_and_items_its_roles_grant(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    industrack_modules(&api).await;
    api.post(
        "/roles",
        &json!({"name": "Dispatcher", "assignable_at": ["Location"],
                "modules": {"scheduling": {"level": "edit", "items": ["delivery"]},
                            "timesheet": "view"}}),
    )
    .await
    .expect(201);
    let scheduling = api.get("/modules/scheduling").await.body;
    let timesheet = api.get("/modules/timesheet").await.body;

    let without_edit = api
        .patch(
            "/modules/scheduling",
            &json!({"levels": ["none", "view"]}),
            None,
        )
        .await;
    let without_delivery = api
        .patch(
            "/modules/scheduling",
            &json!({"items": [{"key": "service", "name": "Service Calls"}]}),
            None,
        )
        .await;
    let requiring = api
        .patch(
            "/modules/timesheet",
            &json!({"items": [{"key": "day", "name": "Day shift"}], "requires_items": true}),
            None,
        )
        .await;

    without_edit.expect_problem(409, "levels");
    without_delivery.expect_problem(409, "items");
    requiring.expect_problem(409, "requires_items");
    assert_eq!(api.get("/modules/scheduling").await.body, scheduling);
    assert_eq!(api.get("/modules/timesheet").await.body, timesheet);

    // Levels and items no role grants may go; the lowest level may be renamed.
    let fine = api
        .patch(
            "/modules/scheduling",
            &json!({"levels": ["off", "edit"],
                    "items": [{"key": "delivery", "name": "Deliveries"}]}),
            None,
        )
        .await;
    fine.expect(200);
    let role = api
        .get(&format!("/roles/{}", role_id(&api, "Dispatcher").await))
        .await;
    assert_eq!(
        role.body["modules"]["scheduling"],
        json!({"level": "edit", "items": ["delivery"]})
    );
    assert_eq!(role.body["modules"]["timesheet"], "view");
}

async fn role_presets_give_the_grants_the_industrack_page_describes(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    industrack_modules(&api).await;

    let view_only = api
        .post(
            "/roles",
            &json!({"name": "Viewer", "assignable_at": ["region", "DIVISION"],
                    "capabilities": ["users.view"], "preset": "view_only"}),
        )
        .await;
    let edit_view = api
        .post(
            "/roles",
            &json!({"name": "Editor", "assignable_at": ["Location"], "preset": "edit_view"}),
        )
        .await;
    let admin = api
        .post(
            "/roles",
            &json!({"name": "Office Admin", "assignable_at": ["Location"], "preset": "admin"}),
        )
        .await;
    let custom = api
        .post(
            "/roles",
            &json!({"name": "Scheduler", "assignable_at": ["Location"],
                    "modules": {"scheduling": {"level": "edit", "items": ["service"]},
                                "vehicle_tracking": "on"}}),
        )
        .await;

    // View only: view everywhere it exists; the switch stays off.
    let viewer = view_only.expect(201);
    assert_eq!(viewer["preset"], "view_only");
    assert_eq!(viewer["assignable_at"], json!(["Region", "Division"]));
    assert_eq!(viewer["capabilities"], json!(["users.view"]));
    assert_eq!(
        viewer["modules"],
        json!({"scheduling": {"level": "view", "items": "all"},
               "map": {"level": "view", "items": "all"},
               "timesheet": "view", "settings": "view", "vehicle_tracking": "off"})
    );
    // Edit & view: edit where it exists, else view (the map cannot be edited).
    assert_eq!(
        edit_view.expect(201)["modules"],
        json!({"scheduling": {"level": "edit", "items": "all"},
               "map": {"level": "view", "items": "all"},
               "timesheet": "edit", "settings": "edit", "vehicle_tracking": "off"})
    );
    // Admin: every module at its top level, settings at super admin.
    assert_eq!(
        admin.expect(201)["modules"],
        json!({"scheduling": {"level": "edit", "items": "all"},
               "map": {"level": "view", "items": "all"},
               "timesheet": "edit", "settings": "super_admin", "vehicle_tracking": "on"})
    );
    assert_eq!(admin.body["preset"], "admin");
    // Custom: what was given, the rest at the lowest level.
    assert_eq!(custom.expect(201)["preset"], "custom");
    assert_eq!(
        custom.body["modules"],
        json!({"scheduling": {"level": "edit", "items": ["service"]},
               "map": {"level": "none", "items": []},
               "timesheet": "none", "settings": "none", "vehicle_tracking": "on"})
    );
    assert_eq!(
        api.get(&format!("/roles/{}", id(viewer))).await.body,
        *viewer
    );

    // Applying a preset to an existing role recomputes its grants.
    let to_admin = api
        .patch(
            &format!("/roles/{}", id(&custom.body)),
            &json!({"preset": "admin"}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(to_admin.expect(200)["modules"], admin.body["modules"]);
    assert_eq!(to_admin.body["preset"], "admin");
}

async fn a_preset_with_different_modules_is_refused_unless_custom(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    industrack_modules(&api).await;

    let mismatch = api
        .post(
            "/roles",
            &json!({"name": "Clerk", "assignable_at": ["Location"], "preset": "view_only",
                    "modules": {"timesheet": "edit"}}),
        )
        .await;
    let matching = api
        .post(
            "/roles",
            &json!({"name": "Switcher", "assignable_at": ["Location"], "preset": "view_only",
                    "modules": {"scheduling": {"level": "view", "items": "all"},
                                "map": {"level": "view", "items": "all"},
                                "timesheet": "view", "settings": "view"}}),
        )
        .await;
    let custom = api
        .post(
            "/roles",
            &json!({"name": "Clerk", "assignable_at": ["Location"], "preset": "custom",
                    "modules": {"timesheet": "edit"}}),
        )
        .await;

    mismatch.expect_problem(422, "preset");
    assert_eq!(matching.expect(201)["preset"], "view_only");
    assert_eq!(custom.expect(201)["modules"]["timesheet"], "edit");
    // Changing the grants of a preset role without naming a preset makes it custom.
    let regranted = api
        .patch(
            &format!("/roles/{}", id(&matching.body)),
            &json!({"modules": {"timesheet": "edit"}}),
            None,
        )
        .await;
    assert_eq!(regranted.expect(200)["preset"], "custom");
    assert_eq!(regranted.body["modules"]["settings"], "none");
    let refused = api
        .patch(
            &format!("/roles/{}", id(&matching.body)),
            &json!({"preset": "admin", "modules": {"timesheet": "edit"}}),
            None,
        )
        .await;
    refused.expect_problem(422, "preset");
    assert_eq!(
        api.get(&format!("/roles/{}", id(&matching.body)))
            .await
            .body,
        regranted.body
    );
}

async fn enable_all_gives_the_map_view_settings_full_access_and_edit_elsewhere(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    industrack_modules(&api).await;
    let role = api
        .post(
            "/roles",
            &json!({"name": "Office", "assignable_at": ["Location"], "preset": "view_only"}),
        )
        .await;
    let role_id = id(&role.body);

    let stale = api
        .send(
            reqwest::Method::POST,
            &format!("/roles/{role_id}/enable-all"),
            None,
            Some("\"9\""),
        )
        .await;
    let enabled = api
        .send(
            reqwest::Method::POST,
            &format!("/roles/{role_id}/enable-all"),
            None,
            Some("\"1\""),
        )
        .await;

    stale.expect(412);
    assert_eq!(
        enabled.expect(200)["modules"],
        json!({"scheduling": {"level": "edit", "items": "all"},
               "map": {"level": "view", "items": "all"},
               "timesheet": "edit", "settings": "super_admin", "vehicle_tracking": "on"})
    );
    assert_eq!(enabled.body["preset"], "custom");
    assert_eq!(enabled.etag().as_deref(), Some("\"2\""));
    assert_eq!(
        api.get(&format!("/roles/{role_id}")).await.body,
        enabled.body
    );
    api.post(
        "/roles/0190e0d6-7a3c-7f00-8000-000000000000/enable-all",
        &json!({}),
    )
    .await
    .expect(404);
}

async fn roles_are_renamed_and_regranted_with_if_match(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    industrack_modules(&api).await;
    let created = api
        .post(
            "/roles",
            &json!({"name": "Station Lead", "assignable_at": ["Location"],
                    "capabilities": ["users.view"]}),
        )
        .await;
    let role_id = id(&created.body);
    assert_eq!(created.expect(201)["preset"], "custom");
    assert_eq!(created.body["modules"]["settings"], "none");

    let patched = api
        .patch(
            &format!("/roles/{role_id}"),
            &json!({"name": "Station Captain",
                    "assignable_at": ["Division", "Location"],
                    "capabilities": ["users.edit", "users.view", "users.edit"],
                    "modules": {"settings": "edit"}}),
            Some("\"1\""),
        )
        .await;
    let stale = api
        .patch(
            &format!("/roles/{role_id}"),
            &json!({"name": "Lost update"}),
            Some("\"1\""),
        )
        .await;
    let case_only = api
        .patch(
            &format!("/roles/{role_id}"),
            &json!({"name": "station captain"}),
            Some("\"2\""),
        )
        .await;

    let role = patched.expect(200);
    assert_eq!(role["name"], "Station Captain");
    assert_eq!(role["assignable_at"], json!(["Division", "Location"]));
    assert_eq!(role["capabilities"], json!(["users.view", "users.edit"]));
    assert_eq!(role["modules"]["settings"], "edit");
    assert_eq!(patched.etag().as_deref(), Some("\"2\""));
    stale.expect(412);
    assert_eq!(case_only.expect(200)["name"], "station captain");
    let list = api.get("/roles?limit=2").await;
    assert_eq!(list.expect(200)["total"], 3);
    assert_eq!(names(&list.body), ["Administrator", "Employee"]);
    let cursor = list.body["next_cursor"].as_str().unwrap();
    let rest = api.get(&format!("/roles?limit=2&cursor={cursor}")).await;
    assert_eq!(names(rest.expect(200)), ["station captain"]);
    assert_eq!(rest.body["items"][0]["modules"]["settings"], "edit");
}

/// Bodies of `POST /roles` that must be refused, with the status and the field named.
fn bad_new_roles() -> Vec<(Value, u16, &'static str)> {
    let base = |extra: Value| {
        let mut body = json!({"name": "Clerk", "assignable_at": ["Location"]});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    vec![
        (
            base(json!({"capabilities": ["users.view", "users.fly"]})),
            422,
            "capabilities[1]",
        ),
        (
            base(json!({"modules": {"payroll": "view"}})),
            422,
            "modules.payroll",
        ),
        (
            base(json!({"modules": {"map": "edit"}})),
            422,
            "modules.map",
        ),
        (
            base(json!({"modules": {"timesheet": "super_admin"}})),
            422,
            "modules.timesheet",
        ),
        (
            base(json!({"modules": {"scheduling": "view"}})),
            422,
            "modules.scheduling.items",
        ),
        (
            base(json!({"modules": {"scheduling": {"level": "edit", "items": []}}})),
            422,
            "modules.scheduling.items",
        ),
        (
            base(json!({"modules": {"map": {"level": "view", "items": ["truck_9"]}}})),
            422,
            "modules.map.items[0]",
        ),
        (base(json!({"modules": {"map": 5}})), 422, "modules.map"),
        (
            base(json!({"assignable_at": ["Location", "Planet"]})),
            422,
            "assignable_at[1]",
        ),
        (base(json!({"assignable_at": []})), 422, "assignable_at"),
        (base(json!({"name": "x".repeat(101)})), 422, "name"),
        (base(json!({"name": "  "})), 422, "name"),
        (base(json!({"preset": "superuser"})), 422, "preset"),
        (base(json!({"colour": "red"})), 422, "colour"),
        (base(json!({"name": "ADMINISTRATOR"})), 409, "name"),
        (base(json!({"name": "dispatcher"})), 409, "name"),
    ]
}

async fn bad_role_input_names_the_field_and_changes_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    industrack_modules(&api).await;
    let role = api
        .post(
            "/roles",
            &json!({"name": "Dispatcher", "assignable_at": ["Location"], "preset": "view_only"}),
        )
        .await;
    let role = role.expect(201).clone();
    let before = api.get("/roles").await.body;

    let cases = bad_new_roles();
    for (body, status, field) in cases {
        api.post("/roles", &body)
            .await
            .expect_problem(status, field);
    }
    let role_path = format!("/roles/{}", id(&role));
    for (patch, status, field) in [
        (
            json!({"capabilities": ["everything"]}),
            422,
            "capabilities[0]",
        ),
        (json!({"modules": {"map": "edit"}}), 422, "modules.map"),
        (
            json!({"assignable_at": ["Planet"]}),
            422,
            "assignable_at[0]",
        ),
        (json!({"assignable_at": []}), 422, "assignable_at"),
        (json!({"name": "Employee"}), 409, "name"),
    ] {
        api.patch(&role_path, &patch, None)
            .await
            .expect_problem(status, field);
    }
    // Every error is reported at once.
    let many = api
        .post(
            "/roles",
            &json!({"name": "", "assignable_at": ["Planet"],
                    "capabilities": ["nope"], "modules": {"payroll": "view"}}),
        )
        .await;
    for field in [
        "name",
        "assignable_at[0]",
        "capabilities[0]",
        "modules.payroll",
    ] {
        many.expect_problem(422, field);
    }

    assert_eq!(api.get("/roles").await.body, before);
    assert_eq!(api.get(&role_path).await.body, role);
}

async fn a_role_in_use_is_neither_deleted_nor_taken_from_its_node_kinds(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let admin_role = role_id(&api, "Administrator").await;
    let employee_role = role_id(&api, "Employee").await;
    let admin_before = api.get(&format!("/roles/{admin_role}")).await.body;
    let unused = api
        .post(
            "/roles",
            &json!({"name": "Temporary", "assignable_at": ["Organization", "Region"]}),
        )
        .await
        .body;

    // The organization administrator holds "Administrator" at the root.
    api.delete(&format!("/roles/{admin_role}"), None)
        .await
        .expect_problem(409, "id");
    api.patch(
        &format!("/roles/{admin_role}"),
        &json!({"assignable_at": ["Region", "Division", "Location"]}),
        None,
    )
    .await
    .expect_problem(409, "assignable_at");
    assert_eq!(
        api.get(&format!("/roles/{admin_role}")).await.body,
        admin_before
    );
    // Kinds where nobody holds the role may go.
    let narrowed = api
        .patch(
            &format!("/roles/{admin_role}"),
            &json!({"assignable_at": ["Organization", "Region"]}),
            None,
        )
        .await;
    assert_eq!(
        narrowed.expect(200)["assignable_at"],
        json!(["Organization", "Region"])
    );

    // A role placed on any user is kept; an unused one is deleted, with If-Match.
    add_member(&app, &org, "pat", &employee_role, None).await;
    api.delete(&format!("/roles/{employee_role}"), None)
        .await
        .expect_problem(409, "id");
    let unused_path = format!("/roles/{}", id(&unused));
    api.delete(&unused_path, Some("\"5\"")).await.expect(412);
    api.delete(&unused_path, Some("\"1\"")).await.expect(204);
    api.get(&unused_path).await.expect(404);
    api.delete(&unused_path, None).await.expect(404);
    assert_eq!(api.get("/roles").await.body["total"], 2);
    // The name of a deleted role is free again.
    api.post(
        "/roles",
        &json!({"name": "temporary", "assignable_at": ["Region"]}),
    )
    .await
    .expect(201);
}

async fn command_groups_form_a_tree_that_cannot_loop(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Harbor County Police", "chief").await;
    let api = app.api(&org);
    let group = |name: &str, parent: Option<&str>| json!({"name": name, "parent_id": parent});
    let captain = api.post("/command-groups", &group("Captain", None)).await;
    let captain_id = id(captain.expect(201));
    assert_eq!(captain.body["parent_id"], Value::Null);
    assert_eq!(captain.body["privileges"], json!([]));
    assert_eq!(captain.etag().as_deref(), Some("\"1\""));
    let lieutenant = id(&api
        .post("/command-groups", &group("Lieutenant", Some(&captain_id)))
        .await
        .body);
    let sergeant = id(&api
        .post("/command-groups", &group("Sergeant", Some(&lieutenant)))
        .await
        .body);
    let officer = id(&api
        .post("/command-groups", &group("Officer", Some(&sergeant)))
        .await
        .body);
    let clerk = id(&api
        .post("/command-groups", &group("Clerk", Some(&captain_id)))
        .await
        .body);
    let captain_before = api.get(&format!("/command-groups/{captain_id}")).await.body;

    let under_descendant = api
        .patch(
            &format!("/command-groups/{captain_id}"),
            &json!({"parent_id": officer}),
            None,
        )
        .await;
    let under_itself = api
        .patch(
            &format!("/command-groups/{captain_id}"),
            &json!({"parent_id": captain_id}),
            None,
        )
        .await;
    let moved = api
        .patch(
            &format!("/command-groups/{sergeant}"),
            &json!({"parent_id": clerk}),
            Some("\"1\""),
        )
        .await;
    let to_root = api
        .patch(
            &format!("/command-groups/{clerk}"),
            &json!({"parent_id": null, "name": "Records Clerk"}),
            None,
        )
        .await;

    under_descendant.expect_problem(409, "parent_id");
    under_itself.expect_problem(409, "parent_id");
    assert_eq!(
        api.get(&format!("/command-groups/{captain_id}")).await.body,
        captain_before
    );
    assert_eq!(moved.expect(200)["parent_id"], clerk.as_str());
    assert_eq!(moved.etag().as_deref(), Some("\"2\""));
    assert_eq!(to_root.expect(200)["parent_id"], Value::Null);
    assert_eq!(to_root.body["name"], "Records Clerk");
    // The officer came along with the sergeant: now below the clerk, no longer below the
    // captain.
    api.patch(
        &format!("/command-groups/{clerk}"),
        &json!({"parent_id": officer}),
        None,
    )
    .await
    .expect_problem(409, "parent_id");
    api.patch(
        &format!("/command-groups/{captain_id}"),
        &json!({"parent_id": officer}),
        None,
    )
    .await
    .expect(200);

    let page = api.get("/command-groups?limit=3").await;
    assert_eq!(page.expect(200)["total"], 5);
    assert_eq!(names(&page.body), ["Captain", "Lieutenant", "Officer"]);
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let rest = api
        .get(&format!("/command-groups?limit=3&cursor={cursor}"))
        .await;
    assert_eq!(names(rest.expect(200)), ["Records Clerk", "Sergeant"]);
}

async fn command_group_privileges_are_checked_and_replaced_whole(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Harbor County Police", "chief").await;
    let api = app.api(&org);
    let created = api
        .post(
            "/command-groups",
            &json!({"name": "Sergeant", "privileges": [
                {"scope": "direct", "access": "edit", "section": "discipline"},
                {"scope": "all", "access": "view", "section": "photo"},
                {"scope": "peers", "access": "view", "section": "commendations"},
                {"scope": "self", "access": "view", "section": "audit_log"},
            ]}),
        )
        .await;
    let group = created.expect(201).clone();
    let path = format!("/command-groups/{}", id(&group));
    assert_eq!(
        group["privileges"],
        json!([
            {"scope": "self", "access": "view", "section": "audit_log"},
            {"scope": "peers", "access": "view", "section": "commendations"},
            {"scope": "direct", "access": "edit", "section": "discipline"},
            {"scope": "all", "access": "view", "section": "photo"},
        ])
    );

    let refused = [
        (
            json!([{"scope": "all", "access": "view", "section": "photo"},
                   {"scope": "peers", "access": "edit", "section": "discipline"}]),
            "privileges[1]",
        ),
        (
            json!([{"scope": "all", "access": "edit", "section": "audit_log"}]),
            "privileges[0]",
        ),
        (
            json!([{"scope": "direct", "access": "edit", "section": "related_reports"}]),
            "privileges[0]",
        ),
        (
            json!([{"scope": "direct", "access": "view", "section": "discipline"},
                   {"scope": "indirect", "access": "view", "section": "discipline"},
                   {"scope": "direct", "access": "edit", "section": "discipline"}]),
            "privileges[2]",
        ),
        (
            json!([{"scope": "everyone", "access": "view", "section": "photo"}]),
            "privileges[0].scope",
        ),
        (
            json!([{"scope": "all", "access": "view", "section": "salary"}]),
            "privileges[0].section",
        ),
        (
            json!([{"scope": "all", "access": "view"}]),
            "privileges[0].section",
        ),
    ];
    for (privileges, field) in refused {
        api.post(
            "/command-groups",
            &json!({"name": "Officer", "privileges": privileges}),
        )
        .await
        .expect_problem(422, field);
        api.patch(&path, &json!({"privileges": privileges}), None)
            .await
            .expect_problem(422, field);
    }
    assert_eq!(api.get(&path).await.body, group);
    assert_eq!(api.get("/command-groups").await.body["total"], 1);

    let replaced = api
        .patch(
            &path,
            &json!({"privileges": [
                {"scope": "indirect", "access": "view", "section": "performance_reviews"},
            ]}),
            Some("\"1\""),
        )
        .await;
    let stale = api
        .patch(&path, &json!({"privileges": []}), Some("\"1\""))
        .await;

    assert_eq!(
        replaced.expect(200)["privileges"],
        json!([{"scope": "indirect", "access": "view", "section": "performance_reviews"}])
    );
    stale.expect(412);
    assert_eq!(api.get(&path).await.body, replaced.body);
    let listed = api.get("/command-groups").await;
    assert_eq!(listed.body["items"][0], replaced.body);
    // Renaming keeps the privileges.
    let renamed = api.patch(&path, &json!({"name": "Sgt."}), None).await;
    assert_eq!(
        renamed.expect(200)["privileges"],
        replaced.body["privileges"]
    );
}

async fn command_groups_with_children_or_members_are_not_deleted(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Harbor County Police", "chief").await;
    let api = app.api(&org);
    let captain = id(&api
        .post("/command-groups", &json!({"name": "Captain"}))
        .await
        .body);
    let lieutenant = id(&api
        .post(
            "/command-groups",
            &json!({"name": "Lieutenant", "parent_id": captain}),
        )
        .await
        .body);
    let clerk = id(&api
        .post(
            "/command-groups",
            &json!({"name": "Clerk", "parent_id": captain,
                    "privileges": [{"scope": "all", "access": "view", "section": "photo"}]}),
        )
        .await
        .body);
    let employee_role = role_id(&api, "Employee").await;
    add_member(&app, &org, "pat", &employee_role, Some(&lieutenant)).await;

    api.delete(&format!("/command-groups/{captain}"), None)
        .await
        .expect_problem(409, "id");
    api.delete(&format!("/command-groups/{lieutenant}"), None)
        .await
        .expect_problem(409, "id");
    api.delete(&format!("/command-groups/{clerk}"), Some("\"3\""))
        .await
        .expect(412);
    assert_eq!(api.get("/command-groups").await.body["total"], 3);

    api.delete(&format!("/command-groups/{clerk}"), Some("\"1\""))
        .await
        .expect(204);
    api.get(&format!("/command-groups/{clerk}"))
        .await
        .expect(404);
    api.patch(
        &format!("/command-groups/{lieutenant}"),
        &json!({"parent_id": clerk}),
        None,
    )
    .await
    .expect_problem(422, "parent_id");
    // The name of a deleted group is free again.
    api.post("/command-groups", &json!({"name": "clerk"}))
        .await
        .expect(201);
    assert_eq!(api.get("/command-groups").await.body["total"], 3);
}

async fn bad_command_group_input_names_the_field_and_changes_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Harbor County Police", "chief").await;
    let api = app.api(&org);
    let captain = api
        .post("/command-groups", &json!({"name": "Captain"}))
        .await;
    let captain = captain.expect(201).clone();
    let path = format!("/command-groups/{}", id(&captain));

    let cases = [
        (json!({"name": ""}), 422, "name"),
        (json!({"name": "x".repeat(101)}), 422, "name"),
        (json!({"name": 7}), 422, "name"),
        (
            json!({"name": "Lieutenant", "parent_id": "0190e0d6-7a3c-7f00-8000-000000000000"}),
            422,
            "parent_id",
        ),
        (
            json!({"name": "Lieutenant", "parent_id": "nope"}),
            422,
            "parent_id",
        ),
        (json!({"name": "Lieutenant", "rank": 3}), 422, "rank"),
        (json!({"name": "CAPTAIN"}), 409, "name"),
    ];
    for (body, status, field) in cases {
        api.post("/command-groups", &body)
            .await
            .expect_problem(status, field);
    }
    for (patch, status, field) in [
        (json!({"name": " "}), 422, "name"),
        (
            json!({"parent_id": "0190e0d6-7a3c-7f00-8000-000000000000"}),
            422,
            "parent_id",
        ),
        (
            json!({"privileges": [{"scope": "peers", "access": "edit", "section": "photo"}]}),
            422,
            "privileges[0]",
        ),
    ] {
        api.patch(&path, &patch, None)
            .await
            .expect_problem(status, field);
    }
    api.patch(
        "/command-groups/0190e0d6-7a3c-7f00-8000-000000000000",
        &json!({"name": "Ghost"}),
        None,
    )
    .await
    .expect(404);

    let list = api.get("/command-groups").await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0], captain);
}

async fn roles_modules_and_groups_of_another_organization_are_invisible(backend: Backend) {
    let app = spawn(backend).await;
    let bay = app.init_org("Bay City Fire", "chief").await;
    let harbor = app.init_org("Harbor County Police", "chief").await;
    let bay_api = app.api(&bay);
    let harbor_api = app.api(&harbor);
    bay_api
        .post(
            "/modules",
            &json!({"key": "map", "name": "Map", "levels": ["none", "view"]}),
        )
        .await
        .expect(201);
    let role = bay_api
        .post(
            "/roles",
            &json!({"name": "Dispatcher", "assignable_at": ["Location"],
                    "modules": {"map": "view"}}),
        )
        .await;
    let role_path = format!("/roles/{}", id(role.expect(201)));
    let group = bay_api
        .post("/command-groups", &json!({"name": "Captain"}))
        .await;
    let group_path = format!("/command-groups/{}", id(group.expect(201)));

    harbor_api.get(&role_path).await.expect(404);
    harbor_api
        .patch(&role_path, &json!({"name": "Stolen"}), None)
        .await
        .expect(404);
    harbor_api.delete(&role_path, None).await.expect(404);
    harbor_api
        .send(
            reqwest::Method::POST,
            &format!("{role_path}/enable-all"),
            None,
            None,
        )
        .await
        .expect(404);
    harbor_api.get(&group_path).await.expect(404);
    harbor_api
        .patch(&group_path, &json!({"name": "Stolen"}), None)
        .await
        .expect(404);
    harbor_api.delete(&group_path, None).await.expect(404);
    harbor_api.get("/modules/map").await.expect(404);
    // Another organization's group is no parent, its modules no grant.
    harbor_api
        .post(
            "/command-groups",
            &json!({"name": "Sergeant", "parent_id": id(&group.body)}),
        )
        .await
        .expect_problem(422, "parent_id");
    harbor_api
        .post(
            "/roles",
            &json!({"name": "Dispatcher", "assignable_at": ["Location"],
                    "modules": {"map": "view"}}),
        )
        .await
        .expect_problem(422, "modules.map");
    assert_eq!(harbor_api.get("/modules").await.body["total"], 0);
    assert_eq!(harbor_api.get("/roles").await.body["total"], 2);
    assert_eq!(harbor_api.get("/command-groups").await.body["total"], 0);
    // Keys and names are per organization.
    harbor_api
        .post("/modules", &json!({"key": "map", "name": "Map"}))
        .await
        .expect(201);
    harbor_api
        .post("/command-groups", &json!({"name": "Captain"}))
        .await
        .expect(201);
    assert_eq!(bay_api.get(&role_path).await.body, role.body);
    assert_eq!(bay_api.get(&group_path).await.body, group.body);
}

async fn every_change_is_audited_with_its_field_changes(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    api.post(
        "/modules",
        &json!({"key": "timesheet", "name": "Timesheet"}),
    )
    .await
    .expect(201);
    api.patch("/modules/timesheet", &json!({"name": "Time"}), None)
        .await
        .expect(200);
    let role = id(&api
        .post(
            "/roles",
            &json!({"name": "Clerk", "assignable_at": ["Location"]}),
        )
        .await
        .body);
    api.patch(
        &format!("/roles/{role}"),
        &json!({"modules": {"timesheet": "view"}}),
        None,
    )
    .await
    .expect(200);
    api.post(&format!("/roles/{role}/enable-all"), &json!({}))
        .await
        .expect(200);
    api.delete(&format!("/roles/{role}"), None)
        .await
        .expect(204);
    let group = id(&api
        .post("/command-groups", &json!({"name": "Captain"}))
        .await
        .body);
    api.patch(
        &format!("/command-groups/{group}"),
        &json!({"privileges": [{"scope": "all", "access": "view", "section": "photo"}]}),
        None,
    )
    .await
    .expect(200);
    api.delete(&format!("/command-groups/{group}"), None)
        .await
        .expect(204);
    // Refused changes leave no trace.
    api.post("/modules", &json!({"key": "timesheet", "name": "Again"}))
        .await
        .expect(409);

    let store = app.store().await;
    let events = muster_store::audit::chain_batch(&store, org.org_id.parse().unwrap(), 0, 1000)
        .await
        .unwrap();
    store.close().await;
    let parsed: Vec<Value> = events
        .iter()
        .map(|e| serde_json::from_str(&e.changes).unwrap())
        .collect();
    let ours: Vec<(&str, &Value)> = events
        .iter()
        .zip(&parsed)
        .filter(|(e, _)| {
            !["organization.create", "user.create", "token.create"].contains(&e.action.as_str())
        })
        .map(|(e, changes)| (e.action.as_str(), changes))
        .collect();
    let actions: Vec<&str> = ours.iter().map(|(a, _)| *a).collect();
    assert_eq!(
        actions,
        [
            "module.create",
            "module.update",
            "role.create",
            "role.update",
            "role.enable_all",
            "role.delete",
            "command_group.create",
            "command_group.update",
            "command_group.delete",
        ]
    );
    assert_eq!(
        ours[1].1,
        &json!({"name": {"before": "Timesheet", "after": "Time"}})
    );
    assert_eq!(
        ours[3].1["modules"],
        json!({"before": {"timesheet": "none"}, "after": {"timesheet": "view"}})
    );
    assert_eq!(ours[4].1["modules"]["after"], json!({"timesheet": "edit"}));
    assert_eq!(ours[5].1["name"], json!({"before": "Clerk", "after": null}));
    assert_eq!(
        ours[7].1["privileges"]["after"],
        json!([{"scope": "all", "access": "view", "section": "photo"}])
    );
    assert!(events.iter().all(|e| e.target_id.is_some()));
}
