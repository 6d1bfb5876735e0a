//! A generated organization (`muster dev seed`) and the user list at size, on both
//! backends: the seed's consistency, substring search through the trigram indexes within
//! the caller's scope, keyset paging of every sort, and the bounded total.
#![allow(clippy::too_many_lines)] // Scenario tests read best top to bottom.

use std::collections::{BTreeSet, HashMap};

use muster_testkit::{Api, Backend, TestApp, on_both_backends};
use serde_json::{Value, json};

use crate::console::sign_in;
use crate::spawn;

on_both_backends!(
    a_generated_organization_is_consistent_and_serves,
    search_finds_fragments_and_keeps_to_the_callers_scope,
    keyset_paging_walks_every_sort_in_both_orders,
    the_total_is_exact_up_to_the_bound_then_an_estimate,
);

/// Every status a list can show.
const ALL_STATUSES: &str = "status=active,inactive,banned,retired,separated";
/// Users of the generated organization: three locations, two divisions.
const USERS: u64 = 600;

/// A running server with a generated organization.
struct Seeded {
    app: TestApp,
    summary: Value,
    admin: Api,
    division_admin: Api,
}

/// Generates the organization with the server stopped, then starts it again with `env`.
async fn seeded(backend: Backend, env: &[(&str, &str)]) -> Seeded {
    let mut app = spawn(backend).await;
    app.stop().await;
    let out = app
        .muster(&[
            "dev",
            "seed",
            "--users",
            &USERS.to_string(),
            "--org",
            "Generated Agency",
            "--json",
        ])
        .await;
    assert!(out.status.success(), "{}{}", out.stdout, out.stderr);
    let summary: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    app.start_with_env(&[], env).await;
    let admin = Api::new(&app, summary["admin_token"].as_str().unwrap());
    let division_admin = Api::new(&app, summary["division_admin_token"].as_str().unwrap());
    Seeded {
        app,
        summary,
        admin,
        division_admin,
    }
}

impl Seeded {
    /// Restarts the server with `env` (it listens on a new port).
    async fn restart(&mut self, env: &[(&str, &str)]) {
        self.app.stop().await;
        self.app.start_with_env(&[], env).await;
        self.admin = Api::new(&self.app, self.summary["admin_token"].as_str().unwrap());
        self.division_admin = Api::new(
            &self.app,
            self.summary["division_admin_token"].as_str().unwrap(),
        );
    }
}

/// Every item of a list, page by page (`limit` per page).
async fn walk(api: &Api, query: &str, limit: u32) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/users?{query}&limit={limit}");
        if let Some(c) = &cursor {
            path.push_str("&cursor=");
            path.push_str(c);
        }
        let page = api.get(&path).await.expect(200).clone();
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
        assert!(items.len() <= 10_000, "the walk does not end");
    }
}

fn ids(items: &[Value]) -> BTreeSet<String> {
    items
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

fn text(u: &Value, field: &str) -> String {
    u[field].as_str().unwrap_or_default().to_lowercase()
}

/// Whether the search `q` should find `u` (a list item): a substring of "first last",
/// the display name, login, email, default node or role name from three characters on,
/// a prefix of one of them below. (Employee numbers are not in list items: they are
/// `E` and seven digits here, so letter fragments never match one and every one starts
/// with `e0`.)
fn finds(u: &Value, q: &str) -> bool {
    let q = q.to_lowercase();
    let full = format!("{} {}", text(u, "first_name"), text(u, "last_name"));
    let fields = [
        full.clone(),
        text(u, "display_name"),
        text(u, "login"),
        text(u, "email"),
        text(u, "default_node_name"),
        text(u, "default_role_name"),
    ];
    if q.chars().count() >= 3 {
        fields.iter().any(|f| f.contains(&q))
    } else {
        fields.iter().any(|f| f.starts_with(&q))
            || text(u, "last_name").starts_with(&q)
            || "e0".starts_with(&q)
    }
}

async fn a_generated_organization_is_consistent_and_serves(backend: Backend) {
    let s = seeded(backend, &[]).await;
    let summary = &s.summary;
    assert_eq!(summary["users"], json!(USERS));
    let by_status = summary["users_by_status"].as_object().unwrap();
    let counted: u64 = by_status.values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(counted, USERS);
    assert!(by_status["active"].as_u64().unwrap() > USERS / 2);
    assert!(
        by_status.len() >= 3,
        "some users are not active: {by_status:?}"
    );
    assert!(summary["placements"].as_u64().unwrap() >= USERS);
    assert_eq!(summary["locations"], json!(USERS.div_ceil(250)));
    assert!(summary["seconds"].as_f64().unwrap() > 0.0);

    // The list counts what was written, status by status.
    let all = s
        .admin
        .get(&format!("/users?{ALL_STATUSES}&limit=1"))
        .await
        .expect(200)
        .clone();
    assert_eq!(all["total"], json!(USERS));
    assert_eq!(all["total_is_estimate"], json!(false));
    for (status, n) in by_status {
        let page = s
            .admin
            .get(&format!("/users?status={status}&limit=1"))
            .await;
        assert_eq!(page.expect(200)["total"], *n, "{status}");
    }

    // Every user has a default placement, a unique login and an email.
    let users = walk(&s.admin, ALL_STATUSES, 500).await;
    assert_eq!(users.len(), usize::try_from(USERS).unwrap());
    assert_eq!(ids(&users).len(), users.len());
    let logins: BTreeSet<String> = users.iter().map(|u| text(u, "login")).collect();
    assert_eq!(logins.len(), users.len());
    for u in &users {
        assert!(u["default_node_id"].is_string(), "{u}");
        assert!(u["default_role_name"].is_string(), "{u}");
        assert!(text(u, "email").ends_with("@example.org"), "{u}");
    }
    // A profile reads back whole, with its employee number.
    let officer = users
        .iter()
        .find(|u| u["default_role_name"] == "Officer")
        .unwrap();
    let profile = s
        .admin
        .get(&format!("/users/{}", officer["id"].as_str().unwrap()))
        .await
        .expect(200)
        .clone();
    assert!(
        profile["employee_number"]
            .as_str()
            .unwrap()
            .starts_with('E')
    );

    // The division administrator sees exactly the division (their own placement is in
    // it), and the access engine agrees about someone outside it.
    let division = summary["division_id"].as_str().unwrap();
    let in_division = walk(&s.admin, &format!("{ALL_STATUSES}&node_id={division}"), 500).await;
    let visible = walk(&s.division_admin, ALL_STATUSES, 500).await;
    assert_eq!(ids(&visible), ids(&in_division));
    assert!(visible.len() < users.len());
    let outsider = users
        .iter()
        .find(|u| !ids(&visible).contains(u["id"].as_str().unwrap()))
        .unwrap();
    let me = s.division_admin.get("/me").await.expect(200).clone();
    let me_id = me["user"]["id"].as_str().unwrap().to_owned();
    for (target, allowed) in [(outsider, false), (&visible[0], true)] {
        let check = s
            .admin
            .post(
                "/access/check",
                &json!({
                    "subject_id": me_id,
                    "action": "users.view",
                    "resource": {"user_id": target["id"]},
                }),
            )
            .await
            .expect(200)
            .clone();
        assert_eq!(check["allowed"], json!(allowed), "{check}");
    }
    s.division_admin
        .get(&format!("/users/{}", outsider["id"].as_str().unwrap()))
        .await
        .expect(404);

    // The administrators sign in with the printed password.
    let (_browser, page) = sign_in(
        &s.app,
        summary["org_slug"].as_str().unwrap(),
        summary["division_admin_login"].as_str().unwrap(),
        summary["admin_password"].as_str().unwrap(),
    )
    .await;
    assert!(!page.is_empty());

    // A second organization of the same name is refused, and nothing is written.
    let again = s
        .app
        .muster(&["dev", "seed", "--users", "5", "--org", "Generated Agency"])
        .await;
    assert!(!again.status.success());
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
}

async fn search_finds_fragments_and_keeps_to_the_callers_scope(backend: Backend) {
    let s = seeded(backend, &[]).await;
    let users = walk(&s.admin, ALL_STATUSES, 500).await;
    let visible = ids(&walk(&s.division_admin, ALL_STATUSES, 500).await);
    let officer = users
        .iter()
        .find(|u| u["default_role_name"] == "Officer" && text(u, "last_name").len() >= 5)
        .unwrap();
    let last = text(officer, "last_name");
    let first = text(officer, "first_name");
    let login = text(officer, "login");
    let at = login.find('.').unwrap();
    let fragments = [
        // Mid-word in the last name, and in the first name.
        last[1..4].to_owned(),
        first[first.len().saturating_sub(3)..].to_owned(),
        // Across the first and last name, as "first last".
        format!("{} {}", &first[first.len() - 2..], &last[..2]),
        // Across the dot of the login, and the email's domain (everyone).
        login[at - 2..at + 3].to_owned(),
        "xample.or".to_owned(),
        // A node name, and a role name.
        "station".to_owned(),
        "fficer".to_owned(),
        // Short queries match prefixes.
        last[..2].to_owned(),
        first[..1].to_owned(),
        // Upper case finds lower case.
        last[1..4].to_uppercase(),
    ];
    for q in &fragments {
        let expected: BTreeSet<String> = users
            .iter()
            .filter(|u| finds(u, q))
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect();
        assert!(!expected.is_empty(), "{q}");
        let query = format!("{ALL_STATUSES}&q={}", urlencode(q));
        let found = walk(&s.admin, &query, 500).await;
        assert_eq!(ids(&found), expected, "q={q}");
        let first_page = s.admin.get(&format!("/users?{query}&limit=5")).await;
        assert_eq!(
            first_page.expect(200)["total"],
            json!(expected.len()),
            "q={q}"
        );
        // The division administrator finds only whom they may see, and counts only them.
        let theirs: BTreeSet<String> = expected.intersection(&visible).cloned().collect();
        let found = walk(&s.division_admin, &query, 500).await;
        assert_eq!(ids(&found), theirs, "q={q} as the division administrator");
        let first_page = s
            .division_admin
            .get(&format!("/users?{query}&limit=5"))
            .await;
        assert_eq!(
            first_page.expect(200)["total"],
            json!(theirs.len()),
            "q={q}"
        );
    }
    // The employee number, from its middle.
    let profile = s
        .admin
        .get(&format!("/users/{}", officer["id"].as_str().unwrap()))
        .await
        .expect(200)
        .clone();
    let number = profile["employee_number"].as_str().unwrap();
    let found = walk(&s.admin, &format!("{ALL_STATUSES}&q={}", &number[2..]), 500).await;
    assert_eq!(
        ids(&found),
        BTreeSet::from([officer["id"].as_str().unwrap().to_owned()])
    );
    // Nothing matches nonsense, and quotes or LIKE wildcards are plain text.
    for q in ["zzqqxx", "\"sta", "st%ion", "o_b"] {
        let page = s
            .admin
            .get(&format!("/users?{ALL_STATUSES}&q={}", urlencode(q)))
            .await;
        assert_eq!(page.expect(200)["total"], json!(0), "{q}");
    }
    // Search follows an edit of the name (the index is kept in step).
    let id = officer["id"].as_str().unwrap();
    let reply = s.admin.get(&format!("/users/{id}")).await;
    let etag = reply.etag();
    s.admin
        .patch(
            &format!("/users/{id}"),
            &json!({"last_name": "Quixotically"}),
            etag.as_deref(),
        )
        .await
        .expect(200);
    let found = walk(&s.admin, &format!("{ALL_STATUSES}&q=xotical"), 500).await;
    assert_eq!(ids(&found), BTreeSet::from([id.to_owned()]));
}

fn urlencode(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

/// The sort key of a list item for `sort`, as the list orders it (`None` last).
fn sort_key(u: &Value, sort: &str) -> (Option<String>, String) {
    let key = match sort {
        "last_name" => Some(format!(
            "{}\u{0}{}",
            ascii_lower(u, "last_name"),
            ascii_lower(u, "first_name")
        )),
        "first_name" => Some(format!(
            "{}\u{0}{}",
            ascii_lower(u, "first_name"),
            ascii_lower(u, "last_name")
        )),
        "login" => Some(text(u, "login")),
        "default_node" => Some(ascii_lower(u, "default_node_name")),
        "last_login_at" => u["last_login_at"].as_str().map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .unwrap()
                .timestamp_micros()
                .to_string()
                .chars()
                .rev()
                .chain("0".repeat(20).chars())
                .take(20)
                .collect::<String>()
                .chars()
                .rev()
                .collect()
        }),
        _ => None,
    };
    (key, u["id"].as_str().unwrap().to_owned())
}

fn ascii_lower(u: &Value, field: &str) -> String {
    u[field].as_str().unwrap_or_default().to_ascii_lowercase()
}

async fn keyset_paging_walks_every_sort_in_both_orders(backend: Backend) {
    let s = seeded(backend, &[]).await;
    let everyone = ids(&walk(&s.admin, ALL_STATUSES, 500).await);
    for (api, who) in [(&s.admin, "admin"), (&s.division_admin, "division admin")] {
        let all = ids(&walk(api, ALL_STATUSES, 500).await);
        assert!(all.is_subset(&everyone));
        for sort in [
            "last_name",
            "first_name",
            "login",
            "last_login_at",
            "default_node",
            "created_at",
        ] {
            let mut walks = HashMap::new();
            for order in ["asc", "desc"] {
                let query = format!("{ALL_STATUSES}&sort={sort}&order={order}");
                let items = walk(api, &query, 37).await;
                let seen = ids(&items);
                assert_eq!(seen.len(), items.len(), "{who} {sort} {order}: duplicates");
                assert_eq!(seen, all, "{who} {sort} {order}: gaps");
                if sort != "created_at" {
                    // Each step follows the plain sort: keys in order, ties by id, users
                    // who never signed in last either way.
                    for pair in items.windows(2) {
                        let (a, b) = (sort_key(&pair[0], sort), sort_key(&pair[1], sort));
                        let in_order = match (&a.0, &b.0) {
                            (Some(_), None) => true,
                            (None, Some(_)) => false,
                            _ if order == "asc" => a < b,
                            _ => a > b,
                        };
                        assert!(in_order, "{who} {sort} {order}: {a:?} then {b:?}");
                    }
                }
                walks.insert(order, items);
            }
            if sort != "last_login_at" {
                // Descending is ascending backwards.
                let asc: Vec<&Value> = walks["asc"].iter().map(|u| &u["id"]).collect();
                let mut desc: Vec<&Value> = walks["desc"].iter().map(|u| &u["id"]).collect();
                desc.reverse();
                assert_eq!(asc, desc, "{who} {sort}");
            }
        }
    }
}

async fn the_total_is_exact_up_to_the_bound_then_an_estimate(backend: Backend) {
    let mut s = seeded(backend, &[("MUSTER_LIST_EXACT_TOTAL", "100")]).await;
    // 600 users: above the bound, the total is an estimate, and labelled as one.
    let page = s
        .admin
        .get(&format!("/users?{ALL_STATUSES}&limit=10"))
        .await
        .expect(200)
        .clone();
    assert_eq!(page["total_is_estimate"], json!(true));
    let estimate = page["total"].as_i64().unwrap();
    assert!(
        (300..=1200).contains(&estimate),
        "an estimate of 600 users: {estimate}"
    );
    assert_eq!(page["items"].as_array().unwrap().len(), 10);
    // Paging is unaffected: the walk finds every user.
    assert_eq!(
        walk(&s.admin, ALL_STATUSES, 250).await.len(),
        usize::try_from(USERS).unwrap()
    );

    // Exactly at the bound the count is exact; one below, it is not.
    let inactive = s
        .admin
        .get("/users?status=inactive&limit=1")
        .await
        .expect(200)["total"]
        .as_i64()
        .unwrap();
    assert!(inactive > 1 && inactive <= 100);
    let at_bound = inactive.to_string();
    s.restart(&[("MUSTER_LIST_EXACT_TOTAL", &at_bound)]).await;
    let page = s.admin.get("/users?status=inactive&limit=1").await;
    assert_eq!(page.expect(200)["total"], json!(inactive));
    assert_eq!(page.expect(200)["total_is_estimate"], json!(false));
    let below = (inactive - 1).to_string();
    s.restart(&[("MUSTER_LIST_EXACT_TOTAL", &below)]).await;
    let page = s.admin.get("/users?status=inactive&limit=1").await;
    assert_eq!(page.expect(200)["total_is_estimate"], json!(true));
    assert!(page.expect(200)["total"].as_i64().unwrap() >= inactive);

    // The console says "about", and its Next link carries the cursor.
    s.restart(&[("MUSTER_LIST_EXACT_TOTAL", "100")]).await;
    let (browser, _) = sign_in(
        &s.app,
        s.summary["org_slug"].as_str().unwrap(),
        "admin",
        s.summary["admin_password"].as_str().unwrap(),
    )
    .await;
    let html = browser
        .get(s.app.url("/console/users?inactive=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("1\u{2013}10 of about "), "{html}");
    let next = html
        .split("href=\"")
        .filter_map(|h| h.split('"').next())
        .find(|h| h.contains("page=2"))
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert!(next.contains("after="), "{next}");
    let html = browser
        .get(s.app.url(&next))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("11\u{2013}20 of about "), "{html}");
    // The same page by number alone (no cursor) shows the same rows.
    let by_number = browser
        .get(s.app.url("/console/users?inactive=1&page=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows = |h: &str| -> Vec<String> {
        h.split("/console/users/")
            .skip(1)
            .filter_map(|r| r.get(..36).map(str::to_owned))
            .collect()
    };
    assert_eq!(rows(&html), rows(&by_number));
}
