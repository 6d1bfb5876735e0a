//! `/api/v1/users/{id}/emergency-contacts` and `/api/v1/users/{id}/barcodes`.

use muster_domain::user::{DirectoryAccess, Login, LoginKind, UserStatus};
use muster_domain::{NodeId, OrgId, UserId};
use muster_store::DbTime;
use muster_store::contacts::any_placement_role_for_tests;
use muster_store::people::{self, NewPlacement, NewUser};
use muster_testkit::{Api, Backend, OrgFixture, TestApp, on_both_backends};
use serde_json::{Value, json};

use crate::spawn;

on_both_backends!(
    emergency_contacts_are_added_and_listed_in_call_order,
    emergency_contacts_are_changed_with_if_match_and_removed_on_the_audit_trail,
    bad_contact_input_names_the_field_and_changes_nothing,
    contacts_of_a_user_of_another_organization_are_not_found,
    barcodes_are_unique_per_organization_and_freed_by_delete,
    bad_barcodes_are_refused_and_change_nothing,
);

/// Adds a second (non-login) user to `org`, placed at the root with the administrator's
/// role, straight through the store (this branch has no users API).
async fn second_user(app: &TestApp, org: &OrgFixture, login: &str) -> String {
    let store = app.store().await;
    let org_id: OrgId = org.org_id.parse().unwrap();
    let admin: UserId = org.admin_id.parse().unwrap();
    let role = any_placement_role_for_tests(&store, admin)
        .await
        .unwrap()
        .expect("the administrator is placed");
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
            last_name: "Medic",
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
            command_group: None,
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
            role,
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

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

fn codes(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn actions_about(api: &Api, user: &str) -> Vec<String> {
    let events = api.get(&format!("/users/{user}/audit")).await;
    events.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn emergency_contacts_are_added_and_listed_in_call_order(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let contacts = format!("/users/{}/emergency-contacts", org.admin_id);

    let created = api
        .post(
            &contacts,
            &json!({"name": "Dana Chief", "relationship": "Spouse", "priority": 1,
                    "email": "dana@example.org",
                    "phones": [{"kind": "mobile", "number": " +1 (555) 010-2000 "}],
                    "address": {"street": "1 Harbor Way", "city": "Bay City"}}),
        )
        .await;

    let contact = created.expect(201).clone();
    assert_eq!(created.etag().as_deref(), Some("\"1\""));
    assert_eq!(contact["name"], "Dana Chief");
    assert_eq!(contact["relationship"], "Spouse");
    assert_eq!(contact["phones"][0]["number"], "+1 (555) 010-2000");
    assert_eq!(contact["address"]["city"], "Bay City");
    assert_eq!(contact["version"], 1);
    let id = contact["id"].as_str().unwrap().to_owned();
    assert_eq!(
        api.get(&format!("{contacts}/{id}")).await.expect(200),
        &contact
    );
    for (name, priority) in [("Alex Brother", 2), ("Sam Neighbor", 3), ("Bo Sister", 2)] {
        api.post(&contacts, &json!({"name": name, "priority": priority}))
            .await
            .expect(201);
    }
    let all = api.get(&contacts).await;
    assert_eq!(
        names(all.expect(200)),
        ["Dana Chief", "Alex Brother", "Bo Sister", "Sam Neighbor"]
    );
    assert_eq!(all.body["total"], 4);
    let first = api.get(&format!("{contacts}?limit=3")).await;
    let cursor = first.expect(200)["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let rest = api
        .get(&format!("{contacts}?limit=3&cursor={cursor}"))
        .await;
    assert_eq!(names(rest.expect(200)), ["Sam Neighbor"]);
    assert_eq!(rest.body["next_cursor"], Value::Null);
}

async fn emergency_contacts_are_changed_with_if_match_and_removed_on_the_audit_trail(
    backend: Backend,
) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let contacts = format!("/users/{}/emergency-contacts", org.admin_id);
    let id = api
        .post(
            &contacts,
            &json!({"name": "Dana Chief", "relationship": "Spouse", "email": "dana@example.org"}),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (name, priority) in [("Alex Brother", 2), ("Sam Neighbor", 3), ("Bo Sister", 2)] {
        api.post(&contacts, &json!({"name": name, "priority": priority}))
            .await
            .expect(201);
    }

    let changed = api
        .patch(
            &format!("{contacts}/{id}"),
            &json!({"priority": 5, "relationship": null, "email": "dana@harbor.gov"}),
            Some("\"1\""),
        )
        .await;

    changed.expect(200);
    assert_eq!(changed.etag().as_deref(), Some("\"2\""));
    assert_eq!(changed.body["priority"], 5);
    assert_eq!(changed.body["relationship"], Value::Null);
    assert_eq!(changed.body["email"], "dana@harbor.gov");
    assert_eq!(changed.body["name"], "Dana Chief");
    let stale = api
        .patch(
            &format!("{contacts}/{id}"),
            &json!({"name": "Lost"}),
            Some("\"1\""),
        )
        .await;
    stale.expect(412);
    assert_eq!(
        names(api.get(&contacts).await.expect(200)),
        ["Alex Brother", "Bo Sister", "Sam Neighbor", "Dana Chief"]
    );
    api.delete(&format!("{contacts}/{id}"), Some("\"1\""))
        .await
        .expect(412);
    api.delete(&format!("{contacts}/{id}"), Some("\"2\""))
        .await
        .expect(204);
    api.get(&format!("{contacts}/{id}")).await.expect(404);
    api.delete(&format!("{contacts}/{id}"), None)
        .await
        .expect(404);
    let left = api.get(&contacts).await;
    assert_eq!(left.expect(200)["total"], 3);

    let actions = actions_about(&api, &org.admin_id).await;
    assert_eq!(
        actions[..3],
        [
            "emergency_contact.delete",
            "emergency_contact.update",
            "emergency_contact.create"
        ]
    );
    let events = api
        .get(&format!(
            "/audit?target_id={id}&action=emergency_contact.update"
        ))
        .await;
    let update = &events.expect(200)["items"][0];
    assert_eq!(update["target"]["kind"], "emergency_contact");
    assert_eq!(update["subject_id"], org.admin_id.as_str());
    assert_eq!(
        update["changes"],
        json!({"priority": {"before": 1, "after": 5},
               "relationship": {"before": "Spouse", "after": null},
               "email": {"before": "dana@example.org", "after": "dana@harbor.gov"}})
    );
}

async fn bad_contact_input_names_the_field_and_changes_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let contacts = format!("/users/{}/emergency-contacts", org.admin_id);
    let created = api
        .post(&contacts, &json!({"name": "Dana Chief", "priority": 2}))
        .await;
    let original = created.expect(201).clone();
    let one = format!("{contacts}/{}", original["id"].as_str().unwrap());
    let long = "x".repeat(101);
    let cases = [
        (json!({"name": ""}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": long}), "name"),
        (json!({"name": "Ok", "relationship": long}), "relationship"),
        (json!({"name": "Ok", "email": "not-an-email"}), "email"),
        (json!({"name": "Ok", "email": "a@localhost"}), "email"),
        (json!({"name": "Ok", "priority": 0}), "priority"),
        (json!({"name": "Ok", "priority": 100}), "priority"),
        (
            json!({"name": "Ok", "phones": [{"kind": "cell", "number": "555 0100"}]}),
            "phones[0].kind",
        ),
        (
            json!({"name": "Ok", "phones": [{"kind": "home", "number": "555 0100"},
                                         {"kind": "home", "number": "call me"}]}),
            "phones[1].number",
        ),
        (
            json!({"name": "Ok", "phones": [{"kind": "home", "number": ""}]}),
            "phones[0].number",
        ),
        (
            json!({"name": "Ok", "phones": [{"kind": "home", "number": "5".repeat(41)}]}),
            "phones[0].number",
        ),
        (
            json!({"name": "Ok", "address": {"city": "c".repeat(201)}}),
            "address.city",
        ),
        (json!({"name": "Ok", "colour": "red"}), "colour"),
        (json!({"name": "Ok", "priority": "first"}), "priority"),
    ];

    for (body, field) in &cases {
        api.post(&contacts, body).await.expect_problem(422, field);
        // A patch carries the same checks (name is optional there).
        let mut patch = body.clone();
        if patch["name"] == "Ok" {
            patch.as_object_mut().unwrap().remove("name");
        }
        api.patch(&one, &patch, None)
            .await
            .expect_problem(422, field);
    }

    let all = api.get(&contacts).await;
    assert_eq!(all.expect(200)["total"], 1);
    assert_eq!(api.get(&one).await.expect(200), &original);
    let actions = actions_about(&api, &org.admin_id).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| a.starts_with("emergency_contact."))
            .count(),
        1
    );
}

async fn contacts_of_a_user_of_another_organization_are_not_found(backend: Backend) {
    let app = spawn(backend).await;
    let bay = app.init_org("Bay City Fire", "chief").await;
    let harbor = app.init_org("Harbor County Police", "sheriff").await;
    let bay_api = app.api(&bay);
    let harbor_api = app.api(&harbor);
    let harbor_contacts = format!("/users/{}/emergency-contacts", harbor.admin_id);
    let theirs = harbor_api
        .post(&harbor_contacts, &json!({"name": "Kim Deputy"}))
        .await
        .expect(201)
        .clone();
    let their_one = format!("{harbor_contacts}/{}", theirs["id"].as_str().unwrap());

    bay_api.get(&harbor_contacts).await.expect(404);
    bay_api
        .post(&harbor_contacts, &json!({"name": "Intruder"}))
        .await
        .expect(404);
    bay_api.get(&their_one).await.expect(404);
    bay_api
        .patch(&their_one, &json!({"name": "Changed"}), None)
        .await
        .expect(404);
    bay_api.delete(&their_one, None).await.expect(404);
    // Their contact is not reachable through our own user either.
    let through_ours = format!(
        "/users/{}/emergency-contacts/{}",
        bay.admin_id,
        theirs["id"].as_str().unwrap()
    );
    bay_api.get(&through_ours).await.expect(404);
    bay_api.delete(&through_ours, None).await.expect(404);
    bay_api
        .get(&format!("/users/{}/barcodes", harbor.admin_id))
        .await
        .expect(404);
    bay_api
        .post(
            &format!("/users/{}/barcodes", harbor.admin_id),
            &json!({"code": "X1"}),
        )
        .await
        .expect(404);
    bay_api
        .get(&format!("/users/{}/audit", harbor.admin_id))
        .await
        .expect(404);
    let unknown = UserId::new();
    bay_api
        .get(&format!("/users/{unknown}/emergency-contacts"))
        .await
        .expect(404);
    bay_api
        .get("/users/not-a-uuid/emergency-contacts")
        .await
        .expect_problem_type(404, "not-found");

    assert_eq!(harbor_api.get(&their_one).await.expect(200), &theirs);
    let all = harbor_api.get(&harbor_contacts).await;
    assert_eq!(all.expect(200)["total"], 1);
    let bay_trail = bay_api.get("/audit").await;
    assert!(
        bay_trail.expect(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| !e["action"]
                .as_str()
                .unwrap()
                .starts_with("emergency_contact.")),
        "{:#}",
        bay_trail.body
    );
}

async fn barcodes_are_unique_per_organization_and_freed_by_delete(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let other_org = app.init_org("Harbor County Police", "sheriff").await;
    let medic = second_user(&app, &org, "medic").await;
    let api = app.api(&org);
    let chief_codes = format!("/users/{}/barcodes", org.admin_id);
    let medic_codes = format!("/users/{medic}/barcodes");

    let added = api.post(&chief_codes, &json!({"code": "EMP-0001"})).await;

    assert_eq!(added.expect(201)["code"], "EMP-0001");
    assert!(added.body["created_at"].as_str().unwrap().ends_with('Z'));
    api.post(&chief_codes, &json!({"code": "A/7"}))
        .await
        .expect(201);
    api.post(&chief_codes, &json!({"code": "EMP-0001"}))
        .await
        .expect_problem(409, "code");
    api.post(&medic_codes, &json!({"code": "EMP-0001"}))
        .await
        .expect_problem(409, "code");
    // Case matters: scanners read codes exactly.
    api.post(&medic_codes, &json!({"code": "emp-0001"}))
        .await
        .expect(201);
    app.api(&other_org)
        .post(
            &format!("/users/{}/barcodes", other_org.admin_id),
            &json!({"code": "EMP-0001"}),
        )
        .await
        .expect(201);
    let listed = api.get(&chief_codes).await;
    assert_eq!(codes(listed.expect(200)), ["A/7", "EMP-0001"]);
    assert_eq!(listed.body["total"], 2);
    assert_eq!(codes(api.get(&medic_codes).await.expect(200)), ["emp-0001"]);

    // Only the holder's path deletes a code.
    api.delete(&format!("{medic_codes}/EMP-0001"), None)
        .await
        .expect(404);
    api.delete(&format!("{chief_codes}/NOPE"), None)
        .await
        .expect(404);
    api.delete(&format!("{chief_codes}/A%2F7"), None)
        .await
        .expect(204);
    api.delete(&format!("{chief_codes}/EMP-0001"), None)
        .await
        .expect(204);
    api.post(&medic_codes, &json!({"code": "EMP-0001"}))
        .await
        .expect(201);

    assert_eq!(api.get(&chief_codes).await.expect(200)["total"], 0);
    assert_eq!(
        codes(api.get(&medic_codes).await.expect(200)),
        ["EMP-0001", "emp-0001"]
    );
    let chief_actions = actions_about(&api, &org.admin_id).await;
    assert_eq!(
        chief_actions[..4],
        [
            "barcode.delete",
            "barcode.delete",
            "barcode.add",
            "barcode.add"
        ]
    );
    let history = api.get("/audit?action=barcode.").await;
    let events = history.expect(200)["items"].as_array().unwrap();
    assert_eq!(events.len(), 6);
    assert_eq!(events[0]["subject_id"], medic.as_str());
    assert_eq!(
        events[0]["changes"]["code"],
        json!({"before": null, "after": "EMP-0001"})
    );
    assert_eq!(events[1]["action"], "barcode.delete");
    assert_eq!(
        events[1]["changes"]["code"],
        json!({"before": "EMP-0001", "after": null})
    );
}

async fn bad_barcodes_are_refused_and_change_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let chief_codes = format!("/users/{}/barcodes", org.admin_id);
    api.post(&chief_codes, &json!({"code": "EMP-0001"}))
        .await
        .expect(201);

    for body in [
        json!({"code": ""}),
        json!({"code": "EMP 0002"}),
        json!({"code": " EMP-0002"}),
        json!({"code": "ÉMP-0002"}),
        json!({"code": "tab\there"}),
        json!({"code": "9".repeat(65)}),
        json!({"code": 42}),
    ] {
        api.post(&chief_codes, &body)
            .await
            .expect_problem(422, "code");
    }
    api.post(&chief_codes, &json!({})).await.expect(422);
    api.post(&chief_codes, &json!({"code": "X", "holder": "me"}))
        .await
        .expect_problem(422, "holder");

    let listed = api.get(&chief_codes).await;
    assert_eq!(codes(listed.expect(200)), ["EMP-0001"]);
    let history = api.get("/audit?action=barcode.").await;
    assert_eq!(history.expect(200)["total"], 1);
    api.post(&chief_codes, &json!({"code": "9".repeat(64)}))
        .await
        .expect(201);
}
