//! The users list's bulk actions over HTTP, on both backends: the preview's counts and
//! refusals, Confirm applying through the bulk service (audited per user), all or nothing
//! across the caller's scope, and the CSRF check; and the "Import users" page. (The
//! services themselves are tested through the API in `user_bulk.rs` and `user_import.rs`.)

use muster_testkit::{Backend, on_both_backends};
use serde_json::{Value, json};

use crate::api_enforcement::{Agency, PASSWORD, agency};
use crate::console::{Browser, sign_in};

on_both_backends!(
    the_list_offers_the_bulk_bar_and_a_preview_counts_before_confirm_applies,
    a_user_outside_the_division_is_refused_and_nothing_changes,
    a_bulk_post_without_the_csrf_token_is_forbidden,
    users_who_also_work_elsewhere_are_changed_once_that_is_confirmed,
    the_import_page_checks_a_file_reports_bad_rows_by_row_and_column_and_imports_a_good_one,
);

async fn post(a: &Agency, client: &Browser, form: &[(&str, &str)]) -> (u16, String, String) {
    let reply = client
        .post(a.app.url("/console/users/bulk"))
        .header("Origin", a.app.base_url.clone())
        .form(form)
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    let location = reply
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, reply.text().await.unwrap())
}

async fn status(a: &Agency, id: &str) -> String {
    a.admin.get(&format!("/users/{id}")).await.expect(200)["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn events(a: &Agency, action: &str, subject: &str) -> Vec<Value> {
    a.admin
        .get(&format!(
            "/audit?action={action}&target_id={subject}&limit=500"
        ))
        .await
        .expect(200)["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn the_list_offers_the_bulk_bar_and_a_preview_counts_before_confirm_applies(
    backend: Backend,
) {
    let a = agency(backend).await;
    a.admin
        .post(
            "/users/bulk",
            &json!({"action": "deactivate", "user_ids": [a.officer1]}),
        )
        .await
        .expect(200);
    let (client, csrf) = sign_in(&a.app, &a.slug, "divadmin", PASSWORD).await;
    let reply = client
        .get(a.app.url("/console/users?inactive=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200);
    let html = reply.text().await.unwrap();
    assert!(html.contains("id=\"bulk\""), "{html}");
    assert!(html.contains("data-select-all"));
    assert!(html.contains(&format!("name=\"user_ids\" value=\"{}\"", a.officer1)));
    assert!(html.contains(&format!("name=\"page_ids\" value=\"{}\"", a.officer1)));

    // officer1 is inactive (will change), multi is active already.
    let selection = [
        ("csrf", csrf.as_str()),
        ("action", "reactivate"),
        ("user_ids", a.officer1.as_str()),
        ("user_ids", a.multi.as_str()),
    ];
    let (code, _, html) = post(&a, &client, &selection).await;
    assert_eq!(code, 200, "{html}");
    assert!(
        html.contains("id=\"bulk-changed\"><strong>1</strong> user will change"),
        "{html}"
    );
    assert!(html.contains("id=\"bulk-unchanged\"><strong>1</strong> already is"));
    assert!(html.contains("id=\"bulk-refused\"><strong>0</strong>"));
    assert!(
        html.contains("name=\"step\" value=\"apply\""),
        "a Confirm button"
    );
    assert_eq!(
        status(&a, &a.officer1).await,
        "inactive",
        "a preview changes nothing"
    );
    assert!(events(&a, "user.reactivate", &a.officer1).await.is_empty());

    let mut confirm = selection.to_vec();
    confirm.push(("step", "apply"));
    let (code, location, _) = post(&a, &client, &confirm).await;
    assert_eq!(code, 303);
    assert_eq!(location, "/console/users");
    assert_eq!(status(&a, &a.officer1).await, "active");
    let audit = events(&a, "user.reactivate", &a.officer1).await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["actor"]["user_id"], a.divadmin.as_str());
    assert!(events(&a, "user.reactivate", &a.multi).await.is_empty());
    let html = client
        .get(a.app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("1 user reactivated; 1 already were."),
        "the toast says so: {html}"
    );

    // "Select all on this page" sends the page's ids.
    let all = [
        ("csrf", csrf.as_str()),
        ("action", "deactivate"),
        ("all", "1"),
        ("page_ids", a.officer1.as_str()),
    ];
    let (code, _, html) = post(&a, &client, &all).await;
    assert_eq!(code, 200);
    assert!(html.contains("id=\"bulk-changed\"><strong>1</strong> user will change"));
    // Nothing selected: back to the list with a message.
    let (code, location, _) = post(&a, &client, &[("csrf", &csrf), ("action", "deactivate")]).await;
    assert_eq!((code, location.as_str()), (303, "/console/users"));
}

async fn a_user_outside_the_division_is_refused_and_nothing_changes(backend: Backend) {
    let a = agency(backend).await;
    let (client, csrf) = sign_in(&a.app, &a.slug, "divadmin", PASSWORD).await;
    let selection = [
        ("csrf", csrf.as_str()),
        ("action", "deactivate"),
        ("user_ids", a.officer1.as_str()),
        ("user_ids", a.officer9.as_str()),
    ];
    let (code, _, html) = post(&a, &client, &selection).await;
    assert_eq!(code, 200, "{html}");
    assert!(
        html.contains("id=\"bulk-refused\"><strong>1</strong>"),
        "{html}"
    );
    assert!(html.contains("id=\"bulk-refusals\""));
    assert!(
        html.contains(&format!("<td>{}</td><td>No such user</td>", a.officer9)),
        "the refused user and why, without revealing them: {html}"
    );
    assert!(
        !html.contains("name=\"step\" value=\"apply\""),
        "no Confirm button"
    );

    // Applying anyway (a crafted form): refused, nobody changes.
    let mut confirm = selection.to_vec();
    confirm.push(("step", "apply"));
    let (code, _, html) = post(&a, &client, &confirm).await;
    assert_eq!(code, 409, "{html}");
    assert!(html.contains("Nothing was changed"), "{html}");
    assert_eq!(status(&a, &a.officer1).await, "active");
    assert_eq!(status(&a, &a.officer9).await, "active");
    assert!(events(&a, "user.deactivate", &a.officer1).await.is_empty());
    assert!(events(&a, "user.deactivate", &a.officer9).await.is_empty());
}

async fn a_bulk_post_without_the_csrf_token_is_forbidden(backend: Backend) {
    let a = agency(backend).await;
    let (client, _) = sign_in(&a.app, &a.slug, "divadmin", PASSWORD).await;
    let form = [
        ("action", "deactivate"),
        ("user_ids", a.officer1.as_str()),
        ("step", "apply"),
    ];
    let (code, _, _) = post(&a, &client, &form).await;
    assert_eq!(code, 403);
    let (code, _, _) = post(
        &a,
        &client,
        &[("csrf", "forged"), form[0], form[1], form[2]],
    )
    .await;
    assert_eq!(code, 403);
    assert_eq!(status(&a, &a.officer1).await, "active");
    assert!(events(&a, "user.deactivate", &a.officer1).await.is_empty());
}

/// Uploads `csv` to the import page with `step` (`check` or `import`).
async fn upload(
    a: &Agency,
    client: &Browser,
    csrf: &str,
    step: &str,
    csv: &str,
) -> (u16, String, String) {
    const BOUNDARY: &str = "console-import-test-boundary-7xK";
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"people.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"step\"\r\n\r\n{step}\r\n\
         --{BOUNDARY}--\r\n"
    );
    let reply = client
        .post(a.app.url(&format!("/console/users/import?csrf={csrf}")))
        .header("Origin", a.app.base_url.clone())
        .body(
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            body.into_bytes(),
        )
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    let location = reply
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, reply.text().await.unwrap())
}

async fn exists(a: &Agency, login: &str) -> bool {
    let found = a
        .admin
        .get(&format!("/users?q={login}&status=active,inactive"))
        .await;
    found.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["login"] == login)
}

async fn the_import_page_checks_a_file_reports_bad_rows_by_row_and_column_and_imports_a_good_one(
    backend: Backend,
) {
    let a = agency(backend).await;
    let (client, csrf) = sign_in(&a.app, &a.slug, "divadmin", PASSWORD).await;
    let list = client
        .get(a.app.url("/console/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("href=\"/console/users/import\""), "{list}");
    let reply = client
        .get(a.app.url("/console/users/import"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200);
    assert!(reply.text().await.unwrap().contains("name=\"file\""));

    let header = "login,first_name,last_name,email,employee_number,placements\n";
    let bad = format!(
        "{header}ann.new,Ann,New,ann@bcpd.gov,E-100,Station 1=Employee\n\
         bob.new,Bob,New,not-an-email,E-101,Station 1=Employee\n"
    );
    for step in ["check", "import"] {
        let (code, _, html) = upload(&a, &client, &csrf, step, &bad).await;
        assert_eq!(code, 422, "{html}");
        assert!(html.contains("id=\"import-problems\""), "{html}");
        assert!(html.contains("<tr><td>3</td><td>email</td>"), "{html}");
        assert!(!html.contains("<tr><td>2</td>"), "{html}");
        assert!(html.contains("nothing was imported"));
        assert!(!exists(&a, "ann.new").await, "nothing written");
    }

    let good = format!("{header}ann.new,Ann,New,ann@bcpd.gov,E-100,Station 1=Employee\n");
    let (code, _, html) = upload(&a, &client, &csrf, "check", &good).await;
    assert_eq!(code, 200, "{html}");
    assert!(html.contains("id=\"import-ok\""), "{html}");
    assert!(!exists(&a, "ann.new").await, "a check writes nothing");
    let (code, location, html) = upload(&a, &client, &csrf, "import", &good).await;
    assert_eq!((code, location.as_str()), (303, "/console/users"), "{html}");
    assert!(exists(&a, "ann.new").await);
    let events = a.admin.get("/audit?action=user.import").await;
    assert_eq!(events.expect(200)["items"].as_array().unwrap().len(), 1);

    // Without the token in the query, the upload is refused.
    let (code, _, _) = upload(&a, &client, "forged", "import", &good).await;
    assert_eq!(code, 403);
}

async fn users_who_also_work_elsewhere_are_changed_once_that_is_confirmed(backend: Backend) {
    let a = agency(backend).await;
    let (client, csrf) = sign_in(&a.app, &a.slug, "divadmin", PASSWORD).await;
    let selection = [
        ("csrf", csrf.as_str()),
        ("action", "deactivate"),
        ("user_ids", a.officer1.as_str()),
        ("user_ids", a.multi.as_str()),
    ];
    let (code, _, html) = post(&a, &client, &selection).await;
    assert_eq!(code, 200, "{html}");
    assert!(
        html.contains("id=\"bulk-refused\"><strong>1</strong>"),
        "{html}"
    );
    assert!(html.contains("<td>multi</td>"), "{html}");
    assert!(html.contains("id=\"bulk-confirm-elsewhere\""));
    assert!(!html.contains("name=\"step\" value=\"apply\""));

    let mut confirmed = selection.to_vec();
    confirmed.push(("confirm", "1"));
    let (code, _, html) = post(&a, &client, &confirmed).await;
    assert_eq!(code, 200, "{html}");
    assert!(
        html.contains("id=\"bulk-changed\"><strong>2</strong>"),
        "{html}"
    );
    assert!(html.contains("name=\"confirm\" value=\"1\""));
    assert_eq!(status(&a, &a.multi).await, "active");

    // Applying without the confirmation is refused; with it, both change.
    let mut unconfirmed = selection.to_vec();
    unconfirmed.push(("step", "apply"));
    let (code, _, _) = post(&a, &client, &unconfirmed).await;
    assert_eq!(code, 409);
    assert_eq!(status(&a, &a.officer1).await, "active");
    confirmed.push(("step", "apply"));
    let (code, location, _) = post(&a, &client, &confirmed).await;
    assert_eq!((code, location.as_str()), (303, "/console/users"));
    assert_eq!(status(&a, &a.officer1).await, "inactive");
    assert_eq!(status(&a, &a.multi).await, "inactive");
    assert_eq!(events(&a, "user.deactivate", &a.multi).await.len(), 1);
}
