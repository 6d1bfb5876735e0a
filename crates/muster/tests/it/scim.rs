//! SCIM 2.0 (`/scim/v2`): provisioning, filters, sorting, paging, projection, `ETags`, bad
//! input, groups, authorization and tenancy. scim2-tester covers the protocol's shape
//! in `.ci/conformance.sh`; these cover what it does not.
#![allow(clippy::too_many_lines)] // Scenario tests read best top to bottom.

use muster_testkit::{Api, Backend, OrgFixture, TestApp, on_both_backends};
use reqwest::Method;
use serde_json::{Value, json};

use crate::spawn;

on_both_backends!(
    users_are_provisioned_read_replaced_and_soft_deleted_on_the_audit_trail,
    filters_support_every_operator_logic_and_value_paths_with_bound_values,
    lists_sort_and_page_by_start_index_and_count,
    etags_guard_replace_patch_and_delete,
    attributes_and_excluded_attributes_shape_responses,
    bad_input_gets_the_rfc_status_and_scim_type_and_changes_nothing,
    patch_adds_replaces_and_removes_by_path,
    groups_are_command_groups_and_their_members,
    scim_needs_an_api_token_and_the_callers_capabilities,
    another_organizations_users_and_groups_stay_invisible,
    provisioning_needs_a_live_node_and_an_assignable_role,
    a_regional_token_lists_and_counts_only_the_users_of_its_region,
);

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const MUSTER: &str = "urn:muster:scim:schemas:extension:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A SCIM client bound to one token.
struct Scim {
    base: String,
    client: reqwest::Client,
    token: String,
}

struct Answer {
    status: u16,
    etag: Option<String>,
    body: Value,
}

impl Answer {
    #[track_caller]
    fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "body: {:#}", self.body);
        &self.body
    }

    /// Asserts a SCIM error with this status and `scimType`.
    #[track_caller]
    fn expect_error(&self, status: u16, scim_type: Option<&str>) {
        self.expect(status);
        assert_eq!(
            self.body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
            "{:#}",
            self.body
        );
        assert_eq!(self.body["status"], status.to_string());
        assert_eq!(self.body["scimType"].as_str(), scim_type, "{:#}", self.body);
    }
}

impl Scim {
    fn new(app: &TestApp, token: &str) -> Self {
        Self {
            base: format!("{}/scim/v2", app.base_url),
            client: app.client.clone(),
            token: token.to_owned(),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if status != 204 && status != 304 {
            assert_eq!(
                response
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok()),
                Some("application/scim+json"),
                "{path}"
            );
        }
        let bytes = response.bytes().await.unwrap();
        Answer {
            status,
            etag,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None, &[]).await
    }

    async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(Method::POST, path, Some(body), &[]).await
    }

    async fn put(&self, path: &str, body: &Value, if_match: Option<&str>) -> Answer {
        let headers: Vec<(&str, &str)> = if_match.map(|m| ("if-match", m)).into_iter().collect();
        self.send(Method::PUT, path, Some(body), &headers).await
    }

    async fn patch(&self, path: &str, ops: &Value, if_match: Option<&str>) -> Answer {
        let body = json!({"schemas": [PATCH], "Operations": ops});
        let headers: Vec<(&str, &str)> = if_match.map(|m| ("if-match", m)).into_iter().collect();
        self.send(Method::PATCH, path, Some(&body), &headers).await
    }

    async fn delete(&self, path: &str, if_match: Option<&str>) -> Answer {
        let headers: Vec<(&str, &str)> = if_match.map(|m| ("if-match", m)).into_iter().collect();
        self.send(Method::DELETE, path, None, &headers).await
    }

    /// The ids a filtered list returns, in order.
    async fn ids(&self, query: &str) -> Vec<String> {
        let answer = self.get(&format!("/Users?{query}")).await;
        answer.expect(200)["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

fn q(filter: &str) -> String {
    format!(
        "filter={}",
        form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>()
    )
}

/// An organization whose SCIM-provisioned users are placed at its root as employees.
async fn org(app: &TestApp, name: &str) -> (OrgFixture, Api, Scim) {
    let org = app.init_org(name, "admin").await;
    let api = app.api(&org);
    let employee = api.get("/roles").await.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Employee")
        .unwrap()["id"]
        .clone();
    api.patch(
        "/settings",
        &json!({"scim_provisioning": {"node_id": org.root_node_id, "role_id": employee}}),
        None,
    )
    .await
    .expect(200);
    let scim = Scim::new(app, &org.token);
    (org, api, scim)
}

fn user(login: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "userName": login,
        "name": {"givenName": given, "familyName": family},
        "active": true,
    })
}

async fn create(scim: &Scim, body: &Value) -> Value {
    scim.post("/Users", body).await.expect(201).clone()
}

async fn audit_count(api: &Api) -> i64 {
    api.get("/audit?limit=1").await.expect(200)["total"]
        .as_i64()
        .unwrap()
}

async fn users_are_provisioned_read_replaced_and_soft_deleted_on_the_audit_trail(backend: Backend) {
    let app = spawn(backend).await;
    let (_org, api, scim) = org(&app, "Harbor Fire").await;
    let mut body = user("jdoe@harbor.gov", "Jane", "Doe");
    body["externalId"] = json!("okta-00u1");
    body["emails"] = json!([{"value": "jdoe@harbor.gov", "type": "work", "primary": true}]);
    body["phoneNumbers"] = json!([{"value": "+1 555 0100", "type": "mobile", "primary": true}]);
    body[ENTERPRISE] = json!({"employeeNumber": "E-17", "department": "Fire Prevention"});
    body[MUSTER] = json!({"badgeNumber": "B-9"});
    body["schemas"] = json!([USER, ENTERPRISE, MUSTER]);
    let created = scim.post("/Users", &body).await;
    let etag = created.etag.clone().unwrap();
    let created = created.expect(201);
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["externalId"], "okta-00u1");
    assert_eq!(created[ENTERPRISE]["department"], "Fire Prevention");
    assert_eq!(created["meta"]["version"], etag);
    assert!(
        created["meta"]["location"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{id}"))
    );

    // The JSON API shows the same user, placed where the organization said.
    let profile = api.get(&format!("/users/{id}")).await.expect(200).clone();
    assert_eq!(profile["login"], "jdoe@harbor.gov");
    assert_eq!(profile["employee_number"], "E-17");
    assert_eq!(profile["badge_number"], "B-9");
    assert_eq!(profile["placements"][0]["role_name"], "Employee");

    // PUT replaces what SCIM manages: the phone goes, `active: false` switches them off.
    let mut replaced = user("jdoe@harbor.gov", "Janet", "Doe");
    replaced["active"] = json!(false);
    replaced["externalId"] = json!("okta-00u1");
    let put = scim.put(&format!("/Users/{id}"), &replaced, None).await;
    let put = put.expect(200);
    assert_eq!(put["name"]["givenName"], "Janet");
    assert_eq!(put["active"], false);
    assert!(put.get("phoneNumbers").is_none());
    assert!(put.get(ENTERPRISE).is_none());
    let profile = api.get(&format!("/users/{id}")).await.expect(200).clone();
    assert_eq!(profile["status"], "inactive");
    assert_eq!(profile["employee_number"], Value::Null);

    // DELETE is Muster's soft delete: gone from SCIM and the API, kept on the audit trail.
    scim.delete(&format!("/Users/{id}"), None).await.expect(204);
    scim.get(&format!("/Users/{id}"))
        .await
        .expect_error(404, None);
    api.get(&format!("/users/{id}")).await.expect(404);
    let events = api
        .get(&format!("/audit?target_id={id}"))
        .await
        .expect(200)
        .clone();
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "user.create",
        "user.update",
        "user.deactivate",
        "user.delete",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
    // The login stays reserved.
    scim.post("/Users", &user("JDOE@harbor.gov", "J", "D"))
        .await
        .expect_error(409, Some("uniqueness"));
}

async fn filters_support_every_operator_logic_and_value_paths_with_bound_values(backend: Backend) {
    let app = spawn(backend).await;
    let (org, _api, scim) = org(&app, "Bay City EMS").await;
    let mut a = user("alpha", "Ann", "Archer");
    a["emails"] = json!([{"value": "ann@bay.gov", "type": "work", "primary": true}]);
    a[ENTERPRISE] = json!({"employeeNumber": "100", "department": "Medics"});
    a["externalId"] = json!("ext-a");
    let a = create(&scim, &a).await["id"].as_str().unwrap().to_owned();
    let mut b = user("bravo", "Bob", "Baker");
    b["emails"] = json!([{"value": "bob@county.org", "type": "work", "primary": true}]);
    b[ENTERPRISE] = json!({"employeeNumber": "200", "department": "Dispatch"});
    b["active"] = json!(false);
    let b = create(&scim, &b).await["id"].as_str().unwrap().to_owned();
    let mut c = user("charlie", "Cara", "Cole");
    c[ENTERPRISE] = json!({"employeeNumber": "300"});
    let c = create(&scim, &c).await["id"].as_str().unwrap().to_owned();
    let admin = org.admin_id.clone();

    let cases: Vec<(&str, Vec<&String>)> = vec![
        (r#"userName eq "ALPHA""#, vec![&a]),
        (
            r#"userName ne "alpha" and userName ne "admin""#,
            vec![&b, &c],
        ),
        (r#"name.familyName co "ake""#, vec![&b]),
        (r#"userName sw "ch""#, vec![&c]),
        (r#"emails.value ew "@bay.gov""#, vec![&a]),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber gt "100""#,
            vec![&b, &c],
        ),
        (r#"employeeNumber ge "200""#, vec![&b, &c]),
        (r#"employeeNumber lt "200""#, vec![&a]),
        (r#"employeeNumber le "200""#, vec![&a, &b]),
        (r"department pr", vec![&a, &b]),
        (r"active eq false", vec![&b]),
        (r"active eq true and employeeNumber pr", vec![&a, &c]),
        (
            r#"userName eq "alpha" or userName eq "charlie""#,
            vec![&a, &c],
        ),
        (r"not (employeeNumber pr) ", vec![&admin]),
        (r#"emails[type eq "work" and value co "county"]"#, vec![&b]),
        (
            r#"emails[value sw "ann"] or (name.givenName eq "Cara")"#,
            vec![&a, &c],
        ),
        (r#"externalId eq "ext-a""#, vec![&a]),
        (
            r#"meta.created gt "2000-01-01T00:00:00Z" and userName eq "bravo""#,
            vec![&b],
        ),
        (r#"meta.lastModified lt "2000-01-01T00:00:00Z""#, vec![]),
        // Values are bound, never pasted into SQL.
        (r#"userName eq "x' OR '1'='1""#, vec![]),
        (r#"userName co "%""#, vec![]),
        (r#"userName co "_""#, vec![]),
    ];
    for (filter, expected) in cases {
        let mut got = scim.ids(&format!("{}&sortBy=userName", q(filter))).await;
        got.sort();
        let mut want: Vec<String> = expected.into_iter().cloned().collect();
        want.sort();
        assert_eq!(got, want, "{filter}");
    }
    // The id filter and a value path through the whole list agree on totals.
    let by_id = scim
        .get(&format!("/Users?{}", q(&format!(r#"id eq "{a}""#))))
        .await;
    assert_eq!(by_id.expect(200)["totalResults"], 1);
    assert_eq!(scim.ids(&q(r#"id eq "not-an-id""#)).await.len(), 0);
    // The same filter through POST /.search.
    let searched = scim
        .post(
            "/Users/.search",
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                    "filter": "department eq \"medics\"", "attributes": ["userName"]}),
        )
        .await;
    let searched = searched.expect(200);
    assert_eq!(searched["totalResults"], 1);
    assert_eq!(
        searched["Resources"][0],
        json!({"schemas": [USER], "id": a, "userName": "alpha"})
    );
}

async fn lists_sort_and_page_by_start_index_and_count(backend: Backend) {
    let app = spawn(backend).await;
    let (_org, _api, scim) = org(&app, "Paging PD").await;
    for (login, family) in [
        ("u1", "Delta"),
        ("u2", "Alpha"),
        ("u3", "Echo"),
        ("u4", "Bravo"),
        ("u5", "Charlie"),
    ] {
        create(&scim, &user(login, "X", family)).await;
    }
    let page = |query: &'static str| {
        let scim = &scim;
        async move {
            let answer = scim
                .get(&format!("/Users?filter=userName%20sw%20%22u%22&{query}"))
                .await;
            let body = answer.expect(200).clone();
            let names: Vec<String> = body["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["name"]["familyName"].as_str().unwrap().to_owned())
                .collect();
            (body, names)
        }
    };
    let (body, names) = page("sortBy=name.familyName").await;
    assert_eq!(names, ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]);
    assert_eq!(body["totalResults"], 5);
    let (_, names) = page("sortBy=name.familyName&sortOrder=descending").await;
    assert_eq!(names, ["Echo", "Delta", "Charlie", "Bravo", "Alpha"]);
    let (body, names) = page("sortBy=name.familyName&startIndex=2&count=2").await;
    assert_eq!(names, ["Bravo", "Charlie"]);
    assert_eq!(body["startIndex"], 2);
    assert_eq!(body["itemsPerPage"], 2);
    assert_eq!(body["totalResults"], 5);
    let (body, names) = page("sortBy=name.familyName&startIndex=5&count=10").await;
    assert_eq!(names, ["Echo"]);
    assert_eq!(body["totalResults"], 5);
    // RFC 7644 §3.4.2.4: count 0 gives only the total; below 1 startIndex means 1.
    let (body, names) = page("count=0").await;
    assert!(names.is_empty());
    assert_eq!(body["totalResults"], 5);
    let (_, names) = page("sortBy=userName&startIndex=-3&count=1").await;
    assert_eq!(names, ["Delta"]);
    scim.get("/Users?sortBy=shoeSize")
        .await
        .expect_error(400, Some("invalidValue"));
    scim.get("/Users?sortBy=userName&sortOrder=sideways")
        .await
        .expect_error(400, Some("invalidValue"));
}

async fn etags_guard_replace_patch_and_delete(backend: Backend) {
    let app = spawn(backend).await;
    let (_org, _api, scim) = org(&app, "ETag County").await;
    let created = scim.post("/Users", &user("etag", "E", "Tag")).await;
    let first = created.etag.clone().unwrap();
    let id = created.expect(201)["id"].as_str().unwrap().to_owned();
    let path = format!("/Users/{id}");
    assert!(first.starts_with("W/\""));

    let unchanged = scim
        .send(Method::GET, &path, None, &[("if-none-match", &first)])
        .await;
    assert_eq!(unchanged.status, 304);

    let renamed = scim
        .put(&path, &user("etag", "Eve", "Tag"), Some(&first))
        .await;
    let second = renamed.etag.clone().unwrap();
    renamed.expect(200);
    assert_ne!(first, second);

    // A stale ETag changes nothing.
    scim.put(&path, &user("etag", "Stale", "Tag"), Some(&first))
        .await
        .expect_error(412, None);
    scim.patch(
        &path,
        &json!([{"op": "replace", "path": "displayName", "value": "Stale"}]),
        Some(&first),
    )
    .await
    .expect_error(412, None);
    scim.delete(&path, Some(&first))
        .await
        .expect_error(412, None);
    let now = scim.get(&path).await;
    assert_eq!(now.etag.as_deref(), Some(second.as_str()));
    assert_eq!(now.expect(200)["name"]["givenName"], "Eve");

    let patched = scim
        .patch(
            &path,
            &json!([{"op": "replace", "path": "displayName", "value": "Evie"}]),
            Some(&second),
        )
        .await;
    let third = patched.etag.clone().unwrap();
    assert_eq!(patched.expect(200)["displayName"], "Evie");
    scim.delete(&path, Some(&third)).await.expect(204);
}

async fn attributes_and_excluded_attributes_shape_responses(backend: Backend) {
    let app = spawn(backend).await;
    let (_org, _api, scim) = org(&app, "Projection PD").await;
    let mut body = user("proj", "Pro", "Jection");
    body[ENTERPRISE] = json!({"employeeNumber": "7", "department": "IT"});
    let id = create(&scim, &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let only = scim
        .get(&format!("/Users/{id}?attributes=userName,name.familyName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"))
        .await;
    assert_eq!(
        only.expect(200),
        &json!({"schemas": [USER, ENTERPRISE], "id": id, "userName": "proj",
                "name": {"familyName": "Jection"}, ENTERPRISE: {"department": "IT"}})
    );
    let without = scim
        .get(&format!(
            "/Users/{id}?excludedAttributes=name,meta,employeeNumber"
        ))
        .await;
    let without = without.expect(200);
    assert!(without.get("name").is_none());
    assert!(without.get("meta").is_none());
    assert_eq!(without[ENTERPRISE], json!({"department": "IT"}));
    assert_eq!(without["userName"], "proj");
    // In lists too, and unknown names are refused.
    let list = scim
        .get("/Users?attributes=userName&filter=userName%20eq%20%22proj%22")
        .await;
    assert_eq!(
        list.expect(200)["Resources"][0],
        json!({"schemas": [USER], "id": id, "userName": "proj"})
    );
    scim.get(&format!("/Users/{id}?attributes=shoeSize"))
        .await
        .expect_error(400, Some("invalidValue"));
    scim.get(&format!(
        "/Users/{id}?attributes=userName&excludedAttributes=name"
    ))
    .await
    .expect_error(400, Some("invalidValue"));
}

async fn bad_input_gets_the_rfc_status_and_scim_type_and_changes_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let (_org, api, scim) = org(&app, "Bad Input PD").await;
    let mut body = user("taken", "Tay", "Ken");
    body["emails"] = json!([{"value": "t@x.org", "type": "work", "primary": true}]);
    let id = create(&scim, &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/Users/{id}");
    let before = scim.get(&path).await.expect(200).clone();
    let events = audit_count(&api).await;

    // Filters.
    for bad in [
        r"userName eq",
        r#"userName xx "a""#,
        r#"(userName eq "a""#,
        r#"emails[value eq "a""#,
    ] {
        scim.get(&format!("/Users?{}", q(bad)))
            .await
            .expect_error(400, Some("invalidFilter"));
    }
    for unknown in [
        r#"shoeSize eq "9""#,
        r"active gt true",
        r#"meta.created eq "soon""#,
        r#"id co "1""#,
    ] {
        scim.get(&format!("/Users?{}", q(unknown)))
            .await
            .expect_error(400, Some("invalidFilter"));
    }
    // Bodies: malformed, unknown attributes, wrong schemas, missing required values.
    let raw = scim
        .client
        .post(format!("{}/Users", scim.base))
        .bearer_auth(&scim.token)
        .header("content-type", "application/scim+json")
        .body("{\"userName\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    let mut unknown = user("newbie", "N", "B");
    unknown["shoeSize"] = json!(9);
    scim.post("/Users", &unknown)
        .await
        .expect_error(400, Some("invalidSyntax"));
    let mut unknown_ext = user("newbie", "N", "B");
    unknown_ext[ENTERPRISE] = json!({"salary": 1});
    scim.post("/Users", &unknown_ext)
        .await
        .expect_error(400, Some("invalidSyntax"));
    let mut wrong = user("newbie", "N", "B");
    wrong["schemas"] = json!([GROUP]);
    scim.post("/Users", &wrong)
        .await
        .expect_error(400, Some("invalidSyntax"));
    let mut unknown_schema = user("newbie", "N", "B");
    unknown_schema["schemas"] = json!([USER, "urn:example:params:scim:schemas:Shoe"]);
    scim.post("/Users", &unknown_schema)
        .await
        .expect_error(400, Some("invalidSyntax"));
    let mut nameless = user("newbie", "N", "B");
    nameless.as_object_mut().unwrap().remove("name");
    scim.post("/Users", &nameless)
        .await
        .expect_error(400, Some("invalidValue"));
    scim.post("/Users", &user("bad login!", "N", "B"))
        .await
        .expect_error(400, Some("invalidValue"));
    // userName collisions, in any case.
    scim.post("/Users", &user("TAKEN", "Other", "Person"))
        .await
        .expect_error(409, Some("uniqueness"));
    create(&scim, &user("other", "O", "P")).await;
    let events = events + 1;
    scim.put(&path, &user("Other", "Tay", "Ken"), None)
        .await
        .expect_error(409, Some("uniqueness"));
    scim.patch(
        &path,
        &json!([{"op": "replace", "path": "userName", "value": "other"}]),
        None,
    )
    .await
    .expect_error(409, Some("uniqueness"));
    // PATCH: read-only, unknown path, no target, conflicting operations, missing value.
    scim.patch(
        &path,
        &json!([{"op": "replace", "path": "id", "value": "x"}]),
        None,
    )
    .await
    .expect_error(400, Some("mutability"));
    scim.patch(
        &path,
        &json!([{"op": "add", "path": "groups", "value": [{"value": "x"}]}]),
        None,
    )
    .await
    .expect_error(400, Some("mutability"));
    scim.patch(
        &path,
        &json!([{"op": "replace", "path": "shoeSize", "value": 9}]),
        None,
    )
    .await
    .expect_error(400, Some("invalidPath"));
    scim.patch(
        &path,
        &json!([{"op": "replace", "path": "emails[type eq", "value": 9}]),
        None,
    )
    .await
    .expect_error(400, Some("invalidPath"));
    scim.patch(
        &path,
        &json!([{"op": "replace", "path": "phoneNumbers[value co \"9\"].type", "value": "work"}]),
        None,
    )
    .await
    .expect_error(400, Some("noTarget"));
    // Two operations that each make a different email primary: the second conflicts.
    scim.patch(
        &path,
        &json!([
            {"op": "replace", "path": "displayName", "value": "Half Done"},
            {"op": "add", "path": "emails", "value": [{"value": "u@x.org", "type": "work", "primary": true},
                                                    {"value": "v@x.org", "type": "work", "primary": true}]},
        ]),
        None,
    )
    .await
    .expect_error(400, Some("invalidValue"));
    scim.patch(&path, &json!([{"op": "remove", "path": "name"}]), None)
        .await
        .expect_error(400, Some("invalidValue"));
    scim.patch(&path, &json!([{"op": "add", "path": "displayName"}]), None)
        .await
        .expect_error(400, Some("invalidValue"));
    scim.send(
        Method::PATCH,
        &path,
        Some(&json!({"schemas": [USER], "Operations": []})),
        &[],
    )
    .await
    .expect_error(400, Some("invalidSyntax"));
    // Values the profile refuses: a bad email, an unknown manager.
    scim.patch(
        &path,
        &json!([{"op": "replace", "path": "emails", "value": [{"value": "nope", "primary": true}]}]),
        None,
    )
    .await
    .expect_error(400, Some("invalidValue"));
    scim.patch(
        &path,
        &json!([{"op": "add", "path": format!("{ENTERPRISE}:manager"),
                 "value": {"value": "01900000-0000-7000-8000-000000000000"}}]),
        None,
    )
    .await
    .expect_error(400, Some("invalidValue"));

    // Nothing changed.
    let after = scim.get(&path).await.expect(200).clone();
    assert_eq!(after, before);
    assert_eq!(audit_count(&api).await, events);
}

async fn patch_adds_replaces_and_removes_by_path(backend: Backend) {
    let app = spawn(backend).await;
    let (_org, api, scim) = org(&app, "Patch PD").await;
    let mut body = user("pat", "Pat", "Ch");
    body["emails"] = json!([{"value": "pat@x.org", "type": "work", "primary": true}]);
    let id = create(&scim, &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let manager = create(&scim, &user("boss", "Bo", "Ss")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/Users/{id}");
    let patched = scim
        .patch(
            &path,
            &json!([
                // Entra ID's spellings: capitalised ops, string booleans, dotted keys.
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Add", "value": {"name.givenName": "Patricia", "displayName": "Trish"}},
                {"op": "add", "path": "emails", "value": [{"value": "p2@x.org", "type": "work"}]},
                {"op": "replace", "path": "emails[value eq \"pat@x.org\"].value", "value": "pc@x.org"},
                {"op": "add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "555 0199"},
                {"op": "add", "path": format!("{ENTERPRISE}:manager"), "value": {"value": manager}},
                {"op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "Ops"},
                {"op": "add", "path": "externalId", "value": "ext-9"},
            ]),
            None,
        )
        .await;
    let patched = patched.expect(200).clone();
    assert_eq!(patched["active"], false);
    assert_eq!(patched["name"]["givenName"], "Patricia");
    assert_eq!(patched["displayName"], "Trish");
    assert_eq!(
        patched["emails"],
        json!([{"value": "pc@x.org", "type": "work", "primary": true},
               {"value": "p2@x.org", "type": "work", "primary": false}])
    );
    assert_eq!(patched["phoneNumbers"][0]["value"], "555 0199");
    assert_eq!(patched[ENTERPRISE]["manager"]["value"], manager);
    assert_eq!(patched[ENTERPRISE]["department"], "Ops");
    let profile = api.get(&format!("/users/{id}")).await.expect(200).clone();
    assert_eq!(profile["status"], "inactive");
    assert_eq!(profile["reports_to_id"], manager);
    assert_eq!(profile["email"], "pc@x.org");

    let removed = scim
        .patch(
            &path,
            &json!([
                {"op": "remove", "path": "emails[value eq \"p2@x.org\"]"},
                {"op": "remove", "path": "phoneNumbers"},
                {"op": "remove", "path": format!("{ENTERPRISE}:manager")},
                {"op": "remove", "path": "displayName"},
                {"op": "replace", "path": "active", "value": true},
            ]),
            None,
        )
        .await;
    let removed = removed.expect(200).clone();
    assert_eq!(
        removed["emails"],
        json!([{"value": "pc@x.org", "type": "work", "primary": true}])
    );
    assert!(removed.get("phoneNumbers").is_none());
    assert!(removed.get("displayName").is_none());
    assert_eq!(removed[ENTERPRISE], json!({"department": "Ops"}));
    assert_eq!(removed["active"], true);
}

async fn groups_are_command_groups_and_their_members(backend: Backend) {
    let app = spawn(backend).await;
    let (_org, api, scim) = org(&app, "Group PD").await;
    let ann = create(&scim, &user("ann", "Ann", "A")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob = create(&scim, &user("bob", "Bob", "B")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = scim
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "Night Shift", "externalId": "g-1",
                    "members": [{"value": ann}]}),
        )
        .await;
    let group = created.expect(201).clone();
    let gid = group["id"].as_str().unwrap().to_owned();
    assert_eq!(group["members"][0]["value"], ann);
    // It is a command group of the JSON API, and the member's group is it.
    assert_eq!(
        api.get(&format!("/command-groups/{gid}")).await.expect(200)["name"],
        "Night Shift"
    );
    assert_eq!(
        api.get(&format!("/users/{ann}")).await.expect(200)["command_group_id"],
        gid
    );
    assert_eq!(
        scim.get(&format!("/Users/{ann}")).await.expect(200)["groups"][0]["display"],
        "Night Shift"
    );
    let by_member = scim
        .get(&format!(
            "/Groups?{}",
            q(&format!(r#"members[value eq "{ann}"]"#))
        ))
        .await;
    assert_eq!(by_member.expect(200)["totalResults"], 1);
    let in_group = scim.ids(&q(&format!(r#"groups.value eq "{gid}""#))).await;
    assert_eq!(in_group, std::slice::from_ref(&ann));

    // PATCH: add Bob, remove Ann the way Entra ID does (by value), rename.
    let path = format!("/Groups/{gid}");
    let patched = scim
        .patch(
            &path,
            &json!([
                {"op": "add", "path": "members", "value": [{"value": bob}]},
                {"op": "Remove", "path": "members", "value": [{"value": ann}]},
                {"op": "replace", "path": "displayName", "value": "Night Watch"},
            ]),
            None,
        )
        .await;
    let patched = patched.expect(200).clone();
    assert_eq!(
        patched["members"],
        json!([{"value": bob, "$ref": format!("{}/Users/{bob}", scim.base), "type": "User"}])
    );
    assert_eq!(patched["displayName"], "Night Watch");
    assert_eq!(
        api.get(&format!("/users/{ann}")).await.expect(200)["command_group_id"],
        Value::Null
    );
    scim.patch(
        &path,
        &json!([{"op": "remove", "path": format!("members[value eq \"{bob}\"]")}]),
        None,
    )
    .await
    .expect(200);
    // Nested groups are not members; unknown users are refused.
    scim.patch(
        &path,
        &json!([{"op": "add", "path": "members", "value": [{"value": gid, "type": "Group"}]}]),
        None,
    )
    .await
    .expect_error(400, Some("invalidValue"));
    scim.patch(
        &path,
        &json!([{"op": "add", "path": "members",
        "value": [{"value": "01900000-0000-7000-8000-000000000000"}]}]),
        None,
    )
    .await
    .expect_error(400, Some("invalidValue"));
    scim.post(
        "/Groups",
        &json!({"schemas": [GROUP], "displayName": "night watch"}),
    )
    .await
    .expect_error(409, Some("uniqueness"));

    // PUT sets the members exactly; DELETE lets them go and removes the group.
    scim.put(&path, &json!({"schemas": [GROUP], "displayName": "Night Watch", "members": [{"value": ann}, {"value": bob}]}), None)
        .await
        .expect(200);
    assert_eq!(
        api.get(&format!("/users/{bob}")).await.expect(200)["command_group_id"],
        gid
    );
    scim.delete(&path, None).await.expect(204);
    scim.get(&path).await.expect_error(404, None);
    assert_eq!(
        api.get(&format!("/users/{bob}")).await.expect(200)["command_group_id"],
        Value::Null
    );
    api.get(&format!("/command-groups/{gid}")).await.expect(404);
}

async fn scim_needs_an_api_token_and_the_callers_capabilities(backend: Backend) {
    let app = spawn(backend).await;
    let (org, api, scim) = org(&app, "Token PD").await;
    let target = create(&scim, &user("target", "T", "T")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let anonymous = Scim::new(&app, "not-a-token");
    let answer = anonymous.get("/Users").await;
    answer.expect_error(401, None);
    Scim::new(&app, "")
        .get("/ServiceProviderConfig")
        .await
        .expect_error(401, None);

    // A token narrowed to users.view reads but cannot provision or change anyone.
    let viewer = api
        .post(
            "/tokens",
            &json!({"name": "IdP read", "capabilities": ["users.view"]}),
        )
        .await;
    let viewer = Scim::new(&app, viewer.expect(201)["secret"].as_str().unwrap());
    assert_eq!(
        viewer.ids(&q(r#"userName eq "target""#)).await,
        std::slice::from_ref(&target)
    );
    viewer
        .post("/Users", &user("nope", "N", "O"))
        .await
        .expect_error(403, None);
    viewer
        .patch(
            &format!("/Users/{target}"),
            &json!([{"op": "replace", "path": "displayName", "value": "X"}]),
            None,
        )
        .await
        .expect_error(403, None);
    viewer
        .delete(&format!("/Users/{target}"), None)
        .await
        .expect_error(403, None);
    viewer
        .post("/Groups", &json!({"schemas": [GROUP], "displayName": "G"}))
        .await
        .expect_error(403, None);
    // users.edit without users.lifecycle: profile yes, switching off no.
    let editor = api
        .post(
            "/tokens",
            &json!({"name": "IdP edit", "capabilities": ["users.view", "users.edit"]}),
        )
        .await;
    let editor = Scim::new(&app, editor.expect(201)["secret"].as_str().unwrap());
    editor
        .patch(
            &format!("/Users/{target}"),
            &json!([{"op": "replace", "path": "displayName", "value": "Tee"}]),
            None,
        )
        .await
        .expect(200);
    editor
        .patch(
            &format!("/Users/{target}"),
            &json!([{"op": "replace", "path": "active", "value": false}]),
            None,
        )
        .await
        .expect_error(403, None);
    assert_eq!(
        api.get(&format!("/users/{target}")).await.expect(200)["status"],
        "active"
    );
    // A browser session is not a SCIM client.
    let admin_role = api.get("/roles").await.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Administrator")
        .unwrap()["id"]
        .clone();
    let password = "correct horse battery staple 42";
    api.post(
        "/users",
        &json!({"login": "clerk", "first_name": "C", "last_name": "K", "password": password,
                "placements": [{"node_id": org.root_node_id, "role_id": admin_role}]}),
    )
    .await
    .expect(201);
    let login = app
        .client
        .post(format!("{}/api/v1/auth/login", app.base_url))
        .json(&json!({"org": org.slug, "login": "clerk", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 200);
    let session: Value = login.json().await.unwrap();
    Scim::new(&app, session["token"].as_str().unwrap())
        .get("/Users")
        .await
        .expect_error(403, None);
}

async fn another_organizations_users_and_groups_stay_invisible(backend: Backend) {
    let app = spawn(backend).await;
    let (_a, _api_a, scim_a) = org(&app, "North PD").await;
    let (_b, api_b, scim_b) = org(&app, "South PD").await;
    let theirs = create(&scim_a, &user("shared-name", "A", "A")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let group = scim_a
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "North Group"}),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let events = audit_count(&api_b).await;
    // The same login is free in another organization.
    create(&scim_b, &user("shared-name", "B", "B")).await;
    let events = events + 1;
    for path in [format!("/Users/{theirs}"), format!("/Groups/{group}")] {
        scim_b.get(&path).await.expect_error(404, None);
        scim_b.delete(&path, None).await.expect_error(404, None);
        scim_b
            .patch(
                &path,
                &json!([{"op": "replace", "path": "displayName", "value": "x"}]),
                None,
            )
            .await
            .expect_error(404, None);
    }
    scim_b
        .put(&format!("/Users/{theirs}"), &user("x", "x", "x"), None)
        .await
        .expect_error(404, None);
    assert!(
        scim_b
            .ids(&q(&format!(r#"id eq "{theirs}""#)))
            .await
            .is_empty()
    );
    let groups = scim_b
        .get(&format!("/Groups?{}", q(r#"displayName eq "North Group""#)))
        .await;
    assert_eq!(groups.expect(200)["totalResults"], 0);
    scim_b
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "South", "members": [{"value": theirs}]}),
        )
        .await
        .expect_error(400, Some("invalidValue"));
    assert_eq!(audit_count(&api_b).await, events);
    assert_eq!(
        scim_a.get(&format!("/Users/{theirs}")).await.expect(200)["name"]["givenName"],
        "A"
    );
}

async fn provisioning_needs_a_live_node_and_an_assignable_role(backend: Backend) {
    let app = spawn(backend).await;
    let org = app.init_org("Unset PD", "admin").await;
    let api = app.api(&org);
    let scim = Scim::new(&app, &org.token);
    // Until the organization says where SCIM users go, SCIM cannot create any.
    scim.post("/Users", &user("early", "E", "A"))
        .await
        .expect_error(409, None);
    let role = api
        .post(
            "/roles",
            &json!({"name": "Site Clerk", "assignable_at": ["Location"], "capabilities": [],
                    "modules": {}, "preset": "custom"}),
        )
        .await;
    let role = role.expect(201)["id"].clone();
    let employee = api.get("/roles").await.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Employee")
        .unwrap()["id"]
        .clone();
    let bad = [
        (
            json!({"node_id": "01900000-0000-7000-8000-000000000000", "role_id": employee}),
            422,
            "scim_provisioning.node_id",
        ),
        (
            json!({"node_id": org.root_node_id, "role_id": "01900000-0000-7000-8000-000000000000"}),
            422,
            "scim_provisioning.role_id",
        ),
        (
            json!({"node_id": org.root_node_id, "role_id": role}),
            409,
            "scim_provisioning.role_id",
        ),
    ];
    for (value, status, field) in bad {
        api.patch("/settings", &json!({"scim_provisioning": value}), None)
            .await
            .expect_problem(status, field);
    }
    assert_eq!(
        api.get("/settings").await.expect(200)["scim_provisioning"],
        Value::Null
    );
    api.patch(
        "/settings",
        &json!({"scim_provisioning": {"node_id": org.root_node_id, "role_id": employee}}),
        None,
    )
    .await
    .expect(200);
    scim.post("/Users", &user("early", "E", "A"))
        .await
        .expect(201);
}

async fn a_regional_token_lists_and_counts_only_the_users_of_its_region(backend: Backend) {
    let app = spawn(backend).await;
    let (org, api, scim) = org(&app, "Regional PD").await;
    let node = |name: &str, kind: &str, parent: &str| {
        let api = api.clone();
        let body = json!({"name": name, "kind": kind, "parent_id": parent});
        async move { api.post("/nodes", &body).await.expect(201)["id"].clone() }
    };
    let north = node("North", "Region", &org.root_node_id).await;
    let north_id = north.as_str().unwrap().to_owned();
    let station = node("Bayview", "Division", &north_id).await;
    let south = node("South", "Region", &org.root_node_id).await;
    let viewer_role = api
        .post(
            "/roles",
            &json!({"name": "Regional Viewer", "assignable_at": ["Region"],
                    "capabilities": ["users.view", "tokens.manage"], "modules": {}, "preset": "custom"}),
        )
        .await;
    let viewer_role = viewer_role.expect(201)["id"].clone();
    let employee = api.get("/roles").await.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Employee")
        .unwrap()["id"]
        .clone();
    let password = "correct horse battery staple 42";
    let person = |login: &str, node: &Value, role: &Value, password: Option<&str>| {
        let api = api.clone();
        let mut body = json!({"login": login, "first_name": "F", "last_name": login,
            "placements": [{"node_id": node, "role_id": role}]});
        if let Some(p) = password {
            body["password"] = json!(p);
        } else {
            body["login_kind"] = json!("none");
        }
        async move {
            api.post("/users", &body).await.expect(201)["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let lead = person("north-lead", &north, &viewer_role, Some(password)).await;
    let near = person("north-medic", &station, &employee, None).await;
    let far = person("south-medic", &south, &employee, None).await;

    let login = app
        .client
        .post(format!("{}/api/v1/auth/login", app.base_url))
        .json(&json!({"org": org.slug, "login": "north-lead", "password": password}))
        .send()
        .await
        .unwrap();
    let session: Value = login.json().await.unwrap();
    let session = Api::new(&app, session["token"].as_str().unwrap());
    let token = session
        .post(
            "/tokens",
            &json!({"name": "north IdP", "capabilities": ["users.view"]}),
        )
        .await;
    let regional = Scim::new(&app, token.expect(201)["secret"].as_str().unwrap());

    let listed = regional.get("/Users?sortBy=userName").await;
    let listed = listed.expect(200);
    let ids: Vec<&str> = listed["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [lead.as_str(), near.as_str()]);
    assert_eq!(listed["totalResults"], 2);
    let filtered = regional
        .get(&format!("/Users?{}", q(r#"name.familyName co "medic""#)))
        .await;
    assert_eq!(filtered.expect(200)["totalResults"], 1);
    regional
        .get(&format!("/Users/{far}"))
        .await
        .expect_error(404, None);
    // The organization's token sees all of them.
    assert_eq!(
        scim.get("/Users?count=0").await.expect(200)["totalResults"],
        4
    );
}
