//! Signing in and out, sessions, lockout, rate limits, the password policy, `/me`, login
//! activity and API tokens.
#![allow(clippy::too_many_lines)] // Scenario tests read best top to bottom.

use muster_domain::UserId;
use muster_store::DbTime;
use muster_testkit::{Api, Backend, OrgFixture, Reply, TestApp, on_both_backends};
use reqwest::Method;
use serde_json::{Value, json};

use crate::spawn;

on_both_backends!(
    password_and_pin_users_sign_in_by_slug_or_name,
    none_and_inactive_users_cannot_sign_in,
    unknown_organizations_logins_and_wrong_passwords_get_the_same_answer,
    repeated_failures_lock_a_user_out_until_an_administrator_unbans_them,
    a_lockout_with_a_release_time_ends_by_itself,
    too_many_attempts_are_rate_limited_with_retry_after,
    sessions_end_on_logout_password_change_ban_and_delete,
    a_forced_password_change_blocks_everything_else_until_done,
    the_password_policy_says_what_is_wrong,
    the_session_cookie_works_and_cross_site_writes_are_refused,
    me_shows_capabilities_and_the_current_location_can_be_chosen,
    login_activity_lists_every_attempt_newest_first,
    api_tokens_never_carry_more_than_their_creator_holds,
);

/// A password every policy check accepts for the users below.
const PASSWORD: &str = "tangerine submarine waltz";
/// Another one.
const NEW_PASSWORD: &str = "velvet thunder orchard";

/// An organization with Root > North (Region) > Ops (Division), Root > South (Region),
/// and the id of its "Employee" role (no capabilities).
struct World {
    app: TestApp,
    org: OrgFixture,
    api: Api,
    employee_role: String,
    north: String,
    ops: String,
    south: String,
}

async fn world(backend: Backend) -> World {
    let app = spawn(backend).await;
    let org = app.init_org("Bay City Fire", "chief").await;
    let api = app.api(&org);
    let roles = api.get("/roles").await;
    let employee_role = roles.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Employee")
        .map(|r| str_of(&r["id"]))
        .unwrap();
    let node = |name: &str, kind: &str, parent: String| {
        let api = api.clone();
        let body = json!({"name": name, "kind": kind, "parent_id": parent});
        async move { str_of(&api.post("/nodes", &body).await.expect(201)["id"]) }
    };
    let north = node("North", "Region", org.root_node_id.clone()).await;
    let ops = node("Ops", "Division", north.clone()).await;
    let south = node("South", "Region", org.root_node_id.clone()).await;
    World {
        app,
        org,
        api,
        employee_role,
        north,
        ops,
        south,
    }
}

fn str_of(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

impl World {
    /// Creates a user at the root with the Employee role; `extra` adds or overrides
    /// fields (a `password` user with [`PASSWORD`] by default). Returns the id.
    async fn user(&self, login: &str, extra: Value) -> String {
        let mut body = json!({
            "login": login,
            "first_name": "Jordan",
            "last_name": "Reyes",
            "password": PASSWORD,
            "placements": [{"node_id": self.org.root_node_id, "role_id": self.employee_role}],
        });
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        str_of(&self.api.post("/users", &body).await.expect(201)["id"])
    }

    /// `POST /auth/login` with `credential` (`{"password": …}` or `{"pin": …}`).
    async fn login(&self, login: &str, credential: Value) -> Reply {
        let mut body = json!({"org": self.org.slug, "login": login});
        for (key, value) in credential.as_object().unwrap() {
            body[key] = value.clone();
        }
        anonymous(&self.app, Method::POST, "/auth/login", Some(&body), &[]).await
    }

    /// Signs in with [`PASSWORD`] and returns an API client using the session token.
    async fn session(&self, login: &str) -> Api {
        self.session_with(login, PASSWORD).await
    }

    async fn session_with(&self, login: &str, password: &str) -> Api {
        let reply = self.login(login, json!({"password": password})).await;
        Api::new(&self.app, &str_of(&reply.expect(200)["token"]))
    }

    async fn status_of(&self, id: &str) -> String {
        str_of(&self.api.get(&format!("/users/{id}")).await.expect(200)["status"])
    }
}

/// Sends a request without a bearer token, with `headers`.
async fn anonymous(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut request = app
        .client
        .request(method, app.url(&format!("/api/v1{path}")));
    if let Some(body) = body {
        request = request.json(body);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    Reply {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// Asserts the uniform answer to a refused sign-in.
#[track_caller]
fn assert_refused(reply: &Reply) {
    assert_eq!(reply.status, 401, "{:#}", reply.body);
    assert_eq!(
        reply.body["type"],
        "https://muster.dev/problems/invalid-credentials"
    );
    assert_eq!(
        reply.body["detail"],
        "the organization, login or password is wrong"
    );
}

/// Asserts a problem document of this status and type.
#[track_caller]
fn expect_type(reply: &Reply, status: u16, slug: &str) {
    reply.expect(status);
    assert_eq!(reply.content_type(), "application/problem+json");
    assert_eq!(
        reply.body["type"],
        format!("https://muster.dev/problems/{slug}"),
        "{:#}",
        reply.body
    );
}

/// The audit events with `action` about user `id`.
async fn audit_events(api: &Api, action: &str, id: &str) -> Vec<Value> {
    let reply = api
        .get(&format!("/audit?action={action}&target_id={id}&limit=500"))
        .await;
    reply.expect(200)["items"].as_array().unwrap().clone()
}

async fn password_and_pin_users_sign_in_by_slug_or_name(backend: Backend) {
    let w = world(backend).await;
    let ada = w.user("ada", json!({})).await;
    let kiosk = w
        .user(
            "kiosk7",
            json!({"login_kind": "pin", "password": null, "pin": "482913"}),
        )
        .await;

    let reply = w.login("  Ada ", json!({"password": PASSWORD})).await;
    let body = reply.expect(200);
    let token = str_of(&body["token"]);
    assert!(token.starts_with("mss_"), "{token}");
    assert_eq!(body["user"]["id"], ada);
    assert_eq!(body["must_change_password"], false);
    let cookie = reply.headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with(&format!("muster_session={token};")),
        "{cookie}"
    );
    for part in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");

    // The session token authenticates API calls as the user.
    let me = Api::new(&w.app, &token).get("/me").await;
    assert_eq!(me.expect(200)["user"]["id"], ada);
    assert!(w.api.get(&format!("/users/{ada}")).await.expect(200)["last_login_at"].is_string());

    // The organization's name works too, in any case; TLS behind a proxy marks the
    // cookie Secure.
    let by_name = anonymous(
        &w.app,
        Method::POST,
        "/auth/login",
        Some(&json!({"org": "BAY CITY fire", "login": "ada", "password": PASSWORD})),
        &[("x-forwarded-proto", "https")],
    )
    .await;
    by_name.expect(200);
    assert!(
        by_name.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );

    // PIN users sign in with their PIN, never with a password; password users never
    // with a PIN.
    let pin = w.login("kiosk7", json!({"pin": "482913"})).await;
    assert_eq!(pin.expect(200)["user"]["id"], kiosk);
    assert_refused(&w.login("kiosk7", json!({"password": "482913"})).await);
    assert_refused(&w.login("ada", json!({"pin": "482913"})).await);
    assert_refused(&w.login("kiosk7", json!({"pin": "000000"})).await);

    // Exactly one of password and PIN.
    w.login("ada", json!({}))
        .await
        .expect_problem(422, "password");
    w.login("ada", json!({"password": PASSWORD, "pin": "1234"}))
        .await
        .expect_problem(422, "pin");
}

async fn none_and_inactive_users_cannot_sign_in(backend: Backend) {
    let w = world(backend).await;
    w.user("clerk", json!({"login_kind": "none", "password": null}))
        .await;
    let off = w.user("off", json!({})).await;
    let retired = w.user("retired", json!({})).await;
    w.api
        .post(&format!("/users/{off}/deactivate"), &json!({}))
        .await
        .expect(200);
    w.api
        .post(&format!("/users/{retired}/ban"), &json!({}))
        .await
        .expect(200);

    assert_refused(&w.login("clerk", json!({"password": PASSWORD})).await);
    assert_refused(&w.login("off", json!({"password": PASSWORD})).await);
    assert_refused(&w.login("retired", json!({"password": PASSWORD})).await);

    // Reactivated, the same password works again.
    w.api
        .post(&format!("/users/{off}/reactivate"), &json!({}))
        .await
        .expect(200);
    w.login("off", json!({"password": PASSWORD}))
        .await
        .expect(200);

    let outcomes = |id: String| {
        let api = w.api.clone();
        async move {
            let reply = api.get(&format!("/users/{id}/login-activity")).await;
            reply.expect(200)["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| str_of(&a["outcome"]))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(outcomes(off).await, ["success", "inactive"]);
    assert_eq!(outcomes(retired).await, ["locked"]);
}

async fn unknown_organizations_logins_and_wrong_passwords_get_the_same_answer(backend: Backend) {
    let w = world(backend).await;
    w.user("ada", json!({})).await;
    let attempts = [
        json!({"org": "no-such-org", "login": "ada", "password": PASSWORD}),
        json!({"org": w.org.slug, "login": "nobody", "password": PASSWORD}),
        json!({"org": w.org.slug, "login": "ada", "password": "a wrong password entirely"}),
    ];
    let mut answers = Vec::new();
    for body in &attempts {
        let reply = anonymous(&w.app, Method::POST, "/auth/login", Some(body), &[]).await;
        assert_refused(&reply);
        assert!(reply.headers.get("set-cookie").is_none());
        answers.push((reply.status, reply.content_type(), reply.body));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[1], answers[2]);
}

async fn repeated_failures_lock_a_user_out_until_an_administrator_unbans_them(backend: Backend) {
    let w = world(backend).await;
    w.api
        .patch("/settings", &json!({"lockout_threshold": 3}), None)
        .await
        .expect(200);
    let ada = w.user("ada", json!({})).await;

    for _ in 0..2 {
        assert_refused(
            &w.login("ada", json!({"password": "not the password"}))
                .await,
        );
    }
    assert_eq!(w.status_of(&ada).await, "active");
    // A success resets the count.
    let earlier = w.session("ada").await;
    for _ in 0..2 {
        assert_refused(
            &w.login("ada", json!({"password": "not the password"}))
                .await,
        );
    }
    assert_eq!(w.status_of(&ada).await, "active");
    assert_refused(
        &w.login("ada", json!({"password": "not the password"}))
            .await,
    );
    assert_eq!(w.status_of(&ada).await, "banned");

    // Banned: the right password is refused too, and earlier sessions are over.
    assert_refused(&w.login("ada", json!({"password": PASSWORD})).await);
    assert_eq!(earlier.get("/me").await.status, 401);

    let bans = audit_events(&w.api, "user.ban", &ada).await;
    assert_eq!(bans.len(), 1, "{bans:#?}");
    assert_eq!(bans[0]["actor"]["kind"], "system");
    assert_eq!(
        bans[0]["changes"]["reason"]["after"],
        "too many failed sign-ins"
    );
    assert_eq!(bans[0]["changes"]["status"]["after"], "banned");

    // Without a release time only an administrator lets the user in again; the count
    // starts over.
    w.api
        .post(&format!("/users/{ada}/unban"), &json!({}))
        .await
        .expect(200);
    for _ in 0..2 {
        assert_refused(
            &w.login("ada", json!({"password": "not the password"}))
                .await,
        );
    }
    assert_eq!(w.status_of(&ada).await, "active");
    w.login("ada", json!({"password": PASSWORD}))
        .await
        .expect(200);
}

async fn a_lockout_with_a_release_time_ends_by_itself(backend: Backend) {
    let w = world(backend).await;
    w.api
        .patch(
            "/settings",
            &json!({"lockout_threshold": 3, "lockout_release_minutes": 15}),
            None,
        )
        .await
        .expect(200);
    let ada = w.user("ada", json!({})).await;
    for _ in 0..3 {
        assert_refused(
            &w.login("ada", json!({"password": "not the password"}))
                .await,
        );
    }
    assert_eq!(w.status_of(&ada).await, "banned");
    let ban = &audit_events(&w.api, "user.ban", &ada).await[0];
    assert!(
        ban["changes"]["banned_until"]["after"].is_string(),
        "{ban:#}"
    );

    // Before the time is up: still locked out.
    assert_refused(&w.login("ada", json!({"password": PASSWORD})).await);
    assert_eq!(w.status_of(&ada).await, "banned");

    // Fifteen minutes later (moved into the past, since a test cannot wait).
    let store = w.app.store().await;
    let mut tx = store.begin().await.unwrap();
    let past = DbTime::new(DbTime::now().get() - std::time::Duration::from_mins(1));
    muster_store::sign_in::set_banned_until(&mut tx, ada.parse::<UserId>().unwrap(), past)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    store.close().await;

    w.login("ada", json!({"password": PASSWORD}))
        .await
        .expect(200);
    assert_eq!(w.status_of(&ada).await, "active");
    let unbans = audit_events(&w.api, "user.unban", &ada).await;
    assert_eq!(unbans.len(), 1, "{unbans:#?}");
    assert_eq!(unbans[0]["actor"]["kind"], "system");

    // An administrator's ban is never lifted by time.
    w.api
        .post(&format!("/users/{ada}/ban"), &json!({"reason": "audit"}))
        .await
        .expect(200);
    assert_refused(&w.login("ada", json!({"password": PASSWORD})).await);
    assert_eq!(w.status_of(&ada).await, "banned");
}

async fn too_many_attempts_are_rate_limited_with_retry_after(backend: Backend) {
    let w = world(backend).await;
    let ada = w.user("ada", json!({})).await;
    for _ in 0..10 {
        let reply = w.login("ada", json!({"password": PASSWORD})).await;
        reply.expect(200);
    }
    let limited = w.login("ADA", json!({"password": PASSWORD})).await;
    limited.expect(429);
    assert_eq!(limited.content_type(), "application/problem+json");
    assert_eq!(
        limited.body["type"],
        "https://muster.dev/problems/rate-limited"
    );
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(limited.headers.get("set-cookie").is_none());

    // Another login from the same address still gets through (per-login limit)…
    w.user("bea", json!({})).await;
    w.login("bea", json!({"password": PASSWORD}))
        .await
        .expect(200);

    // …and the refused attempt is on record.
    let activity = w.api.get(&format!("/users/{ada}/login-activity")).await;
    let newest = &activity.expect(200)["items"][0];
    assert_eq!(newest["outcome"], "rate_limited");
}

async fn sessions_end_on_logout_password_change_ban_and_delete(backend: Backend) {
    let w = world(backend).await;
    let ada = w.user("ada", json!({})).await;

    // Logout ends that session only.
    let first = w.session("ada").await;
    let second = w.session("ada").await;
    let reply = first.post("/auth/logout", &json!({})).await;
    reply.expect(204);
    let cleared = reply.headers["set-cookie"].to_str().unwrap();
    assert!(cleared.contains("muster_session=;") && cleared.contains("Max-Age=0"));
    assert_eq!(first.get("/me").await.status, 401);
    second.get("/me").await.expect(200);

    // Changing one's password ends the other sessions, not the one that changed it.
    let third = w.session("ada").await;
    second
        .post(
            "/auth/password",
            &json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        )
        .await
        .expect(204);
    assert_eq!(third.get("/me").await.status, 401);
    second.get("/me").await.expect(200);
    assert_refused(&w.login("ada", json!({"password": PASSWORD})).await);
    let fourth = w.session_with("ada", NEW_PASSWORD).await;

    // An administrator setting the password ends them all.
    w.api
        .patch(
            &format!("/users/{ada}"),
            &json!({"password": PASSWORD}),
            None,
        )
        .await
        .expect(200);
    assert_eq!(second.get("/me").await.status, 401);
    assert_eq!(fourth.get("/me").await.status, 401);

    // A ban ends them; an un-ban does not bring them back.
    let fifth = w.session("ada").await;
    w.api
        .post(&format!("/users/{ada}/ban"), &json!({}))
        .await
        .expect(200);
    assert_eq!(fifth.get("/me").await.status, 401);
    w.api
        .post(&format!("/users/{ada}/unban"), &json!({}))
        .await
        .expect(200);
    assert_eq!(fifth.get("/me").await.status, 401);

    // Delete ends them.
    let sixth = w.session("ada").await;
    sixth.get("/me").await.expect(200);
    w.api
        .delete(&format!("/users/{ada}"), None)
        .await
        .expect(204);
    assert_eq!(sixth.get("/me").await.status, 401);
    assert_refused(&w.login("ada", json!({"password": PASSWORD})).await);

    // An API token has no session to end.
    let reply = w.api.post("/auth/logout", &json!({})).await;
    expect_type(&reply, 409, "only-for-sessions");

    // Nonsense and missing credentials are 401.
    assert_eq!(
        Api::new(&w.app, "mss_nonsense").get("/me").await.status,
        401
    );
    assert_eq!(
        anonymous(&w.app, Method::GET, "/me", None, &[])
            .await
            .status,
        401
    );
}

async fn a_forced_password_change_blocks_everything_else_until_done(backend: Backend) {
    let w = world(backend).await;
    let ada = w.user("ada", json!({"must_change_password": true})).await;
    let reply = w.login("ada", json!({"password": PASSWORD})).await;
    assert_eq!(reply.expect(200)["must_change_password"], true);
    let session = Api::new(&w.app, &str_of(&reply.body["token"]));

    for (method, path) in [
        (Method::GET, "/users".to_owned()),
        (Method::GET, format!("/users/{ada}")),
        (Method::GET, "/tokens".to_owned()),
        (Method::PATCH, "/settings".to_owned()),
    ] {
        let body = (method != Method::GET).then(|| json!({}));
        let refused = session.send(method, &path, body.as_ref(), None).await;
        refused.expect(403);
        assert_eq!(
            refused.body["type"], "https://muster.dev/problems/password-change-required",
            "{path}"
        );
    }
    let me = session.get("/me").await;
    assert_eq!(me.expect(200)["user"]["must_change_password"], true);

    // A wrong current password is a 403 of its own.
    let wrong = session
        .post(
            "/auth/password",
            &json!({"current_password": "not it at all", "new_password": NEW_PASSWORD}),
        )
        .await;
    wrong.expect(403);
    assert_eq!(
        wrong.body["type"],
        "https://muster.dev/problems/wrong-password"
    );

    session
        .post(
            "/auth/password",
            &json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        )
        .await
        .expect(204);
    // No longer blocked by the password change; an employee without administrative
    // capabilities sees only themself in the user list and cannot administer.
    session.get("/me").await.expect(200);
    let listed = session.get("/users").await;
    assert_eq!(listed.expect(200)["total"], 1);
    assert_eq!(listed.body["items"][0]["id"], ada.as_str());
    session
        .get("/audit")
        .await
        .expect_problem_type(403, "forbidden");
    let profile = w.api.get(&format!("/users/{ada}")).await;
    assert_eq!(profile.expect(200)["must_change_password"], false);

    let changes = audit_events(&w.api, "user.password_change", &ada).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["actor"]["kind"], "user");
    assert_eq!(
        changes[0]["changes"],
        json!({"password": {"before": "***", "after": "***"},
               "must_change_password": {"before": true, "after": false}})
    );

    // Until then, logging out was allowed too.
    let other = w.session_with("ada", NEW_PASSWORD).await;
    other.post("/auth/logout", &json!({})).await.expect(204);
}

async fn the_password_policy_says_what_is_wrong(backend: Backend) {
    let w = world(backend).await;
    w.api
        .patch("/settings", &json!({"password_min_length": 12}), None)
        .await
        .expect(200);
    let ada = w
        .user("ada.king", json!({"email": "countess@bayfire.gov"}))
        .await;
    let session = w.session("ada.king").await;
    let cases = [
        ("short pass", "must be at least 12 characters"),
        ("password1234", "is too easy to guess"),
        ("qwertyuiopasdf", "is too easy to guess"),
        ("my ADA.KING phrase", "must not contain the login"),
        ("reyes forever and ever", "must not contain the last name"),
        (
            "the countess of numbers",
            "must not contain the email address",
        ),
        (PASSWORD, "must differ from the current password"),
    ];
    for (password, message) in cases {
        let reply = session
            .post(
                "/auth/password",
                &json!({"current_password": PASSWORD, "new_password": password}),
            )
            .await;
        reply.expect_problem(422, "new_password");
        let text = str_of(&reply.body["errors"][0]["message"]);
        assert!(text.starts_with(message), "{password}: {text}");
    }
    // Nothing changed: the old password still works.
    w.login("ada.king", json!({"password": PASSWORD}))
        .await
        .expect(200);

    // The same policy applies when an administrator sets a password.
    let weak = w
        .api
        .post(
            "/users",
            &json!({"login": "bea", "first_name": "Bea", "last_name": "Moss",
                    "password": "password1234",
                    "placements": [{"node_id": w.org.root_node_id, "role_id": w.employee_role}]}),
        )
        .await;
    weak.expect_problem(422, "password");
    assert!(str_of(&weak.body["errors"][0]["message"]).starts_with("is too easy to guess"));
    let patched = w
        .api
        .patch(
            &format!("/users/{ada}"),
            &json!({"password": "ada.king!!12345"}),
            None,
        )
        .await;
    patched.expect_problem(422, "password");
    assert_eq!(
        patched.body["errors"][0]["message"],
        "must not contain the login"
    );
}

async fn the_session_cookie_works_and_cross_site_writes_are_refused(backend: Backend) {
    let w = world(backend).await;
    // Ada manages API tokens (the write this test makes through the cookie).
    let integrations = w
        .api
        .post(
            "/roles",
            &json!({"name": "Integrations", "assignable_at": ["Organization"],
                    "capabilities": ["tokens.manage"], "preset": "custom"}),
        )
        .await;
    let role = str_of(&integrations.expect(201)["id"]);
    let ada = w
        .user(
            "ada",
            json!({"placements": [{"node_id": w.org.root_node_id, "role_id": role}]}),
        )
        .await;
    let reply = w.login("ada", json!({"password": PASSWORD})).await;
    let token = str_of(&reply.expect(200)["token"]);
    let cookie = format!("muster_session={token}");
    let host = w.app.base_url.trim_start_matches("http://").to_owned();
    let origin = w.app.base_url.clone();

    let me = anonymous(&w.app, Method::GET, "/me", None, &[("cookie", &cookie)]).await;
    assert_eq!(me.expect(200)["user"]["id"], ada);

    // A write authenticated by the cookie needs this site's Origin.
    let body = json!({"name": "Cookie token", "capabilities": []});
    for headers in [
        vec![("cookie", cookie.as_str())],
        vec![
            ("cookie", cookie.as_str()),
            ("origin", "https://evil.example"),
        ],
        vec![("cookie", cookie.as_str()), ("origin", "null")],
    ] {
        let refused = anonymous(&w.app, Method::POST, "/tokens", Some(&body), &headers).await;
        refused.expect(403);
        assert_eq!(
            refused.body["type"],
            "https://muster.dev/problems/cross-site-request"
        );
    }
    let listed = w.api.get("/tokens").await;
    assert_eq!(listed.expect(200)["total"], 1, "nothing was created");
    let allowed = anonymous(
        &w.app,
        Method::POST,
        "/tokens",
        Some(&body),
        &[("cookie", &cookie), ("origin", &origin), ("host", &host)],
    )
    .await;
    allowed.expect(201);

    // With a bearer token no Origin is needed.
    Api::new(&w.app, &token)
        .post("/tokens", &body)
        .await
        .expect(201);

    // Logging out through the cookie clears it; the cookie then no longer works.
    anonymous(
        &w.app,
        Method::POST,
        "/auth/logout",
        None,
        &[("cookie", &cookie), ("origin", &origin)],
    )
    .await
    .expect(204);
    let after = anonymous(&w.app, Method::GET, "/me", None, &[("cookie", &cookie)]).await;
    assert_eq!(after.status, 401);
}

async fn me_shows_capabilities_and_the_current_location_can_be_chosen(backend: Backend) {
    let w = world(backend).await;
    // The administrator, through a session: every capability, at the root.
    let chief = w
        .api
        .patch(
            &format!("/users/{}", w.org.admin_id),
            &json!({"password": PASSWORD, "must_change_password": false}),
            None,
        )
        .await;
    chief.expect(200);
    let admin = w.session("chief").await;
    let me = admin.get("/me").await;
    let body = me.expect(200);
    assert_eq!(body["is_org_admin"], true);
    assert_eq!(body["user"]["id"], w.org.admin_id);
    assert_eq!(body["current_node_id"], w.org.root_node_id);
    assert_eq!(body["capabilities"].as_array().unwrap().len(), 15);

    // A clerk placed at North with a role of two capabilities.
    let clerk_role = w
        .api
        .post(
            "/roles",
            &json!({"name": "Clerk", "assignable_at": ["Region", "Division"],
                    "capabilities": ["users.view", "audit.view"], "preset": "custom"}),
        )
        .await;
    let clerk_role = str_of(&clerk_role.expect(201)["id"]);
    w.user(
        "clerk",
        json!({"placements": [{"node_id": w.north, "role_id": clerk_role}]}),
    )
    .await;
    let clerk = w.session("clerk").await;
    let me = clerk.get("/me").await;
    let body = me.expect(200);
    assert_eq!(body["is_org_admin"], false);
    assert_eq!(body["capabilities"], json!(["users.view", "audit.view"]));
    assert_eq!(body["current_node_id"], w.north);

    // Below a placement: yes. Beside or above it, or nowhere: no.
    let moved = clerk
        .put("/me/current-location", &json!({"node_id": w.ops}))
        .await;
    assert_eq!(moved.expect(200)["current_node_id"], w.ops);
    assert_eq!(clerk.get("/me").await.body["current_node_id"], w.ops);
    for node in [&w.south, &w.org.root_node_id, &UserId::new().to_string()] {
        clerk
            .put("/me/current-location", &json!({"node_id": node}))
            .await
            .expect_problem(422, "node_id");
    }
    assert_eq!(clerk.get("/me").await.body["current_node_id"], w.ops);

    // API tokens have no current location.
    let reply = w
        .api
        .put(
            "/me/current-location",
            &json!({"node_id": w.org.root_node_id}),
        )
        .await;
    expect_type(&reply, 409, "only-for-sessions");
    let me = w.api.get("/me").await;
    assert_eq!(me.expect(200)["current_node_id"], w.org.root_node_id);
}

async fn login_activity_lists_every_attempt_newest_first(backend: Backend) {
    let w = world(backend).await;
    let ada = w.user("ada", json!({})).await;
    let kiosk = w
        .user(
            "kiosk",
            json!({"login_kind": "pin", "password": null, "pin": "5521"}),
        )
        .await;
    w.login("ada", json!({"password": "wrong, very wrong"}))
        .await;
    anonymous(
        &w.app,
        Method::POST,
        "/auth/login",
        Some(&json!({"org": w.org.slug, "login": "ada", "password": PASSWORD})),
        &[("user-agent", "Field Tablet/2.1")],
    )
    .await
    .expect(200);
    w.login("ada", json!({"pin": "5521"})).await;
    w.login("kiosk", json!({"pin": "5521"})).await.expect(200);

    let reply = w
        .api
        .get(&format!("/users/{ada}/login-activity?limit=2"))
        .await;
    let page = reply.expect(200);
    assert_eq!(page["total"], 3);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["outcome"], "not_allowed");
    assert_eq!(items[0]["method"], "pin");
    assert_eq!(items[1]["outcome"], "success");
    assert_eq!(items[1]["method"], "password");
    assert_eq!(items[1]["user_agent"], "Field Tablet/2.1");
    assert_eq!(items[1]["ip"], "127.0.0.1");
    assert!(items[1]["at"].is_string());
    let cursor = str_of(&page["next_cursor"]);
    let next = w
        .api
        .get(&format!(
            "/users/{ada}/login-activity?limit=2&cursor={cursor}"
        ))
        .await;
    let next = next.expect(200);
    assert_eq!(next["items"].as_array().unwrap().len(), 1);
    assert_eq!(next["items"][0]["outcome"], "bad_credentials");
    assert_eq!(next["next_cursor"], Value::Null);

    let kiosk_activity = w.api.get(&format!("/users/{kiosk}/login-activity")).await;
    assert_eq!(kiosk_activity.expect(200)["total"], 1);
    w.api
        .get(&format!("/users/{}/login-activity", UserId::new()))
        .await
        .expect(404);
}

async fn api_tokens_never_carry_more_than_their_creator_holds(backend: Backend) {
    let w = world(backend).await;
    let role = w
        .api
        .post(
            "/roles",
            &json!({"name": "Clerk", "assignable_at": ["Region"],
                    "capabilities": ["users.view", "tokens.manage"], "preset": "custom"}),
        )
        .await;
    let role = str_of(&role.expect(201)["id"]);
    let clerk_id = w
        .user(
            "clerk",
            json!({"placements": [{"node_id": w.north, "role_id": role}]}),
        )
        .await;
    let clerk = w.session("clerk").await;

    // More than the clerk holds: refused, naming the capability.
    let refused = clerk
        .post(
            "/tokens",
            &json!({"name": "Too much", "capabilities": ["users.view", "users.edit"]}),
        )
        .await;
    refused.expect_problem(422, "capabilities[1]");
    assert!(
        str_of(&refused.body["errors"][0]["message"]).contains("never more than the creator has")
    );
    clerk
        .post("/tokens", &json!({"name": " ", "capabilities": []}))
        .await
        .expect_problem(422, "name");
    clerk
        .post(
            "/tokens",
            &json!({"name": "X", "capabilities": ["no.such"]}),
        )
        .await
        .expect_problem(422, "capabilities[0]");

    // A subset: created, the secret shown once.
    let created = clerk
        .post(
            "/tokens",
            &json!({"name": "Roster sync", "capabilities": ["users.view"]}),
        )
        .await;
    let created = created.expect(201).clone();
    let secret = str_of(&created["secret"]);
    assert!(secret.starts_with("mst_"));
    assert_eq!(created["capabilities"], json!(["users.view"]));
    let id = str_of(&created["id"]);

    let listed = w.api.get("/tokens").await;
    let listed = listed.expect(200);
    assert_eq!(listed["total"], 2);
    assert!(!listed.to_string().contains(&secret));
    let entry = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(entry["name"], "Roster sync");
    assert_eq!(entry["user_id"], clerk_id);
    assert_eq!(entry["last_used_at"], Value::Null);
    assert_eq!(entry["revoked_at"], Value::Null);
    assert!(entry.get("secret").is_none());

    // The token acts as the clerk, limited to what it carries; its use is recorded.
    let token = Api::new(&w.app, &secret);
    let me = token.get("/me").await;
    assert_eq!(me.expect(200)["user"]["id"], clerk_id);
    assert_eq!(me.body["capabilities"], json!(["users.view"]));
    let listed = w.api.get("/tokens").await;
    let used = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap()["last_used_at"]
        .clone();
    assert!(used.is_string(), "{used}");

    // Without `tokens.manage` the token cannot mint tokens.
    let minted = token
        .post("/tokens", &json!({"name": "Copy", "capabilities": []}))
        .await;
    minted.expect(403);

    // Revoked: refused from now on, and audited.
    clerk
        .delete(&format!("/tokens/{id}"), None)
        .await
        .expect(204);
    assert_eq!(token.get("/me").await.status, 401);
    let listed = w.api.get("/tokens").await;
    let revoked = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap()["revoked_at"]
        .clone();
    assert!(revoked.is_string());
    clerk
        .delete(&format!("/tokens/{id}"), None)
        .await
        .expect(204);
    w.api
        .delete(&format!("/tokens/{}", UserId::new()), None)
        .await
        .expect(404);
    let audit = w.api.get(&format!("/audit?target_id={id}")).await;
    let actions: Vec<String> = audit.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| str_of(&e["action"]))
        .collect();
    assert_eq!(actions, ["token.revoke", "token.create"]);
}
