//! The console's organization and records screens over HTTP — roles, locations, command
//! hierarchy, reference lists, settings, audit log, mailbox, directory — through the real
//! server, on both backends: they render for an organization administrator, refuse
//! others, re-render a bad form with the service's message beside the field (changing
//! nothing), refuse forms without the CSRF token, and escape every name. (Browser tests
//! of the same screens live in `e2e/organization.test.cjs`.)

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use muster_testkit::{Backend, TestApp, on_both_backends};
use reqwest::redirect::Policy;
use serde_json::{Value, json};

use crate::spawn;

on_both_backends!(
    every_organization_screen_renders_for_an_organization_administrator,
    an_employee_is_refused_the_administration_screens_and_changes_nothing,
    bad_settings_and_reference_forms_re_render_with_the_error_beside_the_field,
    bad_role_group_and_node_forms_re_render_with_the_service_message_and_change_nothing,
    organization_forms_without_the_csrf_token_are_refused,
    names_containing_markup_are_escaped_on_every_organization_screen,
    accepted_forms_redirect_with_a_toast_and_are_audited_with_their_diff,
    roles_are_saved_with_a_preset_or_a_module_grid,
    a_division_administrator_edits_only_their_part_of_the_tree,
    another_organizations_objects_are_not_found_on_organization_screens,
    the_mailbox_shows_messages_and_the_audit_log_pages_back_in_time,
);

const PASSWORD: &str = "Console-Org-Password-42";

/// A browser-like client: a small cookie jar, no redirects followed.
#[derive(Clone)]
struct Browser {
    client: reqwest::Client,
    jar: Arc<Mutex<BTreeMap<String, String>>>,
    origin: String,
}

impl Browser {
    fn new(origin: &str) -> Self {
        muster_testkit::install_tls_provider();
        Self {
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            jar: Arc::default(),
            origin: origin.to_owned(),
        }
    }

    fn cookies(&self) -> String {
        self.jar
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&self, reply: &reqwest::Response) {
        let mut jar = self.jar.lock().unwrap();
        for cookie in reply.headers().get_all("set-cookie") {
            let text = cookie.to_str().unwrap_or_default();
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || text.contains("Max-Age=0") {
                    jar.remove(name);
                } else {
                    jar.insert(name.to_owned(), value.to_owned());
                }
            }
        }
    }

    /// `GET path` → (status, body).
    async fn get(&self, path: &str) -> (u16, String) {
        let reply = self
            .client
            .get(format!("{}{path}", self.origin))
            .header("Cookie", self.cookies())
            .send()
            .await
            .unwrap();
        self.keep(&reply);
        (reply.status().as_u16(), reply.text().await.unwrap())
    }

    /// `POST path` with a urlencoded form → (status, Location, body).
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter())
            .finish();
        let reply = self
            .client
            .post(format!("{}{path}", self.origin))
            .header("Cookie", self.cookies())
            .header("Origin", self.origin.clone())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep(&reply);
        let location = reply
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (
            reply.status().as_u16(),
            location,
            reply.text().await.unwrap(),
        )
    }

    /// The flash message the last redirect set, if any.
    fn flash(&self) -> Option<String> {
        self.jar.lock().unwrap().get("muster_flash").map(|raw| {
            form_urlencoded::parse(format!("v={raw}").as_bytes())
                .next()
                .unwrap()
                .1
                .into_owned()
        })
    }
}

/// The value of the first hidden `csrf` field of a page.
fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let at = html.find(marker).expect("the page has a csrf field") + marker.len();
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

struct Org {
    app: TestApp,
    slug: String,
    api: muster_testkit::Api,
    root: String,
    employee_role: String,
}

async fn org(backend: Backend) -> Org {
    let app = spawn(backend).await;
    let fixture = app.init_org("Bay City Police", "chief").await;
    let api = app.api(&fixture);
    let roles = api.get("/roles").await;
    let employee_role = roles.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Employee")
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .unwrap();
    Org {
        slug: fixture.slug.clone(),
        root: fixture.root_node_id.clone(),
        app,
        api,
        employee_role,
    }
}

impl Org {
    async fn user(&self, login: &str, node: &str, role: &str, extra: Value) -> String {
        let mut body = json!({
            "login": login, "first_name": "Pat", "last_name": "Holloway", "password": PASSWORD,
            "placements": [{"node_id": node, "role_id": role}],
        });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        self.api.post("/users", &body).await.expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// An organization administrator, signed in to the console.
    async fn admin(&self) -> (Browser, String) {
        self.user(
            "casey",
            &self.root,
            &self.employee_role,
            json!({"is_org_admin": true}),
        )
        .await;
        self.sign_in("casey").await
    }

    async fn sign_in(&self, login: &str) -> (Browser, String) {
        let browser = Browser::new(&self.app.base_url);
        let (status, page) = browser.get("/console/sign-in").await;
        assert_eq!(status, 200);
        let csrf = csrf_of(&page);
        let (status, location, body) = browser
            .post(
                "/console/sign-in",
                &[
                    ("csrf", csrf.as_str()),
                    ("org", self.slug.as_str()),
                    ("login", login),
                    ("method", "password"),
                    ("secret", PASSWORD),
                    ("next", "/console/directory"),
                ],
            )
            .await;
        assert_eq!(status, 303, "{body}");
        assert_eq!(location, "/console/directory");
        (browser, csrf)
    }

    async fn node(&self, name: &str, kind: &str, parent: &str) -> String {
        let body = json!({"name": name, "kind": kind, "parent_id": parent});
        self.api.post("/nodes", &body).await.expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn total(&self, path: &str) -> i64 {
        self.api.get(path).await.expect(200)["total"]
            .as_i64()
            .unwrap()
    }

    /// The scheduling module (items, one required) and a map (none/view only).
    async fn modules(&self) {
        self.api
            .post(
                "/modules",
                &json!({"key": "scheduling", "name": "Scheduling", "requires_items": true,
                        "items": [{"key": "day", "name": "Day shift"}, {"key": "night", "name": "Night shift"}]}),
            )
            .await
            .expect(201);
        self.api
            .post(
                "/modules",
                &json!({"key": "map", "name": "Map", "levels": ["none", "view"]}),
            )
            .await
            .expect(201);
    }
}

async fn every_organization_screen_renders_for_an_organization_administrator(backend: Backend) {
    let org = org(backend).await;
    org.modules().await;
    let region = org.node("North Region", "Region", &org.root).await;
    let group = org
        .api
        .post(
            "/command-groups",
            &json!({"name": "Captains", "privileges": [
            {"scope": "direct", "access": "edit", "section": "discipline"}]}),
        )
        .await;
    let group = group.expect(201)["id"].as_str().unwrap().to_owned();
    let (browser, _) = org.admin().await;
    let pages = [
        ("/console/roles", "Roles"),
        ("/console/roles/new", "Module permissions"),
        (&format!("/console/roles/{}", org.employee_role), "Employee"),
        ("/console/org/tree", "Locations"),
        (&format!("/console/org/tree?node={region}"), "North Region"),
        ("/console/org/hierarchy", "<svg"),
        (
            &format!("/console/org/hierarchy/{group}"),
            "Personnel privileges",
        ),
        ("/console/reference", "Reference lists"),
        ("/console/reference/ranks", "Add an entry"),
        ("/console/reference/node_kinds", "Region"),
        ("/console/settings", "Shortest password"),
        ("/console/audit", "Verify chain"),
        ("/console/mailbox", "Mailbox"),
        ("/console/directory", "Directory"),
    ];
    for (path, expected) in pages {
        let (status, html) = browser.get(path).await;
        assert_eq!(status, 200, "{path}: {html}");
        assert!(html.contains(expected), "{path} lacks {expected:?}");
        assert!(!html.contains("style="), "{path} has an inline style");
        assert_eq!(html.matches("<script").count(), 1, "{path}");
    }
    // The module grid offers only each module's levels; the chart names the group; the
    // group's privileges are listed in words.
    let (_, html) = browser.get("/console/roles/new").await;
    assert!(html.contains("name=\"module.map\""));
    let map = &html[html.find("name=\"module.map\"").unwrap()..];
    let map = &map[..map.find("</select>").unwrap()];
    assert!(map.contains("value=\"view\"") && !map.contains("value=\"edit\""));
    assert!(html.contains("name=\"items.scheduling\" value=\"night\""));
    let (_, html) = browser.get("/console/org/hierarchy").await;
    assert!(html.contains(">Captains</text>"));
    assert!(html.contains("Direct reports</strong>: Discipline"));
    // An unknown list or object is a plain 404 page.
    assert_eq!(browser.get("/console/reference/weapons").await.0, 404);
    assert_eq!(
        browser
            .get("/console/roles/01234567-89ab-7def-8123-456789abcdef")
            .await
            .0,
        404
    );
}

async fn an_employee_is_refused_the_administration_screens_and_changes_nothing(backend: Backend) {
    let org = org(backend).await;
    org.user("pat", &org.root, &org.employee_role, json!({}))
        .await;
    let (browser, csrf) = org.sign_in("pat").await;
    for path in [
        "/console/roles",
        "/console/roles/new",
        "/console/org/tree",
        "/console/org/hierarchy",
        "/console/reference",
        "/console/reference/ranks",
        "/console/settings",
        "/console/audit",
        "/console/mailbox",
    ] {
        let (status, html) = browser.get(path).await;
        assert_eq!(status, 403, "{path}");
        assert!(html.contains("<title>Not allowed"), "{path}: {html}");
        assert!(
            html.contains("is not allowed") || html.contains("is needed"),
            "{path}"
        );
    }
    // The navigation does not offer them either; the directory is everyone's.
    let (status, html) = browser.get("/console/directory").await;
    assert_eq!(status, 200);
    assert!(!html.contains("href=\"/console/roles\""));
    let ranks = org.total("/reference/ranks").await;
    let (status, _, html) = browser
        .post(
            "/console/reference/ranks",
            &[("csrf", csrf.as_str()), ("name", "Commissioner")],
        )
        .await;
    assert_eq!(status, 403);
    assert!(html.contains("You may not do this"), "{html}");
    assert_eq!(org.total("/reference/ranks").await, ranks);
    let (status, _, _) = browser
        .post(
            "/console/settings",
            &[
                ("csrf", csrf.as_str()),
                ("lockout_threshold", "1"),
                ("password_min_length", "8"),
            ],
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        org.api.get("/settings").await.expect(200)["lockout_threshold"],
        5
    );
}

async fn bad_settings_and_reference_forms_re_render_with_the_error_beside_the_field(
    backend: Backend,
) {
    let org = org(backend).await;
    let (browser, csrf) = org.admin().await;
    let csrf = csrf.as_str();

    // A reference entry without a name.
    let ranks = org.total("/reference/ranks").await;
    let (status, _, html) = browser
        .post(
            "/console/reference/ranks",
            &[("csrf", csrf), ("name", "  ")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("id=\"new-name-error\">Must not be empty"),
        "{html}"
    );
    assert_eq!(org.total("/reference/ranks").await, ranks);

    // A password policy out of range keeps what was typed.
    let (status, _, html) = browser
        .post(
            "/console/settings",
            &[
                ("csrf", csrf),
                ("lockout_threshold", "7"),
                ("password_min_length", "3"),
                ("self_service", "phones"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"password_min_length-error\">Must be between 8 and 128"));
    assert!(html.contains("name=\"password_min_length\" type=\"number\" inputmode=\"numeric\" min=\"8\" max=\"128\" value=\"3\""));
    assert!(html.contains("name=\"lockout_threshold\" type=\"number\" inputmode=\"numeric\" min=\"1\" max=\"100\" value=\"7\""));
    let settings = org.api.get("/settings").await;
    assert_eq!(settings.expect(200)["lockout_threshold"], 5);
    let (status, _, html) = browser
        .post(
            "/console/settings",
            &[
                ("csrf", csrf),
                ("lockout_threshold", "five"),
                ("password_min_length", "10"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"lockout_threshold-error\">Enter a whole number"));
}

async fn bad_role_group_and_node_forms_re_render_with_the_service_message_and_change_nothing(
    backend: Backend,
) {
    let org = org(backend).await;
    org.modules().await;
    let (browser, csrf) = org.admin().await;
    let csrf = csrf.as_str();

    // Scheduling needs a calendar: the service's requirement, shown on the module's row.
    let roles = org.total("/roles").await;
    let (status, _, html) = browser
        .post(
            "/console/roles",
            &[
                ("csrf", csrf),
                ("name", "Dispatcher"),
                ("kind", "Location"),
                ("preset", "custom"),
                ("module.scheduling", "edit"),
                ("module.map", "view"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains(
            "id=\"items-scheduling-error\">Select at least one item of &#34;Scheduling&#34;"
        ) || html.contains(
            "id=\"items-scheduling-error\">Select at least one item of &quot;Scheduling&quot;"
        ),
        "{html}"
    );
    assert!(html.contains("value=\"Dispatcher\""));
    assert_eq!(org.total("/roles").await, roles);

    // Editing peers' records makes no sense: the service refuses, the cell says why.
    let group = org
        .api
        .post("/command-groups", &json!({"name": "Sergeants"}))
        .await;
    let group = group.expect(201)["id"].as_str().unwrap().to_owned();
    let (status, _, html) = browser
        .post(
            &format!("/console/org/hierarchy/{group}"),
            &[
                ("csrf", csrf),
                ("name", "Sergeants"),
                ("priv.direct.discipline", "view"),
                ("priv.peers.discipline", "edit"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("id=\"priv.peers.discipline-error\">Peers"),
        "{html}"
    );
    assert!(html.contains("records can be viewed, never edited"));
    let stored = org.api.get(&format!("/command-groups/{group}")).await;
    assert_eq!(stored.expect(200)["privileges"], json!([]));

    // A second node of the same name under the same parent.
    org.node("Harbor Station", "Location", &org.root).await;
    let nodes = org.total("/nodes").await;
    let (status, _, html) = browser
        .post(
            "/console/org/tree/nodes",
            &[
                ("csrf", csrf),
                ("parent_id", org.root.as_str()),
                ("name", "Harbor Station"),
                ("kind", "Location"),
            ],
        )
        .await;
    assert_eq!(status, 409);
    assert!(html.contains("id=\"new-name-error\">Another node under the same parent"));
    assert_eq!(org.total("/nodes").await, nodes);
}

async fn organization_forms_without_the_csrf_token_are_refused(backend: Backend) {
    let org = org(backend).await;
    let (browser, _) = org.admin().await;
    let ranks = org.total("/reference/ranks").await;
    for form in [
        vec![("name", "Marshal")],
        vec![("name", "Marshal"), ("csrf", "0")],
    ] {
        let (status, _, html) = browser.post("/console/reference/ranks", &form).await;
        assert_eq!(status, 403);
        assert!(html.contains("This form has expired"));
    }
    let (status, _, _) = browser
        .post(
            "/console/settings",
            &[("lockout_threshold", "1"), ("password_min_length", "8")],
        )
        .await;
    assert_eq!(status, 403);
    let (status, _, _) = browser.post("/console/audit/verify", &[]).await;
    assert_eq!(status, 403);
    assert_eq!(org.total("/reference/ranks").await, ranks);
    assert_eq!(
        org.api.get("/settings").await.expect(200)["lockout_threshold"],
        5
    );
}

async fn names_containing_markup_are_escaped_on_every_organization_screen(backend: Backend) {
    let org = org(backend).await;
    let evil = "<script>alert(1)</script>";
    org.api
        .post("/reference/ranks", &json!({"name": evil}))
        .await
        .expect(201);
    let node = org.node(evil, "Region", &org.root).await;
    let group = org
        .api
        .post("/command-groups", &json!({"name": evil}))
        .await;
    let group = group.expect(201)["id"].as_str().unwrap().to_owned();
    let role = org
        .api
        .post(
            "/roles",
            &json!({"name": evil, "assignable_at": ["Region"]}),
        )
        .await;
    let role = role.expect(201)["id"].as_str().unwrap().to_owned();
    org.api
        .post(
            "/modules",
            &json!({"key": "cad", "name": "<img src=x onerror=alert(2)>"}),
        )
        .await
        .expect(201);
    org.user(
        "mallory",
        &org.root,
        &org.employee_role,
        json!({"last_name": evil, "email": "mallory@example.com"}),
    )
    .await;
    let (browser, _) = org.admin().await;
    for path in [
        "/console/reference".to_owned(),
        "/console/reference/ranks".to_owned(),
        format!("/console/org/tree?node={node}"),
        "/console/org/hierarchy".to_owned(),
        format!("/console/org/hierarchy/{group}"),
        "/console/roles".to_owned(),
        format!("/console/roles/{role}"),
        "/console/audit".to_owned(),
        "/console/directory?q=mallory".to_owned(),
    ] {
        let (status, html) = browser.get(&path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!html.contains("<script>alert"), "{path}");
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(
            html.contains("&#60;script&#62;alert(1)") || html.contains("&lt;script&gt;alert(1)"),
            "{path} does not show the name as text"
        );
    }
}

async fn accepted_forms_redirect_with_a_toast_and_are_audited_with_their_diff(backend: Backend) {
    let org = org(backend).await;
    let (browser, csrf) = org.admin().await;
    let (status, location, _) = browser
        .post(
            "/console/reference/ranks",
            &[("csrf", csrf.as_str()), ("name", "Commissioner")],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/console/reference/ranks")
    );
    assert_eq!(
        browser.flash().as_deref(),
        Some("success:Added \u{201c}Commissioner\u{201d}.")
    );
    let (_, html) = browser.get("/console/reference/ranks").await;
    assert!(html.contains("value=\"Commissioner\""));
    assert!(
        html.contains("Added \u{201c}Commissioner\u{201d}."),
        "the toast"
    );

    // Settings: the whole form is one change, recorded field by field.
    let (_, html) = browser.get("/console/settings").await;
    assert!(html.contains("name=\"self_service\" value=\"phones\" checked"));
    let (status, location, _) = browser
        .post(
            "/console/settings",
            &[
                ("csrf", csrf.as_str()),
                ("version", "1"),
                ("lockout_threshold", "3"),
                ("lockout_release_minutes", "30"),
                ("password_min_length", "12"),
                ("self_service", "phones"),
                ("self_service", "photo"),
                ("files_enabled", "1"),
                ("address.city", "Bay City"),
            ],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/console/settings"));
    let settings = org.api.get("/settings").await;
    let settings = settings.expect(200);
    assert_eq!(settings["lockout_threshold"], 3);
    assert_eq!(settings["lockout_release_minutes"], 30);
    assert_eq!(settings["self_service_fields"], json!(["phones", "photo"]));
    assert_eq!(settings["files_module"]["employees_see_own"], false);
    assert_eq!(settings["address"]["city"], "Bay City");

    // The audit log shows both changes, with before and after.
    let (status, html) = browser.get("/console/audit?action=settings.update").await;
    assert_eq!(status, 200);
    assert!(html.contains("1\u{2013}1 of 1"), "{html}");
    assert!(html.contains("Lockout threshold"));
    assert!(html.contains("<del>5</del>") && html.contains("<ins>3</ins>"));
    let (_, html) = browser.get("/console/audit?action=reference_item.").await;
    assert!(html.contains("<ins>Commissioner</ins>"));
    // A bad filter is shown beside its field.
    let (status, html) = browser.get("/console/audit?target=nope").await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"target-error\">Must be a UUID"));
    // Events by this administrator are found by the actor filter.
    let casey = org.api.get("/users?q=casey").await;
    let casey = casey.expect(200)["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, html) = browser.get(&format!("/console/audit?actor={casey}")).await;
    assert!(html.contains("1\u{2013}2 of 2"), "{html}");
    // The chain verifies.
    let (status, _, html) = browser
        .post("/console/audit/verify", &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("The chain is intact."));
}

async fn roles_are_saved_with_a_preset_or_a_module_grid(backend: Backend) {
    let org = org(backend).await;
    org.modules().await;
    let (browser, csrf) = org.admin().await;
    let csrf = csrf.as_str();
    // A preset alone decides the grid.
    let (status, location, html) = browser
        .post(
            "/console/roles",
            &[
                ("csrf", csrf),
                ("name", "Watch Commander"),
                ("kind", "Location"),
                ("kind", "Region"),
                ("preset", "admin"),
                ("module.scheduling", "none"),
                ("module.map", "none"),
                ("capability", "users.view"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{html}");
    let id = location.rsplit('/').next().unwrap().to_owned();
    let role = org.api.get(&format!("/roles/{id}")).await;
    let role = role.expect(200);
    assert_eq!(role["preset"], "admin");
    assert_eq!(role["modules"]["map"], json!("view"));
    assert_eq!(role["capabilities"], json!(["users.view"]));
    assert_eq!(role["assignable_at"], json!(["Region", "Location"]));
    // The grid changed with the preset kept: the role becomes custom.
    let version = role["version"].to_string();
    let (status, _, html) = browser
        .post(
            &format!("/console/roles/{id}"),
            &[
                ("csrf", csrf),
                ("version", version.as_str()),
                ("name", "Watch Commander"),
                ("kind", "Location"),
                ("kind", "Region"),
                ("preset", "admin"),
                ("module.scheduling", "view"),
                ("items.scheduling", "night"),
                ("module.map", "view"),
                ("items.map", "all"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{html}");
    let role = org.api.get(&format!("/roles/{id}")).await;
    let role = role.expect(200);
    assert_eq!(role["preset"], "custom");
    assert_eq!(
        role["modules"]["scheduling"],
        json!({"level": "view", "items": ["night"]})
    );
    assert_eq!(role["capabilities"], json!([]));
    // "Enable all" fills the grid for review without saving.
    let (status, _, html) = browser
        .post(
            &format!("/console/roles/{id}"),
            &[
                ("csrf", csrf),
                ("intent", "enable_all"),
                ("name", "Watch Commander"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("Every module is enabled below"));
    let scheduling = &html[html.find("name=\"module.scheduling\"").unwrap()..];
    assert!(scheduling.contains("<option value=\"edit\" selected>"));
    assert_eq!(
        org.api.get(&format!("/roles/{id}")).await.expect(200)["version"].to_string(),
        (version.parse::<i64>().unwrap() + 1).to_string()
    );
    // Deleting asks first, then deletes.
    let (status, _, html) = browser
        .post(&format!("/console/roles/{id}/delete"), &[("csrf", csrf)])
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("id=\"delete-role\" data-modal aria-labelledby=\"delete-role-title\" open")
    );
    let (status, location, _) = browser
        .post(
            &format!("/console/roles/{id}/delete"),
            &[("csrf", csrf), ("confirm", "1")],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/console/roles"));
    assert_eq!(org.api.get(&format!("/roles/{id}")).await.status, 404);
    // A role someone holds is not deleted; the page says why.
    let (status, _, html) = browser
        .post(
            &format!("/console/roles/{}/delete", org.employee_role),
            &[("csrf", csrf), ("confirm", "1")],
        )
        .await;
    assert_eq!(status, 409);
    assert!(html.contains("placement(s) give this role"));
}

async fn a_division_administrator_edits_only_their_part_of_the_tree(backend: Backend) {
    let org = org(backend).await;
    let north = org.node("North", "Region", &org.root).await;
    let south = org.node("South", "Region", &org.root).await;
    let role = org
        .api
        .post(
            "/roles",
            &json!({"name": "Regional Administrator", "assignable_at": ["Region"],
                    "capabilities": ["users.view", "org.manage"]}),
        )
        .await;
    let role = role.expect(201)["id"].as_str().unwrap().to_owned();
    org.user("regadmin", &north, &role, json!({})).await;
    let (browser, csrf) = org.sign_in("regadmin").await;
    // Their region offers its forms; the other one is read-only.
    let (status, html) = browser
        .get(&format!("/console/org/tree?node={north}"))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("action=\"/console/org/tree/nodes/{north}\"")));
    let (_, html) = browser
        .get(&format!("/console/org/tree?node={south}"))
        .await;
    assert!(html.contains("outside the part of the tree you manage"));
    assert!(!html.contains(&format!("action=\"/console/org/tree/nodes/{south}\"")));
    // Adding below their region works; below the other is refused with the reason.
    let (status, location, _) = browser
        .post(
            "/console/org/tree/nodes",
            &[
                ("csrf", csrf.as_str()),
                ("parent_id", north.as_str()),
                ("name", "Northgate"),
                ("kind", "Location"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert!(location.starts_with("/console/org/tree?node="));
    let nodes = org.total("/nodes").await;
    let (status, _, html) = browser
        .post(
            "/console/org/tree/nodes",
            &[
                ("csrf", csrf.as_str()),
                ("parent_id", south.as_str()),
                ("name", "Southgate"),
                ("kind", "Location"),
            ],
        )
        .await;
    assert_eq!(status, 403);
    assert!(
        html.contains("You may not do this: org.manage is not allowed"),
        "{html}"
    );
    assert_eq!(org.total("/nodes").await, nodes);
}

async fn another_organizations_objects_are_not_found_on_organization_screens(backend: Backend) {
    let org = org(backend).await;
    let other = org.app.init_org("Harbor Fire Rescue", "firechief").await;
    let their = org.app.api(&other);
    let station = their
        .post(
            "/nodes",
            &json!({"name": "Station 9", "kind": "Location", "parent_id": other.root_node_id}),
        )
        .await;
    let station = station.expect(201)["id"].as_str().unwrap().to_owned();
    let group = their
        .post("/command-groups", &json!({"name": "Battalion Chiefs"}))
        .await;
    let group = group.expect(201)["id"].as_str().unwrap().to_owned();
    let role = their.get("/roles").await.expect(200)["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rank = their
        .post("/reference/ranks", &json!({"name": "Battalion Chief"}))
        .await;
    let rank = rank.expect(201)["id"].as_str().unwrap().to_owned();
    let (browser, csrf) = org.admin().await;
    let csrf = csrf.as_str();
    // Their objects are not found here, read or written.
    assert_eq!(browser.get(&format!("/console/roles/{role}")).await.0, 404);
    assert_eq!(
        browser
            .get(&format!("/console/org/hierarchy/{group}"))
            .await
            .0,
        404
    );
    let (status, html) = browser
        .get(&format!("/console/org/tree?node={station}"))
        .await;
    assert_eq!(status, 200);
    assert!(!html.contains("Station 9"));
    for (path, form) in [
        (
            format!("/console/org/tree/nodes/{station}"),
            vec![("name", "Mine now")],
        ),
        (
            format!("/console/org/tree/nodes/{station}/delete"),
            vec![("confirm", "1")],
        ),
        (
            format!("/console/org/hierarchy/{group}"),
            vec![("name", "Mine now")],
        ),
        (format!("/console/roles/{role}"), vec![("name", "Mine now")]),
        (
            format!("/console/reference/ranks/{rank}"),
            vec![("name", "Mine now")],
        ),
        (
            format!("/console/reference/ranks/{rank}/delete"),
            vec![("confirm", "1")],
        ),
    ] {
        let mut form = form;
        form.push(("csrf", csrf));
        let (status, _, _) = browser.post(&path, &form).await;
        assert_eq!(status, 404, "{path}");
    }
    // Adding under their node is refused as an unknown parent, and nothing is created.
    let (status, _, _) = browser
        .post(
            "/console/org/tree/nodes",
            &[
                ("csrf", csrf),
                ("parent_id", station.as_str()),
                ("name", "Annex"),
                ("kind", "Location"),
            ],
        )
        .await;
    assert!(status == 404 || status == 422, "{status}");
    assert_eq!(
        their.get(&format!("/nodes/{station}")).await.expect(200)["name"],
        "Station 9"
    );
    assert_eq!(
        their
            .get(&format!("/command-groups/{group}"))
            .await
            .expect(200)["name"],
        "Battalion Chiefs"
    );
    assert_eq!(
        their
            .get(&format!("/reference/ranks/{rank}"))
            .await
            .expect(200)["name"],
        "Battalion Chief"
    );
    assert_eq!(their.get("/nodes").await.expect(200)["total"], 2);
    // Their audit log and mailbox are not ours.
    let (_, html) = browser.get("/console/audit").await;
    assert!(!html.contains("Station 9") && !html.contains("Battalion"));
}

async fn the_mailbox_shows_messages_and_the_audit_log_pages_back_in_time(backend: Backend) {
    let org = org(backend).await;
    org.api
        .post(
            "/users",
            &json!({"login": "robin", "first_name": "Robin", "last_name": "<b>Reyes</b>",
                    "email": "robin@example.com", "generate_password": true,
                    "send_notification": true,
                    "placements": [{"node_id": org.root, "role_id": org.employee_role}]}),
        )
        .await
        .expect(201);
    for i in 0..30 {
        org.api
            .post("/reference/units", &json!({"name": format!("Unit {i:02}")}))
            .await
            .expect(201);
    }
    let (browser, _) = org.admin().await;
    let (status, html) = browser.get("/console/mailbox").await;
    assert_eq!(status, 200);
    assert!(html.contains("robin@example.com"));
    assert!(html.contains("Queued"));
    assert!(html.contains("<pre class=\"message\">"));
    assert!(!html.contains("<b>Reyes"));
    let (status, html) = browser.get("/console/mailbox?status=sent").await;
    assert_eq!(status, 200);
    assert!(!html.contains("robin@example.com"));
    assert!(html.contains("No messages."));
    let (status, html) = browser.get("/console/mailbox?status=lost").await;
    assert_eq!(status, 422);
    assert!(html.contains("Must be one of: queued, sent, failed"));

    // 30 units, the user and the organization: newest first, 25 a page.
    let (_, html) = browser.get("/console/audit").await;
    let total = org.api.get("/audit?limit=1").await.expect(200)["total"]
        .as_i64()
        .unwrap();
    assert!(total >= 32);
    assert!(html.contains(&format!("1\u{2013}25 of {total}")), "{html}");
    assert!(html.contains("<ins>Unit 29</ins>"));
    assert!(!html.contains("<ins>Unit 00</ins>"));
    let marker = "href=\"/console/audit?cursor=";
    let at = html.find(marker).expect("an Older link") + "href=\"".len();
    let older = html[at..at + html[at..].find('"').unwrap()]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let (status, html) = browser.get(&older).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("26\u{2013}{total} of {total}")),
        "{html}"
    );
    assert!(html.contains("<ins>Unit 00</ins>"));
    assert!(html.contains("\u{ab} Newest"));
}
