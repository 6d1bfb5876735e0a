//! `POST /users/bulk`: a status change, a placement or a password reset for a selection
//! or for everyone a filter matches — previewed, applied only within the caller's scope,
//! all or nothing, with an audit event per user.
#![allow(clippy::too_many_lines)] // Scenario tests read best top to bottom.

use muster_testkit::{Api, Backend, on_both_backends};
use serde_json::{Value, json};

use crate::api_enforcement::agency;

on_both_backends!(
    a_bulk_status_change_is_previewed_then_applied_to_all_or_none_within_scope,
    bulk_placements_and_password_resets_are_audited_per_user,
);

async fn status(api: &Api, id: &str) -> String {
    api.get(&format!("/users/{id}")).await.expect(200)["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Audit events of `action` about `subject`.
async fn events(api: &Api, action: &str, subject: &str) -> Vec<Value> {
    api.get(&format!(
        "/audit?action={action}&target_id={subject}&limit=500"
    ))
    .await
    .expect(200)["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn refused_ids(outcome: &Value) -> Vec<String> {
    let mut ids: Vec<String> = outcome["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

async fn a_bulk_status_change_is_previewed_then_applied_to_all_or_none_within_scope(
    backend: Backend,
) {
    let a = agency(backend).await;
    let divadmin = a.session("divadmin").await;
    let selection = json!([a.officer1, a.officer2, a.multi]);

    // Preview: officer1 would change; officer2 (another division) is not theirs to see;
    // multi also works in another region and needs confirmation.
    let preview = divadmin
        .post(
            "/users/bulk",
            &json!({"action": "deactivate", "user_ids": selection, "preview": true}),
        )
        .await;
    let preview = preview.expect(200).clone();
    assert_eq!(preview["preview"], true);
    assert_eq!(preview["selected"], 3);
    assert_eq!(preview["changed"], 1);
    let mut expected = vec![a.officer2.clone(), a.multi.clone()];
    expected.sort();
    assert_eq!(refused_ids(&preview), expected);
    let officer2 = preview["refused"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user_id"] == a.officer2.as_str())
        .unwrap();
    assert_eq!(officer2["login"], Value::Null, "existence is not revealed");
    assert_eq!(status(&a.admin, &a.officer1).await, "active");

    // All or nothing: with refusals, nobody changes.
    let refused = divadmin
        .post(
            "/users/bulk",
            &json!({"action": "deactivate", "user_ids": selection}),
        )
        .await;
    assert_eq!(refused.status, 409, "{refused:?}");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("nothing was changed")
    );
    assert_eq!(status(&a.admin, &a.officer1).await, "active");
    assert!(
        events(&a.admin, "user.deactivate", &a.officer1)
            .await
            .is_empty()
    );

    // Within scope and confirmed: both change, each with its own audit event.
    let done = divadmin
        .post(
            "/users/bulk",
            &json!({"action": "deactivate", "user_ids": [a.officer1, a.multi], "confirm": true}),
        )
        .await;
    assert_eq!(done.expect(200)["changed"], 2);
    assert_eq!(status(&a.admin, &a.officer1).await, "inactive");
    assert_eq!(status(&a.admin, &a.multi).await, "inactive");
    for id in [&a.officer1, &a.multi] {
        let audit = events(&a.admin, "user.deactivate", id).await;
        assert_eq!(audit.len(), 1, "{audit:?}");
        assert_eq!(audit[0]["actor"]["user_id"], a.divadmin.as_str());
    }

    // Everyone a filter matches, as far as the caller sees: the inactive users of their
    // division, not officer2's deactivated colleague elsewhere.
    a.admin
        .post(&format!("/users/{}/deactivate", a.officer9), &json!({}))
        .await
        .expect(200);
    let filter = json!({"status": ["inactive"]});
    let preview = divadmin
        .post(
            "/users/bulk",
            &json!({"action": "reactivate", "filter": filter, "preview": true, "confirm": true}),
        )
        .await;
    let preview = preview.expect(200).clone();
    assert_eq!(preview["selected"], 2, "{preview}");
    assert_eq!(preview["changed"], 2);
    let done = divadmin
        .post(
            "/users/bulk",
            &json!({"action": "reactivate", "filter": filter, "confirm": true}),
        )
        .await;
    assert_eq!(done.expect(200)["changed"], 2);
    assert_eq!(status(&a.admin, &a.officer1).await, "active");
    assert_eq!(status(&a.admin, &a.multi).await, "active");
    assert_eq!(status(&a.admin, &a.officer9).await, "inactive");

    // Nobody locks themself out, in bulk either.
    let own = divadmin
        .post(
            "/users/bulk",
            &json!({"action": "deactivate", "user_ids": [a.divadmin], "preview": true}),
        )
        .await;
    assert_eq!(refused_ids(own.expect(200)), vec![a.divadmin.clone()]);

    // Already as asked: left alone and counted.
    let again = divadmin
        .post(
            "/users/bulk",
            &json!({"action": "reactivate", "user_ids": [a.officer1]}),
        )
        .await;
    assert_eq!(again.expect(200)["unchanged"], 1);
    assert_eq!(again.expect(200)["changed"], 0);

    // Bad requests change nothing.
    let neither = divadmin
        .post("/users/bulk", &json!({"action": "deactivate"}))
        .await;
    neither.expect_problem(422, "user_ids");
}

async fn bulk_placements_and_password_resets_are_audited_per_user(backend: Backend) {
    let a = agency(backend).await;
    let in_patrol = json!({"node_id": a.patrol, "status": ["active"]});

    // Everyone in Patrol gets a placement at Station 2.
    let body = json!({"action": "set_placement", "filter": in_patrol,
                      "node_id": a.station2, "role_id": a.employee_role});
    let mut preview = body.clone();
    preview["preview"] = json!(true);
    let preview = a.admin.post("/users/bulk", &preview).await;
    assert_eq!(
        preview.expect(200)["changed"],
        3,
        "divadmin, officer1, multi"
    );
    a.admin.post("/users/bulk", &body).await.expect(200);
    for id in [&a.divadmin, &a.officer1, &a.multi] {
        let user = a.admin.get(&format!("/users/{id}")).await;
        let placements = user.expect(200)["placements"].as_array().unwrap().clone();
        assert!(
            placements
                .iter()
                .any(|p| p["node_id"] == a.station2.as_str()
                    && p["role_id"] == a.employee_role.as_str()
                    && p["default"] == false),
            "{placements:?}"
        );
        let added = events(&a.admin, "placement.add", id).await;
        let at_station2 = added
            .iter()
            .filter(|e| e["target"]["id"] == a.station2.as_str())
            .count();
        assert_eq!(at_station2, 1, "{added:?}");
    }
    let again = a.admin.post("/users/bulk", &body).await;
    assert_eq!(again.expect(200)["unchanged"], 3);

    // A role that cannot be given there: nothing changes for anyone.
    let wrong = json!({"action": "set_placement", "filter": in_patrol,
                       "node_id": a.station2, "role_id": a.division_role});
    let reply = a.admin.post("/users/bulk", &wrong).await;
    assert_eq!(reply.status, 409, "{reply:?}");
    for id in [&a.divadmin, &a.officer1, &a.multi] {
        assert!(events(&a.admin, "placement.update", id).await.is_empty());
    }

    // Password resets: a temporary password each, emailed, audited per user.
    let reset = a
        .admin
        .post(
            "/users/bulk",
            &json!({"action": "reset_password", "user_ids": [a.officer1, a.officer2]}),
        )
        .await;
    assert_eq!(reset.expect(200)["changed"], 2);
    let outbox = a.admin.get("/outbox?limit=500").await;
    let resets: Vec<String> = outbox.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["subject"].as_str().unwrap().contains("has been reset"))
        .map(|m| m["recipient"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        resets.contains(&"officer1@bcpd.gov".to_owned()),
        "{resets:?}"
    );
    assert!(
        resets.contains(&"officer2@bcpd.gov".to_owned()),
        "{resets:?}"
    );
    for id in [&a.officer1, &a.officer2] {
        assert_eq!(events(&a.admin, "user.reset_password", id).await.len(), 1);
    }

    // A division administrator holds no users.reset_password: refused, nothing sent.
    let divadmin = a.session("divadmin").await;
    let preview = divadmin
        .post(
            "/users/bulk",
            &json!({"action": "reset_password", "user_ids": [a.officer1], "preview": true}),
        )
        .await;
    let preview = preview.expect(200).clone();
    assert_eq!(refused_ids(&preview), vec![a.officer1.clone()]);
    assert!(
        preview["refused"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("not allowed"),
        "{preview}"
    );
}
