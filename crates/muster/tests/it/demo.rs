//! `muster serve --demo`.

use muster_store::{orgs, people};
use muster_testkit::{Backend, TestApp, on_both_backends};

use crate::bin;

on_both_backends!(serve_demo_seeds_an_empty_database_once);

async fn serve_demo_seeds_an_empty_database_once(backend: Backend) {
    let mut app = TestApp::spawn_with_args(bin(), backend, &["--demo"]).await;
    let printed = wait_for_stdout(&app, "harbor-county-police").await;
    assert!(
        printed.contains("Seeded the demo organization"),
        "{printed}"
    );
    assert!(printed.contains("admin"), "{printed}");
    let store = app.store().await;
    let org = orgs::find_by_slug(&store, "harbor-county-police")
        .await
        .unwrap()
        .expect("the demo organization exists");
    let users = people::count_users(&store, org.id.into()).await.unwrap();
    assert!((280..=320).contains(&users), "{users} users");
    let api = muster_testkit::Api::new(&app, "mst_demo_harbor_county_police_2026");
    let nodes = api.get("/nodes").await;
    assert_eq!(
        nodes.expect(200)["total"],
        29,
        "root, 2 regions, 6 divisions, 20 locations"
    );
    // The officer's personnel file has records to show, the promotion applied.
    let found = api.get("/users?q=holloway").await;
    let officer = found.expect(200)["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let promotions = api
        .get(&format!("/users/{officer}/records/promotions"))
        .await;
    let promotions = promotions.expect(200);
    assert_eq!(promotions["total"], 1, "{promotions}");
    assert!(promotions["items"][0]["applied_at"].is_string());
    let commendations = api
        .get(&format!("/users/{officer}/records/commendations"))
        .await;
    assert_eq!(
        commendations.expect(200)["items"][0]["title"],
        "Lifesaving Award"
    );
    assert!(app.stop().await.success());

    app.start(&["--demo"]).await;
    let printed = wait_for_stdout(&app, "harbor-county-police").await;

    assert!(
        printed.contains("already here; nothing changed"),
        "{printed}"
    );
    assert_eq!(
        people::count_users(&store, org.id.into()).await.unwrap(),
        users
    );
    assert_eq!(orgs::count(&store).await.unwrap(), 1);
}

/// Waits until the server has printed `needle` on stdout, and returns what it printed.
async fn wait_for_stdout(app: &TestApp, needle: &str) -> String {
    for _ in 0..100 {
        let out = app.stdout();
        if out.contains(needle) {
            return out;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the server never printed {needle:?}: {}", app.stdout());
}
