//! `muster init`, `muster migrate`, and how every command reports bad configuration.

use std::net::TcpListener;

use muster_store::orgs;
use muster_testkit::{Backend, CommandOutput, on_both_backends};
use serde_json::Value;

use crate::spawn;

on_both_backends!(
    init_creates_an_organization_with_a_one_time_password,
    init_with_a_password_file_uses_that_password,
    init_refuses_an_organization_name_that_exists,
    init_refuses_an_invalid_login_and_a_short_password,
    migrate_applies_and_lists_schema_versions,
    org_list_shows_every_organization_with_its_counts,
);

/// Asserts the command failed with exit code 1 and one `error:` line naming `needle`.
fn assert_one_line_error(output: &CommandOutput, needle: &str) {
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let lines: Vec<&str> = output.stderr.lines().collect();
    let last = lines.last().copied().unwrap_or_default();
    assert!(last.starts_with("error: "), "{output:?}");
    assert!(last.contains(needle), "expected {needle:?} in {last:?}");
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("error")).count(),
        1,
        "{output:?}"
    );
    assert!(!output.stderr.contains("panicked"), "{output:?}");
    assert!(!output.stderr.contains("backtrace"), "{output:?}");
}

async fn init_creates_an_organization_with_a_one_time_password(backend: Backend) {
    let app = spawn(backend).await;

    let out = app
        .muster(&[
            "init",
            "--org-name",
            "Bay City Fire",
            "--admin-login",
            "chief",
            "--json",
        ])
        .await;

    assert!(out.status.success(), "{out:?}");
    let created: Value = serde_json::from_str(&out.stdout).expect("one JSON object");
    assert_eq!(created["org_slug"], "bay-city-fire");
    assert_eq!(created["admin_login"], "chief");
    assert_eq!(created["must_change_password"], true);
    assert_eq!(created["admin_password"].as_str().unwrap().len(), 16);
    for id in ["org_id", "root_node_id", "admin_user_id"] {
        assert!(
            created[id]
                .as_str()
                .unwrap()
                .parse::<muster_domain::OrgId>()
                .is_ok()
        );
    }
    let store = app.store().await;
    assert!(
        orgs::find_by_slug(&store, "bay-city-fire")
            .await
            .unwrap()
            .is_some()
    );

    let human = app
        .muster(&[
            "init",
            "--org-name",
            "Bay City EMS",
            "--admin-login",
            "medic1",
        ])
        .await;
    assert!(human.status.success(), "{human:?}");
    assert!(human.stdout.contains("sign-in handle: bay-city-ems"));
    assert!(human.stdout.contains("Temporary password (shown once"));
}

async fn init_with_a_password_file_uses_that_password(backend: Backend) {
    let app = spawn(backend).await;
    let file = app.dir().join("password.txt");
    std::fs::write(&file, "a-long-enough-secret\n").unwrap();

    let out = app
        .muster(&[
            "init",
            "--org-name",
            "Acme Alarm",
            "--admin-login",
            "ops@acme-alarm.com",
            "--admin-password-file",
            file.to_str().unwrap(),
            "--json",
        ])
        .await;

    assert!(out.status.success(), "{out:?}");
    let created: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(created["admin_password"], Value::Null);
    assert_eq!(created["must_change_password"], false);
    assert!(!out.stdout.contains("a-long-enough-secret"));
}

async fn init_refuses_an_organization_name_that_exists(backend: Backend) {
    let app = spawn(backend).await;
    let first = app
        .muster(&["init", "--org-name", "Harbor EMS", "--admin-login", "admin"])
        .await;
    assert!(first.status.success(), "{first:?}");
    let store = app.store().await;
    let before = orgs::count(&store).await.unwrap();

    let again = app
        .muster(&[
            "init",
            "--org-name",
            "HARBOR  ems",
            "--admin-login",
            "other",
        ])
        .await;

    assert_one_line_error(&again, "already exists");
    assert_eq!(orgs::count(&store).await.unwrap(), before);
}

async fn init_refuses_an_invalid_login_and_a_short_password(backend: Backend) {
    let app = spawn(backend).await;
    let file = app.dir().join("short.txt");
    std::fs::write(&file, "short").unwrap();

    let bad_login = app
        .muster(&["init", "--org-name", "Org A", "--admin-login", "no spaces"])
        .await;
    let short = app
        .muster(&[
            "init",
            "--org-name",
            "Org B",
            "--admin-login",
            "admin",
            "--admin-password-file",
            file.to_str().unwrap(),
        ])
        .await;
    let missing_file = app
        .muster(&[
            "init",
            "--org-name",
            "Org C",
            "--admin-login",
            "admin",
            "--admin-password-file",
            "/nonexistent/password",
        ])
        .await;

    assert_one_line_error(&bad_login, "admin_login");
    assert_one_line_error(&short, "at least 10 characters");
    assert_one_line_error(&missing_file, "/nonexistent/password");
    assert_eq!(orgs::count(&app.store().await).await.unwrap(), 0);
}

async fn migrate_applies_and_lists_schema_versions(backend: Backend) {
    let app = spawn(backend).await;

    let out = app.muster(&["migrate", "--status"]).await;

    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.contains("applied foundation"), "{}", out.stdout);
    assert!(
        out.stdout.contains("schema version: 2026"),
        "{}",
        out.stdout
    );
    let again = app.muster(&["migrate"]).await;
    assert!(again.status.success(), "{again:?}");
}

#[tokio::test]
async fn dev_argon2_rate_measures_verifications_per_second() {
    let app = spawn(Backend::Sqlite).await;
    let out = app.muster(&["dev", "argon2-rate", "--seconds", "1"]).await;
    assert!(out.status.success(), "{out:?}");
    let rate: f64 = out
        .stdout
        .strip_prefix("argon2id verifications: ")
        .and_then(|rest| rest.split('/').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected output: {}", out.stdout));
    assert!(rate > 0.0, "{}", out.stdout);
}

#[tokio::test]
async fn the_sign_in_rate_limits_are_configurable() {
    let app = muster_testkit::TestApp::spawn_with_env(
        crate::bin(),
        Backend::Sqlite,
        &[],
        &[("MUSTER_LOGIN_RATE_PER_LOGIN", "2")],
    )
    .await;
    let body =
        serde_json::json!({"org": "nowhere", "login": "ghost", "password": "wrong-password-1"});
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let reply = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&body)
            .send()
            .await
            .unwrap();
        statuses.push(reply.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 429]);
}

mod bad_configuration {
    //! Configuration errors are the same on every backend: run them once, on SQLite.

    use super::*;

    async fn app() -> muster_testkit::TestApp {
        spawn(Backend::Sqlite).await
    }

    #[tokio::test]
    async fn an_unreachable_database_is_named_in_one_line() {
        let app = app().await;
        let out = app
            .command()
            .args(["migrate"])
            .env(
                "DATABASE_URL",
                "postgres://muster:secret@127.0.0.1:1/muster",
            )
            .output()
            .await
            .unwrap();
        let out = to_output(out);
        assert_one_line_error(
            &out,
            "cannot connect to database postgres://muster:***@127.0.0.1:1/muster",
        );
        assert!(!out.stderr.contains("secret"));
    }

    #[tokio::test]
    async fn an_unsupported_database_url_is_refused() {
        let app = app().await;
        let out = to_output(
            app.command()
                .args(["serve"])
                .env("DATABASE_URL", "mysql://root@127.0.0.1/muster")
                .output()
                .await
                .unwrap(),
        );
        assert_one_line_error(&out, "unsupported DATABASE_URL");
    }

    #[tokio::test]
    async fn an_unwritable_data_directory_is_refused() {
        let app = app().await;
        let file = app.dir().join("a-file");
        std::fs::write(&file, "not a directory").unwrap();
        let out = to_output(
            app.command()
                .args(["serve"])
                .env("MUSTER_DATA_DIR", file.join("data"))
                .output()
                .await
                .unwrap(),
        );
        assert_one_line_error(&out, "cannot create data directory");
    }

    #[tokio::test]
    async fn a_malformed_configuration_file_is_refused() {
        let app = app().await;
        std::fs::write(app.dir().join("muster.toml"), "bind = \n[[").unwrap();
        let out = app.muster(&["migrate"]).await;
        assert_one_line_error(&out, "muster.toml");
    }

    #[tokio::test]
    async fn an_unknown_configuration_key_is_refused() {
        let app = app().await;
        std::fs::write(app.dir().join("muster.toml"), "bnid = \"127.0.0.1:9\"\n").unwrap();
        let out = app.muster(&["migrate"]).await;
        assert_one_line_error(&out, "bnid");
    }

    #[tokio::test]
    async fn the_configuration_file_sets_the_bind_address() {
        let app = app().await;
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        std::fs::write(
            app.dir().join("muster.toml"),
            format!("bind = \"127.0.0.1:{port}\"\n"),
        )
        .unwrap();
        let out = to_output(app.command().args(["serve"]).output().await.unwrap());
        assert_one_line_error(
            &out,
            &format!("cannot listen on 127.0.0.1:{port}: the address is already in use"),
        );
    }

    #[tokio::test]
    async fn a_port_in_use_is_named_in_one_line() {
        let app = app().await;
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap().to_string();
        let out = to_output(
            app.command()
                .args(["serve"])
                .env("MUSTER_BIND", &addr)
                .output()
                .await
                .unwrap(),
        );
        assert_one_line_error(&out, &format!("cannot listen on {addr}"));
    }

    fn to_output(out: std::process::Output) -> CommandOutput {
        CommandOutput {
            status: out.status,
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }
}

async fn org_list_shows_every_organization_with_its_counts(backend: Backend) {
    let app = spawn(backend).await;
    let empty = app.muster(&["org", "list"]).await;
    assert!(empty.status.success(), "{empty:?}");
    assert!(empty.stdout.contains("no organizations yet"));

    let fire = app.init_org("Bay City Fire", "chief").await;
    app.init_org("Harbor EMS", "medic").await;
    let api = app.api(&fire);
    let roles = api.get("/roles").await;
    let role = roles.expect(200)["items"][0]["id"].clone();
    api.post(
        "/users",
        &serde_json::json!({"login": "ada", "first_name": "Ada", "last_name": "King",
            "login_kind": "none",
            "placements": [{"node_id": fire.root_node_id, "role_id": role, "default": true}]}),
    )
    .await
    .expect(201);

    let table = app.muster(&["org", "list"]).await;
    assert!(table.status.success(), "{table:?}");
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(lines[0].starts_with("HANDLE"), "{}", table.stdout);
    assert!(lines[1].starts_with("bay-city-fire") && lines[1].ends_with("Bay City Fire"));
    assert!(lines[2].starts_with("harbor-ems"));

    let json = app.muster(&["org", "list", "--json"]).await;
    let orgs: Vec<Value> = json
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(orgs.len(), 2);
    assert_eq!(orgs[0]["slug"], "bay-city-fire");
    assert_eq!(orgs[0]["users"], 2);
    assert_eq!(orgs[0]["active_users"], 2);
    assert_eq!(orgs[0]["nodes"], 1);
    assert!(orgs[0]["changes"].as_i64().unwrap() >= 2);
    assert_eq!(orgs[1]["users"], 1);
}
