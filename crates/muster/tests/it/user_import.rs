//! CSV import and export of users (`muster user import|export`, `POST /users/import`):
//! every row checked before anything is written, problems named by row and column,
//! duplicates in the file and against the database, encodings and delimiters, the dry
//! run, authorization by placement, and an export that imports again to the same users.
#![allow(clippy::too_many_lines)] // Scenario tests read best top to bottom.

use muster_testkit::{Api, Backend, CommandOutput, on_both_backends};
use reqwest::Method;
use serde_json::Value;

use crate::api_enforcement::{Agency, agency};

on_both_backends!(
    a_bad_row_in_the_middle_writes_nothing_and_is_named_by_row_and_column,
    a_dry_run_checks_everything_and_writes_nothing,
    an_import_creates_invited_users_with_an_audit_trail,
    duplicate_logins_in_the_file_and_in_the_database_are_caught,
    a_wrong_encoding_or_delimiter_gets_a_clear_message,
    an_export_imports_again_to_the_same_users,
    a_division_administrator_imports_only_into_their_division,
);

const HEADER: &str = "login,first_name,last_name,email,employee_number,placements\n";

/// Writes `content` to a file of the test and returns its path.
fn file(a: &Agency, name: &str, content: &[u8]) -> String {
    let path = a.app.dir().join(name);
    std::fs::write(&path, content).unwrap();
    path.to_str().unwrap().to_owned()
}

async fn import(a: &Agency, args: &[&str]) -> CommandOutput {
    let mut all = vec!["user", "import", "--org", a.slug.as_str()];
    all.extend_from_slice(args);
    a.app.muster(&all).await
}

/// Every user of the organization who is not deleted.
async fn user_count(api: &Api) -> i64 {
    api.get("/users?status=active,inactive,banned,retired,separated&limit=1")
        .await
        .expect(200)["total"]
        .as_i64()
        .unwrap()
}

async fn find(api: &Api, login: &str) -> Option<Value> {
    let page = api
        .get(&format!("/users?q={login}&status=active,inactive"))
        .await;
    let item = page.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["login"] == login)
        .cloned()?;
    Some(
        api.get(&format!("/users/{}", item["id"].as_str().unwrap()))
            .await
            .expect(200)
            .clone(),
    )
}

async fn a_bad_row_in_the_middle_writes_nothing_and_is_named_by_row_and_column(backend: Backend) {
    let a = agency(backend).await;
    let before = user_count(&a.admin).await;
    let csv = format!(
        "{HEADER}\
         ann.new,Ann,New,ann@bcpd.gov,E-100,Station 1=Employee\n\
         bob.new,Bob,New,not-an-email,E-101,Station 1=Employee\n\
         cat.new,Cat,New,cat@bcpd.gov,E-102,Station 1=Employee\n\
         dan.new,,New,dan@bcpd.gov,E-103,Nowhere=Employee\n"
    );
    let path = file(&a, "bad.csv", csv.as_bytes());

    let out = import(&a, &[&path]).await;

    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("row 3, column email:"), "{out:?}");
    assert!(out.stderr.contains("row 5, column first_name:"), "{out:?}");
    assert!(
        out.stderr
            .contains("row 5, column placements: no node is named \"Nowhere\""),
        "{out:?}"
    );
    assert!(!out.stderr.contains("row 2"), "{out:?}");
    assert!(!out.stderr.contains("row 4"), "{out:?}");
    assert!(out.stderr.contains("nothing was imported"), "{out:?}");
    assert_eq!(user_count(&a.admin).await, before);
    assert!(find(&a.admin, "ann.new").await.is_none());

    // The API names the same rows and columns, and writes nothing either.
    let reply = a
        .admin
        .send_raw(
            Method::POST,
            "/users/import",
            "text/csv",
            csv.into_bytes(),
            None,
        )
        .await;
    assert_eq!(reply.status, 422, "{reply:?}");
    assert_eq!(reply.content_type(), "application/problem+json");
    let fields: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["rows[3].email", "rows[5].placements", "rows[5].first_name"]
    );
    assert_eq!(user_count(&a.admin).await, before);
}

async fn a_dry_run_checks_everything_and_writes_nothing(backend: Backend) {
    let a = agency(backend).await;
    let before = user_count(&a.admin).await;
    let csv = format!(
        "{HEADER}\
         ann.new,Ann,New,ann@bcpd.gov,E-100,Station 1=Employee\n\
         bob.new,Bob,New,bob@bcpd.gov,E-101,Station 1=Employee\n"
    );
    let path = file(&a, "good.csv", csv.as_bytes());

    let out = import(&a, &["--dry-run", &path]).await;

    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stdout
            .contains("Dry run: 2 rows, 2 valid; nothing was written."),
        "{out:?}"
    );
    assert_eq!(user_count(&a.admin).await, before);

    let reply = a
        .admin
        .send_raw(
            Method::POST,
            "/users/import?dry_run=true",
            "text/csv",
            csv.into_bytes(),
            None,
        )
        .await;
    let report = reply.expect(200);
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["rows"], 2);
    assert_eq!(report["valid"], 2);
    assert_eq!(report["created"], 0);
    assert_eq!(user_count(&a.admin).await, before);
    let events = a.admin.get("/audit?action=user.import").await;
    assert_eq!(events.expect(200)["items"].as_array().unwrap().len(), 0);
}

async fn an_import_creates_invited_users_with_an_audit_trail(backend: Backend) {
    let a = agency(backend).await;
    let before = user_count(&a.admin).await;
    // Aliases in the header, a column mapped by hand, one dropped, quoted fields.
    let csv = "Username,Given Name,Surname,E-mail,Badge,Notes,Node,Role\n\
               ann.new,Ann,\"New, Jr.\",ann@bcpd.gov,B-1,ignored,Station 1,Employee\n\
               bob.new,Bob,New,bob@bcpd.gov,,,Station 2,Employee\n";
    let path = file(&a, "aliases.csv", csv.as_bytes());

    let out = import(
        &a,
        &[
            "--map",
            "Given Name=first_name",
            "--map",
            "Notes=ignore",
            &path,
        ],
    )
    .await;

    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stdout.contains("Imported 2 users from 2 rows."),
        "{out:?}"
    );
    assert_eq!(user_count(&a.admin).await, before + 2);
    let ann = find(&a.admin, "ann.new").await.unwrap();
    assert_eq!(ann["first_name"], "Ann");
    assert_eq!(ann["last_name"], "New, Jr.");
    assert_eq!(ann["badge_number"], "B-1");
    assert_eq!(ann["status"], "active");
    assert_eq!(ann["must_change_password"], true);
    assert_eq!(ann["placements"][0]["node_id"], a.station1.as_str());
    assert_eq!(ann["placements"][0]["default"], true);

    // No password was set (nothing hashed): an invitation is in the outbox instead.
    let signin = a
        .app
        .client
        .post(format!("{}/api/v1/auth/login", a.app.base_url))
        .json(
            &serde_json::json!({"org": a.slug, "login": "ann.new", "password": "whatever-it-is-1"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(signin.status(), 401);
    let outbox = a.admin.get("/outbox?limit=500").await;
    let invitation = outbox.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["recipient"] == "ann@bcpd.gov")
        .cloned()
        .expect("an invitation for ann");
    assert!(
        invitation["subject"]
            .as_str()
            .unwrap()
            .starts_with("You are invited")
    );
    assert!(invitation["body"].as_str().unwrap().contains("no password"));
    assert!(
        !invitation["body"]
            .as_str()
            .unwrap()
            .contains("Temporary password")
    );

    // One user.create event per user, and one user.import event summing up.
    let creates = a.admin.get("/audit?action=user.create&limit=500").await;
    let subjects: Vec<&str> = creates.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["subject_id"].as_str())
        .collect();
    assert!(subjects.contains(&ann["id"].as_str().unwrap()));
    let imports = a.admin.get("/audit?action=user.import").await;
    let imports = imports.expect(200)["items"].as_array().unwrap().clone();
    assert_eq!(imports.len(), 1);
    assert_eq!(imports[0]["changes"]["created"]["after"], 2);

    // Temporary passwords on request: a welcome email with one each.
    let path = file(
        &a,
        "temporary.csv",
        format!("{HEADER}cat.new,Cat,New,cat@bcpd.gov,,Station 1=Employee\n").as_bytes(),
    );
    let out = import(&a, &["--passwords", "temporary", &path]).await;
    assert!(out.status.success(), "{out:?}");
    let outbox = a.admin.get("/outbox?limit=500").await;
    let welcome = outbox.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["recipient"] == "cat@bcpd.gov")
        .cloned()
        .expect("a welcome for cat");
    assert!(
        welcome["body"]
            .as_str()
            .unwrap()
            .contains("Temporary password: ")
    );
}

async fn duplicate_logins_in_the_file_and_in_the_database_are_caught(backend: Backend) {
    let a = agency(backend).await;
    let before = user_count(&a.admin).await;
    let csv = format!(
        "{HEADER}\
         OFFICER1,Olga,One,olga@bcpd.gov,,Station 1=Employee\n\
         new.one,Nia,One,nia@bcpd.gov,E-7,Station 1=Employee\n\
         New.One,Ned,One,ned@bcpd.gov,E-7,Station 1=Employee\n"
    );
    let path = file(&a, "dups.csv", csv.as_bytes());

    let out = import(&a, &[&path]).await;

    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("row 2, column login: the login \"officer1\" is or was used by another user"),
        "{out:?}"
    );
    assert!(
        out.stderr
            .contains("row 4, column login: the login \"new.one\" is also on row 3"),
        "{out:?}"
    );
    assert!(
        out.stderr.contains(
            "row 4, column employee_number: the employee number \"E-7\" is also on row 3"
        ),
        "{out:?}"
    );
    assert!(!out.stderr.contains("row 3,"), "{out:?}");
    assert_eq!(user_count(&a.admin).await, before);

    // With --skip-invalid the valid row goes in alone.
    let out = import(&a, &["--skip-invalid", &path]).await;
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stdout
            .contains("Imported 1 users from 3 rows (rows with problems were skipped)."),
        "{out:?}"
    );
    assert_eq!(user_count(&a.admin).await, before + 1);
    assert!(find(&a.admin, "new.one").await.is_some());
}

async fn a_wrong_encoding_or_delimiter_gets_a_clear_message(backend: Backend) {
    let a = agency(backend).await;
    let before = user_count(&a.admin).await;
    // "Müller" in Latin-1.
    let mut latin1 = HEADER.as_bytes().to_vec();
    latin1.extend_from_slice(b"ann.new,Ann,New,ann@bcpd.gov,,Station 1=Employee\n");
    latin1.extend_from_slice(b"mm,Max,M\xfcller,mm@bcpd.gov,,Station 1=Employee\n");
    let path = file(&a, "latin1.csv", &latin1);
    let out = import(&a, &[&path]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("row 3, column last_name: is not UTF-8 text"),
        "{out:?}"
    );
    assert!(out.stderr.contains("save it as UTF-8"), "{out:?}");

    let mut utf16 = vec![0xFF, 0xFE];
    for unit in HEADER.encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    let path = file(&a, "utf16.csv", &utf16);
    let out = import(&a, &[&path]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("the file is UTF-16 text; save it as UTF-8"),
        "{out:?}"
    );

    let semicolons = "login;first_name;last_name;placements\nann.new;Ann;New;Station 1=Employee\n";
    let path = file(&a, "semicolons.csv", semicolons.as_bytes());
    let out = import(&a, &[&path]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("row 1: the columns seem to be separated by ';', not by ','"),
        "{out:?}"
    );
    let reply = a
        .admin
        .send_raw(
            Method::POST,
            "/users/import",
            "text/csv",
            semicolons.as_bytes().to_vec(),
            None,
        )
        .await;
    assert_eq!(reply.status, 422, "{reply:?}");
    assert!(
        reply.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("separated by ';'")
    );
    assert_eq!(user_count(&a.admin).await, before);

    // Told the delimiter, the same file imports.
    let out = import(&a, &["--delimiter", ";", &path]).await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(user_count(&a.admin).await, before + 1);
}

/// The lines of a CSV export for the logins starting with `prefix`, sorted.
fn lines_of(csv: &str, prefix: &str) -> Vec<String> {
    let mut lines: Vec<String> = csv
        .lines()
        .filter(|l| l.starts_with(prefix))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

async fn an_export_imports_again_to_the_same_users(backend: Backend) {
    let a = agency(backend).await;
    let csv = "login,first_name,last_name,display_name,email,employee_number,badge_number,payroll_id,title_designation,hire_date,start_date,login_kind,status,placements\n\
               rt.ann,Ann,\"New, Jr.\",Annie,ann@bcpd.gov,E-1,B-1,P-1,of Patrol,2020-01-31,2020-02-01,password,active,Station 1=Employee;Station 2=Employee\n\
               rt.bob,Bob,Old,,,E-2,,,,,,none,inactive,Patrol=Division Administrator\n";
    let path = file(&a, "first.csv", csv.as_bytes());
    let out = import(&a, &[&path]).await;
    assert!(out.status.success(), "{out:?}");

    let exported = a.app.dir().join("export.csv");
    let out = a
        .app
        .muster(&[
            "user",
            "export",
            "--org",
            &a.slug,
            "--output",
            exported.to_str().unwrap(),
        ])
        .await;
    assert!(out.status.success(), "{out:?}");
    let first = std::fs::read_to_string(&exported).unwrap();
    assert_eq!(first.lines().next().unwrap(), csv.lines().next().unwrap());
    assert_eq!(lines_of(&first, "rt."), lines_of(csv, "rt."));
    // Everyone else of the organization is exported too.
    assert!(first.lines().any(|l| l.starts_with("officer1,")));

    // Into another organization with the same structure, then exported again: the same.
    let b = agency(backend).await;
    let mut only_new = first.lines().next().unwrap().to_owned() + "\n";
    for line in lines_of(&first, "rt.") {
        only_new.push_str(&line);
        only_new.push('\n');
    }
    let reply = b
        .admin
        .upload(
            Method::POST,
            "/users/import",
            &[muster_testkit::Part::file(
                "file",
                "export.csv",
                "text/csv",
                only_new.into_bytes(),
            )],
            None,
        )
        .await;
    assert_eq!(reply.expect(200)["created"], 2);
    let out = b.app.muster(&["user", "export", "--org", &b.slug]).await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(lines_of(&out.stdout, "rt."), lines_of(&first, "rt."));

    // JSON Lines: the same columns and values.
    let out = b
        .app
        .muster(&["user", "export", "--org", &b.slug, "--format", "jsonl"])
        .await;
    assert!(out.status.success(), "{out:?}");
    let ann: Value = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["login"] == "rt.ann")
        .unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let mut keys: Vec<&str> = ann
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut sorted_header = header.clone();
    sorted_header.sort_unstable();
    assert_eq!(keys, sorted_header);
    assert_eq!(ann["last_name"], "New, Jr.");
    assert_eq!(ann["placements"], "Station 1=Employee;Station 2=Employee");
    assert_eq!(ann["hire_date"], "2020-01-31");
    let bob: Value = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["login"] == "rt.bob")
        .unwrap();
    assert_eq!(bob["email"], Value::Null);
    assert_eq!(bob["status"], "inactive");
}

async fn a_division_administrator_imports_only_into_their_division(backend: Backend) {
    let a = agency(backend).await;
    let divadmin = a.session("divadmin").await;
    let before = user_count(&a.admin).await;
    let outside = format!(
        "{HEADER}\
         in.one,In,One,in1@bcpd.gov,,Station 1=Employee\n\
         out.one,Out,One,out1@bcpd.gov,,Station 2=Employee\n"
    );

    let reply = divadmin
        .send_raw(
            Method::POST,
            "/users/import",
            "text/csv",
            outside.into_bytes(),
            None,
        )
        .await;

    assert_eq!(reply.status, 403, "{reply:?}");
    assert!(
        reply.body["detail"].as_str().unwrap().contains("row 3"),
        "{reply:?}"
    );
    assert!(
        !reply.body["detail"].as_str().unwrap().contains("row 2"),
        "{reply:?}"
    );
    assert_eq!(user_count(&a.admin).await, before);

    let inside = format!("{HEADER}in.one,In,One,in1@bcpd.gov,,Station 1=Employee\n");
    let reply = divadmin
        .send_raw(
            Method::POST,
            "/users/import",
            "text/csv",
            inside.into_bytes(),
            None,
        )
        .await;
    assert_eq!(reply.expect(200)["created"], 1);
    assert_eq!(user_count(&a.admin).await, before + 1);
    let events = a.admin.get("/audit?action=user.create&limit=500").await;
    let by_divadmin = events.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"]["user_id"] == a.divadmin.as_str())
        .count();
    assert_eq!(by_divadmin, 1);
}
