//! Tenant isolation: nothing of one organization is visible, changeable or counted
//! through another organization's credentials — on every route of the API, found by
//! walking the OpenAPI document so that new routes are covered without editing this test.

use std::collections::BTreeMap;

use muster_testkit::{Api, Backend, OrgFixture, Part, TestApp, on_both_backends};
use reqwest::Method;
use serde_json::{Value, json};

use crate::spawn;

on_both_backends!(no_route_reveals_changes_or_counts_another_organizations_data);

/// Everything organization B owns that a path parameter can name.
struct Owned {
    node: String,
    user: String,
    role: String,
    group: String,
    rank: String,
    module: &'static str,
    contact: String,
    barcode: &'static str,
    record: String,
    file: String,
    /// Strings that must never appear in A's responses.
    secrets: Vec<String>,
}

#[allow(clippy::too_many_lines)] // One organization's worth of objects, in order.
async fn populate(api: &Api, org: &OrgFixture) -> Owned {
    let node = create(
        api,
        "/nodes",
        &json!({"name": "Bravo Station", "kind": "Location", "parent_id": org.root_node_id}),
    )
    .await;
    let rank = create(api, "/reference/ranks", &json!({"name": "Bravo Rank"})).await;
    api.post(
        "/modules",
        &json!({"key": "bravo_only", "name": "Bravo Module", "levels": ["none", "view", "edit"]}),
    )
    .await
    .expect(201);
    let role = create(api, "/roles",
            &json!({"name": "Bravo Role", "assignable_at": ["Location"], "capabilities": ["users.view"], "preset": "custom"}),
        ).await;
    let group = create(api, "/command-groups",
            &json!({"name": "Bravo Group", "privileges": [{"scope": "direct", "access": "view", "section": "photo"}]}),
        ).await;
    let user = create(
        api,
        "/users",
        &json!({
            "login": "bravo.medic", "first_name": "Bravo", "last_name": "Medic",
            "login_kind": "none", "email": "bravo.medic@bravo.example",
            "command_group_id": group, "rank_id": rank,
            "placements": [{"node_id": node, "role_id": role, "default": true}],
        }),
    )
    .await;
    let contact = create(
        api,
        &format!("/users/{user}/emergency-contacts"),
        &json!({"name": "Bravo Contact", "relationship": "Spouse"}),
    )
    .await;
    api.post(
        &format!("/users/{user}/barcodes"),
        &json!({"code": "BRAVO-0001"}),
    )
    .await
    .expect(201);
    let record = create(
        api,
        &format!("/users/{user}/records/commendations"),
        &json!({"date": "2026-01-01", "title": "Bravo Award"}),
    )
    .await;
    let uploaded = api
        .upload(
            Method::POST,
            &format!("/users/{user}/files"),
            &[Part::file(
                "file",
                "bravo.txt",
                "text/plain",
                b"Bravo file".to_vec(),
            )],
            None,
        )
        .await;
    let file = uploaded.expect(201)["id"].as_str().unwrap().to_owned();
    api.send_raw(
        Method::PUT,
        &format!("/users/{user}/photo"),
        "image/png",
        crate::pictures::picture(32, 32, image::ImageFormat::Png),
        None,
    )
    .await
    .expect(200);
    api.patch(
        "/settings",
        &json!({"lockout_threshold": 9, "address": {"city": "Bravoville"}}),
        None,
    )
    .await
    .expect(200);
    let secrets = vec![
        node.clone(),
        user.clone(),
        role.clone(),
        group.clone(),
        rank.clone(),
        contact.clone(),
        record.clone(),
        file.clone(),
        org.org_id.clone(),
        org.admin_id.clone(),
        org.root_node_id.clone(),
        "bravo".to_owned(),
        "Bravo".to_owned(),
    ];
    Owned {
        node,
        user,
        role,
        group,
        rank,
        module: "bravo_only",
        contact,
        barcode: "BRAVO-0001",
        record,
        file,
        secrets,
    }
}

/// Creates an object through `POST path` and returns its id.
async fn create(api: &Api, path: &str, body: &Value) -> String {
    let reply = api.post(path, body).await;
    reply.expect(201)["id"].as_str().unwrap().to_owned()
}

/// Fills a path template's parameters with B's objects.
fn fill(template: &str, owned: &Owned) -> String {
    let collection = template.split('/').nth(1).unwrap_or_default();
    let id = match collection {
        "nodes" => &owned.node,
        "roles" => &owned.role,
        "command-groups" => &owned.group,
        "reference" => &owned.rank,
        _ => &owned.user,
    };
    template
        .replace("{list}", "ranks")
        .replace("{id}", id)
        .replace("{key}", owned.module)
        .replace("{cid}", &owned.contact)
        .replace("{code}", owned.barcode)
        .replace("{node_id}", &owned.node)
        .replace("{section}", "commendations")
        .replace("{record_id}", &owned.record)
        .replace("{fid}", &owned.file)
}

/// Every `GET` route without parameters, as B sees it: B's state, compared before and after.
async fn snapshot(api: &Api, doc: &Value, owned: &Owned) -> BTreeMap<String, Value> {
    let mut state = BTreeMap::new();
    for (template, operations) in doc["paths"].as_object().unwrap() {
        if operations.get("get").is_none() || template == "/openapi.json" {
            continue;
        }
        let path = fill(template, owned);
        let reply = api.get(&path).await;
        state.insert(path, json!({"status": reply.status, "body": reply.body}));
    }
    state
}

async fn no_route_reveals_changes_or_counts_another_organizations_data(backend: Backend) {
    let app: TestApp = spawn(backend).await;
    let alpha = app.init_org("Alpha Fire", "alpha.chief").await;
    let bravo = app.init_org("Bravo EMS", "bravo.chief").await;
    let (a, b) = (app.api(&alpha), app.api(&bravo));
    let owned = populate(&b, &bravo).await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let before = snapshot(&b, &doc, &owned).await;

    let mut probed = 0;
    for (template, operations) in doc["paths"].as_object().unwrap() {
        for (method, _) in operations.as_object().unwrap() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let names_an_object = template.replace("{list}", "").contains('{');
            if names_an_object {
                // A names B's objects: they do not exist for A.
                let path = fill(template, &owned);
                let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
                let reply = a.send(method.clone(), &path, body.as_ref(), None).await;
                let allowed: &[u16] = if method == Method::GET {
                    &[404]
                } else {
                    &[404, 422]
                };
                assert!(
                    allowed.contains(&reply.status),
                    "{method} {path} with another organization's token answered {}: {:#}",
                    reply.status,
                    reply.body
                );
                probed += 1;
            } else if method == Method::GET {
                // A's own lists: none of B's data, and totals that count only A's.
                let template = template.replace("{list}", "ranks");
                let reply = a.get(&format!("{template}?limit=500")).await;
                let reply = if reply.status == 422 {
                    a.get(&template).await
                } else {
                    reply
                };
                reply.expect(200);
                let text = reply.body.to_string();
                for secret in &owned.secrets {
                    assert!(
                        !text.contains(secret.as_str()),
                        "GET {template} shows {secret:?}: {text}"
                    );
                }
                if let (Some(items), Some(total)) =
                    (reply.body["items"].as_array(), reply.body["total"].as_i64())
                {
                    assert_eq!(
                        total,
                        i64::try_from(items.len()).unwrap(),
                        "GET {template} counts more than it shows"
                    );
                }
                probed += 1;
            }
        }
    }
    assert!(probed >= 40, "only {probed} operations probed");

    // A cannot reach B's objects through references in its own writes either.
    let refused = [
        (
            "/nodes",
            json!({"name": "X", "kind": "Location", "parent_id": owned.node}),
        ),
        (
            "/command-groups",
            json!({"name": "X", "parent_id": owned.group, "privileges": []}),
        ),
        (
            "/users",
            json!({"login": "x1", "first_name": "X", "last_name": "Y", "login_kind": "none",
                          "placements": [{"node_id": owned.node, "role_id": owned.role, "default": true}]}),
        ),
        (
            "/users",
            json!({"login": "x2", "first_name": "X", "last_name": "Y", "login_kind": "none",
                          "command_group_id": owned.group,
                          "placements": [{"node_id": alpha.root_node_id, "role_id": owned.role, "default": true}]}),
        ),
    ];
    for (path, body) in refused {
        let reply = a.post(path, &body).await;
        assert!(
            matches!(reply.status, 404 | 409 | 422),
            "POST {path}: {} {:#}",
            reply.status,
            reply.body
        );
        let text = reply.body.to_string();
        assert!(!text.contains("Bravo"), "{text}");
    }
    let verify = a.post("/audit/verify", &json!({})).await;
    assert_eq!(verify.expect(200)["ok"], true);

    assert_eq!(snapshot(&b, &doc, &owned).await, before, "B's data changed");
    assert_eq!(a.get("/users").await.body["total"], 1);
    assert_eq!(a.get("/nodes").await.body["total"], 1);
}
