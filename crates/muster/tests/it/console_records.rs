//! The user page's personnel-file tabs over HTTP, on both backends: records sections
//! (Assignments & promotions, Records), Files, the photo on Details and the Audit tab.
//! Each calls the same services as the API, so these tests check the wiring: a tab is
//! there for whom the command hierarchy or the files module lets in and absent (403) for
//! the others, a refused form says why next to the field and writes nothing, an upload
//! over the organization's limit is refused, and what people typed is escaped.
//! (Browser tests of the same pages live in `e2e/user_records.test.cjs`.)
#![allow(clippy::too_many_lines)] // Scenario tests read best top to bottom.

use image::ImageFormat;
use muster_testkit::{Backend, Part, on_both_backends};
use serde_json::{Value, json};

use crate::console::{Browser, sign_in};
use crate::personnel::{PASSWORD, Station, station};
use crate::pictures::picture;

on_both_backends!(
    record_tabs_follow_the_command_hierarchy,
    a_bad_record_names_the_field_and_writes_nothing_and_a_good_one_is_kept,
    a_promotion_applied_in_the_console_becomes_the_current_rank,
    files_are_uploaded_within_the_organizations_limit_and_removed,
    the_photo_is_shown_in_the_header_and_changed_on_details,
    the_audit_tab_shows_a_persons_events_with_field_diffs,
    the_status_privilege_offers_deactivate_and_reactivate_on_details,
);

const PDF: &[u8] =
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// A console session of `login` of the station.
async fn session(s: &Station, login: &str) -> (Browser, String) {
    sign_in(&s.app, &s.org.slug, login, PASSWORD).await
}

/// An organization administrator who signs in with the station's password.
async fn administrator(s: &Station) -> (Browser, String) {
    let reply = s
        .admin
        .post(
            "/users",
            &json!({"login": "boss", "first_name": "Robin", "last_name": "Boss",
                    "email": "boss@bcpd.gov", "password": PASSWORD, "is_org_admin": true,
                    "placements": [{"node_id": s.org.root_node_id, "role_id": employee_role(s).await,
                                    "default": true}]}),
        )
        .await;
    reply.expect(201);
    session(s, "boss").await
}

async fn employee_role(s: &Station) -> String {
    let roles = s.admin.get("/roles?limit=500").await;
    roles.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Employee")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn get(s: &Station, client: &Browser, path: &str) -> (u16, String, String) {
    let reply = client.get(s.app.url(path)).send().await.unwrap();
    let status = reply.status().as_u16();
    let location = location(&reply);
    (status, location, reply.text().await.unwrap())
}

fn location(reply: &reqwest::Response) -> String {
    reply
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

async fn post(
    s: &Station,
    client: &Browser,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let reply = client
        .post(s.app.url(path))
        .header("Origin", s.app.base_url.clone())
        .form(form)
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    let location = location(&reply);
    (status, location, reply.text().await.unwrap())
}

/// Posts `parts` as `multipart/form-data` to `path` (the CSRF token in its query).
async fn upload(
    s: &Station,
    client: &Browser,
    path: &str,
    parts: &[Part],
) -> (u16, String, String) {
    const BOUNDARY: &str = "console-records-test-boundary-9zQ";
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match &part.file_name {
            Some(file) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{}\"; filename=\"{file}\"\r\n",
                    part.name
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{}\"\r\n", part.name).as_bytes(),
            ),
        }
        if let Some(kind) = &part.content_type {
            body.extend_from_slice(format!("Content-Type: {kind}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(&part.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    let reply = client
        .post(s.app.url(path))
        .header("Origin", s.app.base_url.clone())
        .body(&format!("multipart/form-data; boundary={BOUNDARY}"), body)
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    let location = location(&reply);
    (status, location, reply.text().await.unwrap())
}

/// The labels of the user page's tabs in `html`.
fn tabs(html: &str) -> Vec<String> {
    let nav = html
        .split("aria-label=\"User sections\">")
        .nth(1)
        .and_then(|rest| rest.split("</nav>").next())
        .unwrap_or_default();
    nav.split("</a>")
        .filter_map(|a| a.rsplit('>').next())
        .filter(|label| !label.trim().is_empty())
        .map(|label| label.replace("&#38;", "&").replace("&amp;", "&"))
        .collect()
}

async fn total(s: &Station, path: &str) -> i64 {
    s.admin.get(path).await.expect(200)["total"]
        .as_i64()
        .unwrap()
}

async fn record_tabs_follow_the_command_hierarchy(backend: Backend) {
    let s = station(backend).await;
    let officer = format!("/console/users/{}", s.officer);

    // The sergeant edits discipline and promotions of direct reports and views their
    // commendations and related reports: both tabs, forms only where they edit.
    let (sgt, sgt_token) = session(&s, "sgt").await;
    let (status, _, html) = get(&s, &sgt, &officer).await;
    assert_eq!(status, 200);
    let shown = tabs(&html);
    assert!(
        shown.contains(&"Assignments & promotions".to_owned()),
        "{shown:?}"
    );
    assert!(shown.contains(&"Records".to_owned()), "{shown:?}");
    assert!(
        !shown.contains(&"Audit".to_owned()),
        "no audit_log privilege: {shown:?}"
    );
    assert!(
        !shown.contains(&"Files".to_owned()),
        "no users.view: {shown:?}"
    );
    let (status, location, _) = get(&s, &sgt, &format!("{officer}/promotions")).await;
    assert_eq!(
        (status, location.as_str()),
        (303, format!("{officer}/records/promotions").as_str())
    );
    let (status, location, _) = get(&s, &sgt, &format!("{officer}/records")).await;
    assert_eq!(status, 303);
    assert_eq!(
        location,
        format!("{officer}/records/commendations"),
        "the first section they may view"
    );
    let (status, _, html) = get(&s, &sgt, &format!("{officer}/records/discipline")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("id=\"record-form\""),
        "the sergeant edits discipline"
    );
    assert!(html.contains("Add disciplinary action"));
    // The sub-tabs offer the sections they may view, and only those.
    assert!(html.contains("Commendations &#38; awards"));
    assert!(html.contains("Related reports"));
    assert!(!html.contains("Performance reviews"));
    assert!(!html.contains("Feedback notes"));
    let (status, _, html) = get(&s, &sgt, &format!("{officer}/records/commendations")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Read only"));
    assert!(!html.contains("id=\"record-form\""), "view only: no form");
    assert!(
        !html.contains("value=\"delete\""),
        "view only: no delete button"
    );
    for refused in ["performance_reviews", "service_history", "feedback_notes"] {
        let (status, _, _) = get(&s, &sgt, &format!("{officer}/records/{refused}")).await;
        assert_eq!(status, 403, "{refused}");
    }
    // And a crafted form for a section they only view changes nothing.
    let (status, _, _) = post(
        &s,
        &sgt,
        &format!("{officer}/records/commendations"),
        &[
            ("csrf", &sgt_token),
            ("date", "2025-01-01"),
            ("title", "Crafted"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        total(&s, &format!("/users/{}/records/commendations", s.officer)).await,
        0
    );
    let (status, _, _) = get(&s, &sgt, &format!("{officer}/records/no_such_section")).await;
    assert_eq!(status, 404);

    // A peer sees the officer only for their photo: no record tabs, each section 403.
    let (peer, _) = session(&s, "officer2").await;
    let (status, _, html) = get(&s, &peer, &officer).await;
    assert_eq!(status, 200);
    let shown = tabs(&html);
    assert!(!shown.contains(&"Records".to_owned()), "{shown:?}");
    assert!(
        !shown.contains(&"Assignments & promotions".to_owned()),
        "{shown:?}"
    );
    let (status, _, _) = get(&s, &peer, &format!("{officer}/records/commendations")).await;
    assert_eq!(status, 403);
    let (status, _, _) = get(&s, &peer, &format!("{officer}/promotions")).await;
    assert_eq!(status, 403);

    // The officer views their own commendations, read only.
    let (own, _) = session(&s, "officer").await;
    let (status, _, html) = get(&s, &own, &format!("{officer}/records/commendations")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Read only"));
    let (status, _, _) = get(&s, &own, &format!("{officer}/records/discipline")).await;
    assert_eq!(status, 403);

    // The clerk (users.view and users.edit, no command group) has Files, but no records.
    let (clerk, _) = session(&s, "clerk").await;
    let (_, _, html) = get(&s, &clerk, &officer).await;
    let shown = tabs(&html);
    assert!(shown.contains(&"Files".to_owned()), "{shown:?}");
    assert!(!shown.contains(&"Records".to_owned()), "{shown:?}");
}

async fn a_bad_record_names_the_field_and_writes_nothing_and_a_good_one_is_kept(backend: Backend) {
    let s = station(backend).await;
    let (sgt, token) = session(&s, "sgt").await;
    let page = format!("/console/users/{}/records/discipline", s.officer);
    let api = format!("/users/{}/records/discipline", s.officer);
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Duration::days(3)).to_string();

    // A date in the future and no title: both named next to their fields, nothing kept.
    let (status, _, html) = post(
        &s,
        &sgt,
        &page,
        &[
            ("csrf", &token),
            ("date", &tomorrow),
            ("title", ""),
            ("notes", "Late twice"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("Some fields need your attention."));
    assert!(
        html.contains("<p class=\"field-error\" id=\"e-date\">Must not be in the future</p>"),
        "{html}"
    );
    assert!(
        html.contains("<p class=\"field-error\" id=\"e-title\">Is required</p>"),
        "{html}"
    );
    assert!(
        html.contains("Late twice"),
        "what was typed stays in the form"
    );
    // A date that is not one is the form's own finding.
    let (status, _, html) = post(
        &s,
        &sgt,
        &page,
        &[
            ("csrf", &token),
            ("date", "31/12/2025"),
            ("title", "Tardiness"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("Enter a date like 2026-12-31"));
    // A field of another section cannot be slipped in: it is not even read.
    let (status, location, _) = post(
        &s,
        &sgt,
        &page,
        &[
            ("csrf", &token),
            ("date", "2025-06-01"),
            ("title", "Written reprimand <b>1</b>"),
            ("category", "Reprimand"),
            ("ends_on", "2025-06-30"),
            ("rating", "5"),
        ],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, page.as_str()));
    let listed = s.admin.get(&api).await;
    let record = listed.expect(200)["items"][0].clone();
    assert_eq!(listed.body["total"], 1, "only the good form was kept");
    assert_eq!(record["title"], "Written reprimand <b>1</b>");
    assert_eq!(record["ends_on"], "2025-06-30");
    assert_eq!(record["rating"], Value::Null);
    assert_eq!(record["author_id"], s.sgt.as_str());
    let id = record["id"].as_str().unwrap().to_owned();
    let (_, _, html) = get(&s, &sgt, &page).await;
    assert!(
        html.contains("Written reprimand &#60;b&#62;1&#60;/b&#62;"),
        "escaped"
    );

    // Edit: the form opens with the record, a bad change is refused, a good one kept.
    let (status, _, html) = get(&s, &sgt, &format!("{page}?edit={id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Save disciplinary action"));
    assert!(html.contains("value=\"2025-06-30\""));
    let edit = |ends: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("record_id", id.clone()),
            ("version", "1".to_owned()),
            ("date", "2025-06-01".to_owned()),
            ("title", "Written reprimand".to_owned()),
            ("ends_on", ends.to_owned()),
        ]
    };
    let form = edit("2025-05-01");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, html) = post(&s, &sgt, &page, &pairs).await;
    assert_eq!(status, 422);
    assert!(html.contains("Must not be before the date"), "{html}");
    assert!(
        html.contains("Save disciplinary action"),
        "still the edit form"
    );
    assert_eq!(
        s.admin.get(&format!("{api}/{id}")).await.expect(200)["version"],
        1
    );
    let form = edit("2025-07-15");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, _) = post(&s, &sgt, &page, &pairs).await;
    assert_eq!(status, 303);
    let saved = s
        .admin
        .get(&format!("{api}/{id}"))
        .await
        .expect(200)
        .clone();
    assert_eq!(saved["ends_on"], "2025-07-15");
    assert_eq!(saved["title"], "Written reprimand");
    assert_eq!(saved["category"], Value::Null, "a blank field is cleared");

    // Delete: gone from the list, kept in the audit trail.
    let (status, _, _) = post(
        &s,
        &sgt,
        &page,
        &[
            ("csrf", &token),
            ("record_id", &id),
            ("version", "2"),
            ("action", "delete"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(total(&s, &api).await, 0);
    let actions = s.actions_about(&s.officer).await;
    for action in [
        "discipline.create",
        "discipline.update",
        "discipline.delete",
    ] {
        assert!(actions.contains(&action.to_owned()), "{actions:?}");
    }

    // A title with a script in it is shown as text.
    s.admin
        .post(
            &format!("/users/{}/records/commendations", s.officer),
            &json!({"date": "2025-02-02", "title": "<script>alert('award')</script>",
                    "notes": "<img src=x onerror=alert(1)>"}),
        )
        .await
        .expect(201);
    let (status, _, html) = get(
        &s,
        &sgt,
        &format!("/console/users/{}/records/commendations", s.officer),
    )
    .await;
    assert_eq!(status, 200);
    assert!(!html.contains("<script>alert"), "never raw");
    assert!(!html.contains("<img src=x"), "never raw");
    assert!(
        html.contains("&#60;script&#62;alert(&#39;award&#39;)&#60;/script&#62;"),
        "{html}"
    );
}

async fn a_promotion_applied_in_the_console_becomes_the_current_rank(backend: Backend) {
    let s = station(backend).await;
    let sergeant = s
        .admin
        .post("/reference/ranks", &json!({"name": "Sergeant"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (sgt, token) = session(&s, "sgt").await;
    let page = format!("/console/users/{}/records/promotions", s.officer);
    let (status, _, html) = get(&s, &sgt, &page).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("<option value=\"{sergeant}\">Sergeant</option>")),
        "ranks offered"
    );
    assert!(html.contains("Make this their current rank and unit"));
    // A rank that is not on the list is named on its field.
    let (status, _, html) = post(
        &s,
        &sgt,
        &page,
        &[
            ("csrf", &token),
            ("date", "2025-09-01"),
            ("rank_id", &uuid::Uuid::new_v4().to_string()),
            ("apply", "1"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("id=\"e-rank_id\">No such entry in the ranks list"),
        "{html}"
    );
    assert_eq!(
        s.admin.get(&format!("/users/{}", s.officer)).await.body["rank_id"],
        Value::Null
    );
    let (status, _, _) = post(
        &s,
        &sgt,
        &page,
        &[
            ("csrf", &token),
            ("date", "2025-09-01"),
            ("rank_id", &sergeant),
            ("apply", "1"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        s.admin.get(&format!("/users/{}", s.officer)).await.body["rank_id"],
        sergeant.as_str()
    );
    let (_, _, html) = get(&s, &sgt, &page).await;
    assert!(html.contains("title=\"Applied to their rank and unit\">Applied</span>"));
    assert!(html.contains("<span class=\"muted\">Rank:</span> Sergeant"));
    // Service history: the sergeant holds no privilege on it, the administrator does.
    let (status, _, _) = get(
        &s,
        &sgt,
        &format!("/console/users/{}/records/service_history", s.officer),
    )
    .await;
    assert_eq!(status, 403);
    let (boss, _) = administrator(&s).await;
    let (status, _, html) = get(
        &s,
        &boss,
        &format!("/console/users/{}/records/service_history", s.officer),
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("Add position"));
    assert!(html.contains("Position and agency"));
}

async fn files_are_uploaded_within_the_organizations_limit_and_removed(backend: Backend) {
    let s = station(backend).await;
    s.admin
        .patch(
            "/settings",
            &json!({"files_module": {"max_file_bytes": 4096}}),
            None,
        )
        .await
        .expect(200);
    let (clerk, token) = session(&s, "clerk").await;
    let page = format!("/console/users/{}/files", s.officer);
    let api = format!("/users/{}/files", s.officer);
    let (status, _, html) = get(&s, &clerk, &page).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Up to 4 KB per file."),
        "the organization's limit is said"
    );
    assert!(html.contains("enctype=\"multipart/form-data\""));

    // Without the token in the query the upload is refused before anything is read.
    let (status, _, _) = upload(
        &s,
        &clerk,
        &page,
        &[Part::file("file", "a.pdf", "application/pdf", PDF.to_vec())],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(total(&s, &api).await, 0);

    let action = format!("{page}?csrf={token}");
    let (status, location, _) = upload(
        &s,
        &clerk,
        &action,
        &[
            Part::text("title", "Firearms qualification"),
            Part::text("category", "Certificates"),
            Part::file("file", "qualification.pdf", "application/pdf", PDF.to_vec()),
        ],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, page.as_str()));
    let listed = s.admin.get(&api).await.expect(200).clone();
    assert_eq!(listed["total"], 1);
    let file = listed["items"][0]["id"].as_str().unwrap().to_owned();
    let (_, _, html) = get(&s, &clerk, &page).await;
    assert!(html.contains("Firearms qualification"));
    assert!(html.contains(&format!(
        "href=\"/api/v1/users/{}/files/{file}\" download",
        s.officer
    )));
    // The download link works with the console's session.
    let download = clerk
        .get(
            s.app
                .url(&format!("/api/v1/users/{}/files/{file}", s.officer)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(download.bytes().await.unwrap().as_ref(), PDF);

    // Over the limit: refused with a message people read, nothing stored.
    let mut big = PDF.to_vec();
    big.resize(5000, b'x');
    let (status, _, html) = upload(
        &s,
        &clerk,
        &action,
        &[
            Part::text("title", "Too big"),
            Part::file("file", "big.pdf", "application/pdf", big),
        ],
    )
    .await;
    assert_eq!(status, 413, "{html}");
    assert!(html.contains("The file is larger than the 4 KB your organization allows per file; nothing was stored."), "{html}");
    assert!(html.contains("value=\"Too big\""), "what was typed stays");
    assert_eq!(total(&s, &api).await, 1);
    // A file that claims a type it does not have is named on the file field.
    let (status, _, html) = upload(
        &s,
        &clerk,
        &action,
        &[Part::file(
            "file",
            "fake.pdf",
            "application/pdf",
            b"not a pdf".to_vec(),
        )],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("id=\"e-file\">Claims to be application/pdf but is not"),
        "{html}"
    );
    assert_eq!(total(&s, &api).await, 1);

    // Remove.
    let (status, _, _) = post(
        &s,
        &clerk,
        &format!("{page}/{file}/delete"),
        &[("csrf", &token), ("version", "1")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(total(&s, &api).await, 0);

    // The sergeant (no users.view) has no Files tab; the module switched off hides it for
    // everyone.
    let (sgt, _) = session(&s, "sgt").await;
    let (status, _, _) = get(&s, &sgt, &page).await;
    assert_eq!(status, 403);
    s.admin
        .patch(
            "/settings",
            &json!({"files_module": {"enabled": false}}),
            None,
        )
        .await
        .expect(200);
    let (_, _, html) = get(&s, &clerk, &format!("/console/users/{}", s.officer)).await;
    assert!(!tabs(&html).contains(&"Files".to_owned()));
    let (status, _, _) = get(&s, &clerk, &page).await;
    assert_eq!(status, 403);
}

async fn the_photo_is_shown_in_the_header_and_changed_on_details(backend: Backend) {
    let s = station(backend).await;
    let details = format!("/console/users/{}", s.officer);
    let (sgt, token) = session(&s, "sgt").await;
    let (_, _, html) = get(&s, &sgt, &details).await;
    assert!(html.contains("No photo yet."));
    assert!(
        html.contains("Add a photo"),
        "edit on direct reports' photos"
    );
    let (status, location, _) = upload(
        &s,
        &sgt,
        &format!("/console/users/{}/photo?csrf={token}", s.officer),
        &[Part::file(
            "photo",
            "me.png",
            "image/png",
            picture(300, 200, ImageFormat::Png),
        )],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, details.as_str()));
    s.admin
        .get(&format!("/users/{}/photo", s.officer))
        .await
        .expect(200);
    let (_, _, html) = get(&s, &sgt, &details).await;
    assert!(
        html.contains(&format!(
            "src=\"/api/v1/users/{}/photo?size=thumbnail\"",
            s.officer
        )),
        "the header's avatar"
    );
    assert!(html.contains(&format!(
        "src=\"/api/v1/users/{}/photo\" alt=\"Photo of",
        s.officer
    )));
    assert!(html.contains("Replace the photo"));
    // Not a picture: refused as a toast, the photo stays.
    let (status, _, _) = upload(
        &s,
        &sgt,
        &format!("/console/users/{}/photo?csrf={token}", s.officer),
        &[Part::file(
            "photo",
            "x.png",
            "image/png",
            b"not a picture".to_vec(),
        )],
    )
    .await;
    assert_eq!(status, 303);
    s.admin
        .get(&format!("/users/{}/photo", s.officer))
        .await
        .expect(200);

    // A peer sees it (view on peers' photos) but changes nothing.
    let (peer, peer_token) = session(&s, "officer2").await;
    let (_, _, html) = get(&s, &peer, &details).await;
    assert!(html.contains("photo?size=thumbnail"));
    assert!(!html.contains("Replace the photo"));
    let (status, _, _) = post(
        &s,
        &peer,
        &format!("{details}/photo/remove"),
        &[("csrf", &peer_token)],
    )
    .await;
    assert_eq!(status, 303, "refused as a toast");
    s.admin
        .get(&format!("/users/{}/photo", s.officer))
        .await
        .expect(200);
    // The clerk (no photo privilege) sees initials, no photo card.
    let (clerk, _) = session(&s, "clerk").await;
    let (_, _, html) = get(&s, &clerk, &details).await;
    assert!(!html.contains("/photo"), "no photo for whom may not see it");

    let (status, _, _) = post(
        &s,
        &sgt,
        &format!("{details}/photo/remove"),
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(status, 303);
    s.admin
        .get(&format!("/users/{}/photo", s.officer))
        .await
        .expect(404);
    let actions = s.actions_about(&s.officer).await;
    assert!(actions.contains(&"photo.upload".to_owned()), "{actions:?}");
    assert!(actions.contains(&"photo.delete".to_owned()), "{actions:?}");
}

async fn the_audit_tab_shows_a_persons_events_with_field_diffs(backend: Backend) {
    let s = station(backend).await;
    let (sgt, token) = session(&s, "sgt").await;
    let page = format!("/console/users/{}/records/discipline", s.officer);
    post(
        &s,
        &sgt,
        &page,
        &[
            ("csrf", &token),
            ("date", "2025-03-03"),
            ("title", "Late for roll call"),
        ],
    )
    .await;
    let (boss, _) = administrator(&s).await;
    let audit = format!("/console/users/{}/audit", s.officer);
    let (_, _, html) = get(&s, &boss, &format!("/console/users/{}", s.officer)).await;
    assert!(tabs(&html).contains(&"Audit".to_owned()));
    let (status, _, html) = get(&s, &boss, &audit).await;
    assert_eq!(status, 200);
    assert!(html.contains("discipline.create"), "{html}");
    assert!(
        html.contains("class=\"diff-table diff-one\""),
        "the viewer's diff rendering"
    );
    assert!(html.contains("<ins>Late for roll call</ins>"));
    assert!(html.contains(">Pat sgt</a>"), "the actor by name");
    assert!(
        html.contains("Open in the audit log"),
        "an org administrator reads the whole log"
    );
    // Nobody else here holds the audit_log privilege: no tab, 403.
    for login in ["sgt", "officer"] {
        let (client, _) = session(&s, login).await;
        let (_, _, html) = get(&s, &client, &format!("/console/users/{}", s.officer)).await;
        assert!(!tabs(&html).contains(&"Audit".to_owned()), "{login}");
        let (status, _, _) = get(&s, &client, &audit).await;
        assert_eq!(status, 403, "{login}");
    }
}

async fn the_status_privilege_offers_deactivate_and_reactivate_on_details(backend: Backend) {
    let s = station(backend).await;
    let details = format!("/console/users/{}", s.officer);
    let status_of = |user: String| {
        let admin = s.admin.clone();
        async move {
            admin.get(&format!("/users/{user}")).await.expect(200)["status"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    // The sergeant holds `status` edit on direct reports but not users.lifecycle.
    let (sgt, token) = session(&s, "sgt").await;
    let (_, _, html) = get(&s, &sgt, &details).await;
    assert!(html.contains("<input type=\"hidden\" name=\"action\" value=\"deactivate\">"));
    assert!(html.contains("status privilege switches this person"));
    let (status, location, _) = post(
        &s,
        &sgt,
        &format!("{details}/lifecycle"),
        &[
            ("csrf", &token),
            ("action", "deactivate"),
            ("back", &details),
        ],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, details.as_str()));
    assert_eq!(status_of(s.officer.clone()).await, "inactive");
    let (_, _, html) = get(&s, &sgt, &details).await;
    assert!(html.contains("value=\"reactivate\""));
    post(
        &s,
        &sgt,
        &format!("{details}/lifecycle"),
        &[
            ("csrf", &token),
            ("action", "reactivate"),
            ("back", &details),
        ],
    )
    .await;
    assert_eq!(status_of(s.officer.clone()).await, "active");
    // A peer holds no status privilege: no button.
    let (peer, _) = session(&s, "officer2").await;
    let (_, _, html) = get(&s, &peer, &details).await;
    assert!(!html.contains("value=\"deactivate\""));
}
