//! The web console over HTTP: sign-in redirects, CSRF refusal, escaping, security headers
//! and scope — through the real server, on both backends. (Browser tests of the same
//! pages live in `e2e/`.)

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use muster_testkit::{Backend, TestApp, on_both_backends};
use reqwest::redirect::Policy;
use serde_json::{Value, json};

use crate::spawn;

on_both_backends!(
    pages_redirect_to_sign_in_without_a_session,
    forms_without_the_csrf_token_are_refused_and_change_nothing,
    names_are_escaped_and_pages_carry_a_strict_policy,
    a_division_administrator_lists_only_their_division,
);

const PASSWORD: &str = "Console-Test-Password-42";

/// A browser-like client: keeps cookies (a small jar of its own), does not follow
/// redirects.
#[derive(Clone)]
pub(crate) struct Browser {
    client: reqwest::Client,
    jar: Arc<Mutex<BTreeMap<String, String>>>,
}

/// A request being built, sent through the browser's jar.
pub(crate) struct Pending {
    browser: Browser,
    request: reqwest::RequestBuilder,
}

impl Browser {
    pub(crate) fn get(&self, url: String) -> Pending {
        self.with(self.client.get(url))
    }

    pub(crate) fn post(&self, url: String) -> Pending {
        self.with(self.client.post(url))
    }

    fn with(&self, request: reqwest::RequestBuilder) -> Pending {
        let cookies: Vec<String> = self
            .jar
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let request = if cookies.is_empty() {
            request
        } else {
            request.header("Cookie", cookies.join("; "))
        };
        Pending {
            browser: self.clone(),
            request,
        }
    }
}

impl Pending {
    pub(crate) fn header(self, name: &str, value: impl Into<String>) -> Self {
        Self {
            request: self.request.header(name, value.into()),
            browser: self.browser,
        }
    }

    pub(crate) fn form<K: AsRef<str>, V: AsRef<str>>(self, form: &[(K, V)]) -> Self {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
            .finish();
        Self {
            request: self
                .request
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body),
            browser: self.browser,
        }
    }

    /// Sends `body` as it is, with `content_type` (an upload's multipart body).
    pub(crate) fn body(self, content_type: &str, body: Vec<u8>) -> Self {
        Self {
            request: self.request.header("Content-Type", content_type).body(body),
            browser: self.browser,
        }
    }

    pub(crate) async fn send(self) -> reqwest::Result<reqwest::Response> {
        let reply = self.request.send().await?;
        let mut jar = self.browser.jar.lock().unwrap();
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
        drop(jar);
        Ok(reply)
    }
}

pub(crate) fn browser() -> Browser {
    muster_testkit::install_tls_provider();
    Browser {
        client: reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap(),
        jar: Arc::default(),
    }
}

/// The value of the hidden `csrf` field of a page.
pub(crate) fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("the page has a csrf field");
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
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
    async fn user(&self, login: &str, last: &str, node: &str, role: &str, extra: Value) -> String {
        let mut body = json!({
            "login": login, "first_name": "Pat", "last_name": last, "password": PASSWORD,
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

    /// Signs `login` in through the console's form; returns the client and a CSRF token.
    async fn sign_in(&self, login: &str) -> (Browser, String) {
        sign_in(&self.app, &self.slug, login, PASSWORD).await
    }

    async fn page(&self, client: &Browser, path: &str) -> (u16, String) {
        let reply = client.get(self.app.url(path)).send().await.unwrap();
        (reply.status().as_u16(), reply.text().await.unwrap())
    }
}

/// Signs `login` of organization `slug` in through the console's form; returns the
/// client and a CSRF token.
pub(crate) async fn sign_in(
    app: &TestApp,
    slug: &str,
    login: &str,
    password: &str,
) -> (Browser, String) {
    let client = browser();
    let page = client
        .get(app.url("/console/sign-in"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csrf = csrf_of(&page.text().await.unwrap());
    let reply = client
        .post(app.url("/console/sign-in"))
        .header("Origin", app.base_url.clone())
        .form(&[
            ("csrf", csrf.as_str()),
            ("org", slug),
            ("login", login),
            ("method", "password"),
            ("secret", password),
            ("next", "/console/users"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 303, "{}", reply.text().await.unwrap());
    (client, csrf)
}

async fn pages_redirect_to_sign_in_without_a_session(backend: Backend) {
    let org = org(backend).await;
    let client = browser();
    let reply = client
        .get(org.app.url("/console/users?q=a"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 303);
    assert_eq!(
        reply.headers()["location"],
        "/console/sign-in?next=%2Fconsole%2Fusers%3Fq%3Da"
    );
    let root = client.get(org.app.url("/")).send().await.unwrap();
    assert!(root.status().is_redirection());
    // A stale cookie is no session either.
    let reply = browser()
        .get(org.app.url("/console/users"))
        .header("Cookie", "muster_session=mss_not_a_session")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 303);
    // The sign-in page only sends people on to console addresses.
    let (status, html) = org
        .page(&client, "/console/sign-in?next=https://evil.example/")
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("name=\"next\" value=\"/console\""));
}

async fn forms_without_the_csrf_token_are_refused_and_change_nothing(backend: Backend) {
    let org = org(backend).await;
    org.user(
        "casey",
        "Holloway",
        &org.root,
        &org.employee_role,
        json!({"is_org_admin": true}),
    )
    .await;
    let (client, csrf) = org.sign_in("casey").await;
    let origin = org.app.base_url.clone();
    // Without the field, and with another token: refused, still signed in.
    for form in [vec![], vec![("csrf".to_owned(), "0".repeat(64))]] {
        let reply = client
            .post(org.app.url("/console/sign-out"))
            .header("Origin", origin.clone())
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 403);
        assert!(
            reply
                .text()
                .await
                .unwrap()
                .contains("This form has expired")
        );
        assert_eq!(org.page(&client, "/console/users").await.0, 200);
    }
    // A sign-in without the cookie's token (another site's form) signs nobody in.
    let stranger = browser();
    let reply = stranger
        .post(org.app.url("/console/sign-in"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("org", org.slug.as_str()),
            ("login", "casey"),
            ("method", "password"),
            ("secret", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 403);
    assert!(
        reply
            .headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("muster_session="))
    );
    // With the token but from another origin: refused by the same-origin check.
    let reply = client
        .post(org.app.url("/console/sign-out"))
        .header("Origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 403);
    assert_eq!(org.page(&client, "/console/users").await.0, 200);
    // With both: signed out.
    let reply = client
        .post(org.app.url("/console/sign-out"))
        .header("Origin", origin)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 303);
    assert_eq!(org.page(&client, "/console/users").await.0, 303);
}

async fn names_are_escaped_and_pages_carry_a_strict_policy(backend: Backend) {
    let org = org(backend).await;
    org.user(
        "casey",
        "Holloway",
        &org.root,
        &org.employee_role,
        json!({"is_org_admin": true}),
    )
    .await;
    org.user(
        "mallory",
        "<script>alert(1)</script>",
        &org.root,
        &org.employee_role,
        json!({"first_name": "\"><img src=x onerror=alert(2)>"}),
    )
    .await;
    let (client, _) = org.sign_in("casey").await;
    let reply = client
        .get(org.app.url("/console/users?q=mallory"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let csp = reply.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("style-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(reply.headers()["x-content-type-options"], "nosniff");
    let html = reply.text().await.unwrap();
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<img src=x"));
    // No inline script or style anywhere: the only script is the static file.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("<script src=\"/console/static/app.js\" defer></script>"));
    assert!(!html.contains("style="));
    // The search term is escaped too.
    let (_, html) = org
        .page(&client, "/console/users?q=%22%3E%3Cb%3Ebold")
        .await;
    assert!(!html.contains("<b>bold"));
}

async fn a_division_administrator_lists_only_their_division(backend: Backend) {
    let org = org(backend).await;
    let node = |name: &str, kind: &str, parent: String| {
        let api = org.api.clone();
        let body = json!({"name": name, "kind": kind, "parent_id": parent});
        async move {
            api.post("/nodes", &body).await.expect(201)["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let north = node("North", "Region", org.root.clone()).await;
    let south = node("South", "Region", org.root.clone()).await;
    let role = org
        .api
        .post(
            "/roles",
            &json!({"name": "Regional Administrator", "assignable_at": ["Region"],
                    "capabilities": ["users.view", "users.edit"]}),
        )
        .await;
    let role = role.expect(201)["id"].as_str().unwrap().to_owned();
    org.user("regadmin", "Admin", &north, &role, json!({}))
        .await;
    org.user(
        "northone",
        "Northerner",
        &north,
        &org.employee_role,
        json!({}),
    )
    .await;
    org.user(
        "southone",
        "Southerner",
        &south,
        &org.employee_role,
        json!({}),
    )
    .await;
    let (client, _) = org.sign_in("regadmin").await;
    let (status, html) = org.page(&client, "/console/users").await;
    assert_eq!(status, 200);
    assert!(html.contains("Northerner"));
    assert!(!html.contains("Southerner"));
    assert!(html.contains("1\u{2013}2 of 2"), "{html}");
}
