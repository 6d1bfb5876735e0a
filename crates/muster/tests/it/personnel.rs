//! A small station for the personnel-file tests (records, files, photos):
//!
//! ```text
//! Sergeants ── sgt        edit discipline, promotions, status and photo of direct reports;
//! │                       view their commendations and related reports
//! └── Officers ── officer, officer2
//!                         view their own commendations; see their peers' photos
//! clerk: no command group; a role at the organization with users.view and users.edit
//! ```

use muster_testkit::{Api, Backend, OrgFixture, TestApp};
use serde_json::{Value, json};

use crate::bin;

pub const PASSWORD: &str = "Correct-Horse-Battery-Staple-9";

/// The station and its people's ids.
pub struct Station {
    pub app: TestApp,
    pub org: OrgFixture,
    pub admin: Api,
    pub sgt: String,
    pub officer: String,
    pub officer2: String,
}

async fn id_of(api: &Api, path: &str, body: Value) -> String {
    let reply = api.post(path, &body).await;
    reply.expect(201)["id"].as_str().unwrap().to_owned()
}

/// The station on a fresh database.
pub async fn station(backend: Backend) -> Station {
    station_with_env(backend, &[]).await
}

/// The station, its server started with `env` (e.g. an S3 blob store).
pub async fn station_with_env(backend: Backend, env: &[(&str, &str)]) -> Station {
    let app = TestApp::spawn_with_env(bin(), backend, &[], env).await;
    let org = app.init_org("Bay City Police", "chief").await;
    let admin = app.api(&org);
    let roles = admin.get("/roles?limit=500").await;
    let employee = roles.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Employee")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let clerk_role = id_of(
        &admin,
        "/roles",
        json!({"name": "Records Clerk", "assignable_at": ["Organization"],
               "capabilities": ["users.view", "users.edit"], "preset": "view_only"}),
    )
    .await;
    let privilege = |scope: &str, access: &str, section: &str| json!({"scope": scope, "access": access, "section": section});
    let sergeants = id_of(
        &admin,
        "/command-groups",
        json!({"name": "Sergeants", "privileges": [
            privilege("direct", "edit", "discipline"),
            privilege("direct", "edit", "promotions"),
            privilege("direct", "edit", "status"),
            privilege("direct", "edit", "photo"),
            privilege("direct", "view", "commendations"),
            privilege("direct", "view", "related_reports"),
        ]}),
    )
    .await;
    let officer_group = id_of(
        &admin,
        "/command-groups",
        json!({"name": "Officers", "parent_id": sergeants, "privileges": [
            privilege("self", "view", "commendations"),
            privilege("peers", "view", "photo"),
        ]}),
    )
    .await;
    let root = org.root_node_id.clone();
    let person = |login: &str, group: Option<&str>, role: &str| {
        json!({"login": login, "first_name": "Pat", "last_name": login,
               "email": format!("{login}@bcpd.gov"), "password": PASSWORD,
               "command_group_id": group,
               "placements": [{"node_id": root, "role_id": role, "default": true}]})
    };
    let sgt = id_of(&admin, "/users", person("sgt", Some(&sergeants), &employee)).await;
    let officer = id_of(
        &admin,
        "/users",
        person("officer", Some(&officer_group), &employee),
    )
    .await;
    let officer2 = id_of(
        &admin,
        "/users",
        person("officer2", Some(&officer_group), &employee),
    )
    .await;
    id_of(&admin, "/users", person("clerk", None, &clerk_role)).await;
    Station {
        app,
        org,
        admin,
        sgt,
        officer,
        officer2,
    }
}

impl Station {
    /// Signs `login` in and returns an API client on the session.
    pub async fn session(&self, login: &str) -> Api {
        let reply = self
            .app
            .client
            .post(format!("{}/api/v1/auth/login", self.app.base_url))
            .json(&json!({"org": self.org.slug, "login": login, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "sign-in of {login}");
        let body: Value = reply.json().await.unwrap();
        Api::new(&self.app, body["token"].as_str().unwrap())
    }

    /// The actions of the audit events about `user`, newest first.
    pub async fn actions_about(&self, user: &str) -> Vec<String> {
        let events = self
            .admin
            .get(&format!("/users/{user}/audit?limit=500"))
            .await;
        events.expect(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    }
}
