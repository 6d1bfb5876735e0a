//! `/api/v1/nodes`: the organization tree.

use muster_testkit::{Backend, on_both_backends};
use serde_json::{Value, json};

use crate::spawn;

on_both_backends!(
    nodes_are_created_read_listed_and_paged,
    nodes_are_renamed_and_moved_with_if_match,
    a_node_cannot_move_under_its_own_descendant,
    nodes_with_children_or_placed_users_are_not_deleted,
    bad_node_input_names_the_field_and_changes_nothing,
    the_api_requires_a_valid_token,
);

async fn nodes_are_created_read_listed_and_paged(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);

    let created = api
        .post(
            "/nodes",
            &json!({"name": "North", "kind": "region", "parent_id": org.root_node_id,
                    "address": {"city": "Bay City", "region": "CA"}}),
        )
        .await;

    let node = created.expect(201).clone();
    assert_eq!(node["kind"], "Region");
    assert_eq!(node["parent_id"], org.root_node_id.as_str());
    assert_eq!(node["address"]["city"], "Bay City");
    assert_eq!(created.etag().as_deref(), Some("\"1\""));
    let read = api
        .get(&format!("/nodes/{}", node["id"].as_str().unwrap()))
        .await;
    assert_eq!(read.expect(200), &node);

    for name in ["South", "East", "West"] {
        api.post(
            "/nodes",
            &json!({"name": name, "kind": "Region", "parent_id": org.root_node_id}),
        )
        .await
        .expect(201);
    }
    let first = api.get("/nodes?limit=2").await;
    let first = first.expect(200);
    assert_eq!(first["total"], 5);
    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(first), ["Bay City Fire", "East"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = api.get(&format!("/nodes?limit=2&cursor={cursor}")).await;
    assert_eq!(names(second.expect(200)), ["North", "South"]);
    let cursor = second.body["next_cursor"].as_str().unwrap();
    let third = api.get(&format!("/nodes?limit=2&cursor={cursor}")).await;
    assert_eq!(names(third.expect(200)), ["West"]);
    assert_eq!(third.body["next_cursor"], Value::Null);
}

async fn nodes_are_renamed_and_moved_with_if_match(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let region = api
        .post(
            "/nodes",
            &json!({"name": "North", "kind": "Region", "parent_id": org.root_node_id}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = api
        .post(
            "/nodes",
            &json!({"name": "South", "kind": "Region", "parent_id": org.root_node_id}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let station = api
        .post(
            "/nodes",
            &json!({"name": "Station 1", "kind": "Location", "parent_id": region}),
        )
        .await;
    let station_id = station.body["id"].as_str().unwrap().to_owned();
    let etag = station.etag().unwrap();

    let moved = api
        .patch(
            &format!("/nodes/{station_id}"),
            &json!({"name": "Station One", "parent_id": other, "address": null}),
            Some(&etag),
        )
        .await;

    moved.expect(200);
    assert_eq!(moved.body["name"], "Station One");
    assert_eq!(moved.body["parent_id"], other.as_str());
    assert_eq!(moved.etag().as_deref(), Some("\"2\""));
    let stale = api
        .patch(
            &format!("/nodes/{station_id}"),
            &json!({"name": "Lost update"}),
            Some(&etag),
        )
        .await;
    stale.expect(412);
    assert_eq!(stale.content_type(), "application/problem+json");
    let now = api.get(&format!("/nodes/{station_id}")).await;
    assert_eq!(now.body["name"], "Station One");
}

async fn a_node_cannot_move_under_its_own_descendant(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let region = api
        .post(
            "/nodes",
            &json!({"name": "North", "kind": "Region", "parent_id": org.root_node_id}),
        )
        .await
        .body;
    let division = api
        .post(
            "/nodes",
            &json!({"name": "Ops", "kind": "Division", "parent_id": region["id"]}),
        )
        .await
        .body;
    let region_id = region["id"].as_str().unwrap();

    let cycle = api
        .patch(
            &format!("/nodes/{region_id}"),
            &json!({"parent_id": division["id"]}),
            None,
        )
        .await;
    let onto_itself = api
        .patch(
            &format!("/nodes/{region_id}"),
            &json!({"parent_id": region_id}),
            None,
        )
        .await;
    let root = api
        .patch(
            &format!("/nodes/{}", org.root_node_id),
            &json!({"parent_id": region_id}),
            None,
        )
        .await;

    cycle.expect_problem(409, "parent_id");
    onto_itself.expect_problem(409, "parent_id");
    root.expect_problem(409, "parent_id");
    assert_eq!(api.get(&format!("/nodes/{region_id}")).await.body, region);
}

async fn nodes_with_children_or_placed_users_are_not_deleted(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let region = api
        .post(
            "/nodes",
            &json!({"name": "North", "kind": "Region", "parent_id": org.root_node_id}),
        )
        .await
        .body;
    let region_id = region["id"].as_str().unwrap();
    let station = api
        .post(
            "/nodes",
            &json!({"name": "Station 1", "kind": "Location", "parent_id": region_id}),
        )
        .await
        .body;
    let station_id = station["id"].as_str().unwrap();

    api.delete(&format!("/nodes/{region_id}"), None)
        .await
        .expect_problem(409, "id");
    api.delete(&format!("/nodes/{}", org.root_node_id), None)
        .await
        .expect_problem(409, "id");
    api.delete(&format!("/nodes/{station_id}"), Some("\"7\""))
        .await
        .expect(412);
    api.delete(&format!("/nodes/{station_id}"), Some("\"1\""))
        .await
        .expect(204);

    api.get(&format!("/nodes/{station_id}")).await.expect(404);
    api.delete(&format!("/nodes/{region_id}"), None)
        .await
        .expect(204);
    assert_eq!(api.get("/nodes").await.body["total"], 1);
}

async fn bad_node_input_names_the_field_and_changes_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let root = json!(org.root_node_id);
    api.post(
        "/nodes",
        &json!({"name": "North", "kind": "Region", "parent_id": root}),
    )
    .await
    .expect(201);

    let cases = [
        (
            json!({"name": "A", "kind": "Region", "parent_id": root, "colour": "red"}),
            422,
            "colour",
        ),
        (
            json!({"name": 5, "kind": "Region", "parent_id": root}),
            422,
            "name",
        ),
        (
            json!({"name": "x".repeat(101), "kind": "Region", "parent_id": root}),
            422,
            "name",
        ),
        (
            json!({"name": "  ", "kind": "Region", "parent_id": root}),
            422,
            "name",
        ),
        (
            json!({"name": "A", "kind": "Planet", "parent_id": root}),
            422,
            "kind",
        ),
        (
            json!({"name": "A", "kind": "Organization", "parent_id": root}),
            422,
            "kind",
        ),
        (
            json!({"name": "A", "kind": "Region", "parent_id": "0190e0d6-7a3c-7f00-8000-000000000000"}),
            422,
            "parent_id",
        ),
        (
            json!({"name": "A", "kind": "Region", "parent_id": "not-a-uuid"}),
            422,
            "parent_id",
        ),
        (
            json!({"name": "A", "kind": "Region", "parent_id": root, "address": {"city": "c".repeat(201)}}),
            422,
            "address.city",
        ),
        (
            json!({"name": "NORTH", "kind": "Region", "parent_id": root}),
            409,
            "name",
        ),
    ];
    for (body, status, field) in cases {
        api.post("/nodes", &body)
            .await
            .expect_problem(status, field);
    }
    let malformed = api.send(reqwest::Method::POST, "/nodes", None, None).await;
    assert!(matches!(malformed.status, 400 | 415), "{malformed:?}");

    assert_eq!(api.get("/nodes").await.body["total"], 2);
}

async fn the_api_requires_a_valid_token(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;

    let anonymous = app.get("/api/v1/nodes").await;
    let forged = muster_testkit::Api::new(&app, "mst_0000")
        .get("/nodes")
        .await;
    let other_scheme = app
        .client
        .get(app.url("/api/v1/nodes"))
        .header("authorization", format!("Basic {}", org.token))
        .send()
        .await
        .unwrap();

    assert_eq!(anonymous.status(), 401);
    assert_eq!(forged.status, 401);
    assert_eq!(other_scheme.status(), 401);
    assert_eq!(app.api(&org).get("/nodes").await.status, 200);
}
