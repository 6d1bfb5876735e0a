//! Regression tests from the code review: races, odd input and database quirks that once
//! gave cycles, 500s or false tamper alarms.

use muster_testkit::{Api, Backend, on_both_backends};
use serde_json::json;

use crate::spawn;

on_both_backends!(
    node_pages_never_skip_non_ascii_names,
    a_nul_character_in_an_address_is_a_422_not_a_500,
    a_nul_character_in_the_user_search_is_not_a_500,
    float_demographics_do_not_break_the_audit_chain,
    changing_a_nodes_kind_keeps_every_placement_assignable,
    concurrent_moves_never_make_a_node_cycle,
    concurrent_group_moves_never_make_a_cycle,
    a_bad_path_id_is_a_problem_document,
    the_audit_action_filter_matches_literally,
    a_date_outside_any_sane_range_is_a_422,
);

async fn node(api: &Api, name: &str, kind: &str, parent: &str) -> String {
    api.post(
        "/nodes",
        &json!({"name": name, "kind": kind, "parent_id": parent}),
    )
    .await
    .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn node_pages_never_skip_non_ascii_names(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    for name in ["Éa", "Ña", "Öb", "Zed"] {
        node(&api, name, "Region", &org.root_node_id).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/nodes?limit=1&cursor={c}"),
            None => "/nodes?limit=1".to_owned(),
        };
        let page = api.get(&path).await.expect(200).clone();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["name"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(seen.len() < 20, "paging does not end: {seen:?}");
    }
    assert_eq!(seen.len(), 5, "pages skipped or repeated nodes: {seen:?}");
}

async fn a_nul_character_in_an_address_is_a_422_not_a_500(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let user = api
        .patch(
            &format!("/users/{}", org.admin_id),
            &json!({"address": {"street": "1 Main\u{0000}St"}}),
            None,
        )
        .await;
    assert_eq!(user.status, 422, "user address: {:#}", user.body);
    let created = api
        .post(
            "/nodes",
            &json!({"name": "North", "kind": "Region", "parent_id": org.root_node_id,
                    "address": {"city": "Bay\u{0000}City"}}),
        )
        .await;
    assert_eq!(created.status, 422, "node address: {:#}", created.body);
}

async fn a_nul_character_in_the_user_search_is_not_a_500(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let reply = api.get("/users?q=a%00b").await;
    assert_ne!(reply.status, 500, "{:#}", reply.body);
}

async fn float_demographics_do_not_break_the_audit_chain(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    api.patch(
        &format!("/users/{}", org.admin_id),
        &json!({"demographics": {"fields": {"shoe_size": 1e16, "offset": -0.0}}}),
        None,
    )
    .await
    .expect(200);
    let verified = api.post("/audit/verify", &json!({})).await;
    assert_eq!(verified.expect(200)["ok"], true, "{:#}", verified.body);
}

async fn changing_a_nodes_kind_keeps_every_placement_assignable(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let station = node(&api, "Station 1", "Location", &org.root_node_id).await;
    let role = api
        .post(
            "/roles",
            &json!({"name": "Clerk", "assignable_at": ["Location"]}),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.post(
        "/users",
        &json!({"login": "clerk", "first_name": "C", "last_name": "K", "login_kind": "none",
                "placements": [{"node_id": station, "role_id": role}]}),
    )
    .await
    .expect(201);
    // The role is not assignable at Region nodes: re-kinding the node must be refused
    // while someone holds it there, as removing Location from the role is.
    let changed = api
        .patch(
            &format!("/nodes/{station}"),
            &json!({"kind": "Region"}),
            None,
        )
        .await;
    assert_eq!(changed.status, 409, "{:#}", changed.body);
}

async fn concurrent_moves_never_make_a_node_cycle(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let a = node(&api, "A", "Region", &org.root_node_id).await;
    let b = node(&api, "B", "Region", &org.root_node_id).await;
    for round in 0..40 {
        let (path_a, path_b) = (format!("/nodes/{a}"), format!("/nodes/{b}"));
        let (body_a, body_b) = (json!({"parent_id": b}), json!({"parent_id": a}));
        let (ra, rb) = tokio::join!(
            api.patch(&path_a, &body_a, None),
            api.patch(&path_b, &body_b, None),
        );
        let pa = api.get(&format!("/nodes/{a}")).await.body["parent_id"].clone();
        let pb = api.get(&format!("/nodes/{b}")).await.body["parent_id"].clone();
        assert!(
            !(pa == b.as_str() && pb == a.as_str()),
            "round {round}: A and B are each other's parent ({} / {}): a cycle",
            ra.status,
            rb.status
        );
        for id in [&a, &b] {
            api.patch(
                &format!("/nodes/{id}"),
                &json!({"parent_id": org.root_node_id}),
                None,
            )
            .await
            .expect(200);
        }
    }
}

async fn concurrent_group_moves_never_make_a_cycle(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let group = |name: &'static str| {
        let api = api.clone();
        async move {
            api.post("/command-groups", &json!({"name": name}))
                .await
                .expect(201)["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let a = group("A").await;
    let b = group("B").await;
    for round in 0..40 {
        let (path_a, path_b) = (
            format!("/command-groups/{a}"),
            format!("/command-groups/{b}"),
        );
        let (body_a, body_b) = (json!({"parent_id": b}), json!({"parent_id": a}));
        let (ra, rb) = tokio::join!(
            api.patch(&path_a, &body_a, None),
            api.patch(&path_b, &body_b, None),
        );
        let pa = api.get(&format!("/command-groups/{a}")).await.body["parent_id"].clone();
        let pb = api.get(&format!("/command-groups/{b}")).await.body["parent_id"].clone();
        assert!(
            !(pa == b.as_str() && pb == a.as_str()),
            "round {round}: groups A and B are each other's parent ({} / {}): a cycle",
            ra.status,
            rb.status
        );
        for id in [&a, &b] {
            api.patch(
                &format!("/command-groups/{id}"),
                &json!({"parent_id": null}),
                None,
            )
            .await
            .expect(200);
        }
    }
}

async fn a_bad_path_id_is_a_problem_document(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let reply = api.get("/users/not-a-uuid").await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.content_type(), "application/problem+json");
}

async fn the_audit_action_filter_matches_literally(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    node(&api, "North", "Region", &org.root_node_id).await;
    // `_` is a LIKE wildcard: `node_create` must not match `node.create`.
    let reply = api.get("/audit?action=node_create").await;
    assert_eq!(reply.expect(200)["total"], 0, "{:#}", reply.body);
}

async fn a_date_outside_any_sane_range_is_a_422(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let reply = api
        .patch(
            &format!("/users/{}", org.admin_id),
            &json!({"hire_date": "-5000-01-01"}),
            None,
        )
        .await;
    assert_eq!(reply.status, 422, "{:#}", reply.body);
}
