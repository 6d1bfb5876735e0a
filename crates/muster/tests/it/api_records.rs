//! `/api/v1/users/{id}/records/{section}`: personnel records, the promotion that sets a
//! rank and unit, the command hierarchy's privileges over each section, and the `status`
//! privilege.
#![allow(clippy::too_many_lines)] // Scenario tests read best top to bottom.

use muster_testkit::{Backend, on_both_backends};
use serde_json::{Value, json};

use crate::personnel::station;

on_both_backends!(
    records_are_written_read_changed_and_removed_on_the_audit_trail,
    applying_a_promotion_sets_rank_and_unit_in_the_same_transaction,
    records_follow_the_command_hierarchy_section_by_section,
    related_reports_are_kept_only_by_administrators_with_users_edit,
    bad_record_input_names_the_field_and_changes_nothing,
    the_status_privilege_switches_people_between_active_and_inactive,
    records_of_another_organization_are_not_found,
);

fn days_from_today(days: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(days)).to_string()
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn records_are_written_read_changed_and_removed_on_the_audit_trail(backend: Backend) {
    let s = station(backend).await;
    let base = format!("/users/{}/records/commendations", s.officer);
    let first = s
        .admin
        .post(
            &base,
            &json!({"date": "2025-03-01", "title": "Lifesaving Award", "category": "Award",
                    "notes": "Pulled a driver from a burning car.\nSecond line."}),
        )
        .await;
    let created = first.expect(201).clone();
    assert_eq!(created["section"], "commendations");
    assert_eq!(created["author_id"], s.org.admin_id.as_str());
    assert_eq!(
        created["notes"],
        "Pulled a driver from a burning car.\nSecond line."
    );
    assert_eq!(first.etag().as_deref(), Some("\"1\""));
    s.admin
        .post(
            &base,
            &json!({"date": "2026-01-15", "title": "Letter of Appreciation"}),
        )
        .await
        .expect(201);
    let listed = s.admin.get(&base).await;
    assert_eq!(
        titles(listed.expect(200)),
        ["Letter of Appreciation", "Lifesaving Award"],
        "newest first"
    );
    assert_eq!(listed.body["total"], 2);
    // Paging walks the same order.
    let page1 = s.admin.get(&format!("{base}?limit=1")).await;
    let cursor = page1.expect(200)["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let page2 = s
        .admin
        .get(&format!("{base}?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(titles(page2.expect(200)), ["Lifesaving Award"]);

    let one = format!("{base}/{}", created["id"].as_str().unwrap());
    let stale = s
        .admin
        .patch(&one, &json!({"title": "Medal of Valor"}), Some("\"7\""))
        .await;
    stale.expect_problem_type(412, "stale-etag");
    let changed = s
        .admin
        .patch(
            &one,
            &json!({"title": "Medal of Valor", "category": null}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(changed.expect(200)["title"], "Medal of Valor");
    assert_eq!(changed.body["category"], Value::Null);
    assert_eq!(changed.etag().as_deref(), Some("\"2\""));
    // The same record is not found under another section.
    s.admin
        .get(&one.replace("commendations", "discipline"))
        .await
        .expect_problem_type(404, "not-found");

    s.admin.delete(&one, Some("\"1\"")).await.expect(412);
    s.admin.delete(&one, Some("\"2\"")).await.expect(204);
    s.admin.get(&one).await.expect(404);
    assert_eq!(s.admin.get(&base).await.body["total"], 1);

    let actions = s.actions_about(&s.officer).await;
    assert_eq!(
        actions[..4],
        [
            "commendations.delete",
            "commendations.update",
            "commendations.create",
            "commendations.create"
        ]
    );
    let events = s
        .admin
        .get(&format!(
            "/audit?action=commendations.update&target_id={}",
            created["id"].as_str().unwrap()
        ))
        .await;
    let event = &events.expect(200)["items"][0];
    assert_eq!(event["target"]["kind"], "record");
    assert_eq!(event["changes"]["title"]["before"], "Lifesaving Award");
    assert_eq!(event["changes"]["title"]["after"], "Medal of Valor");
    assert!(event["changes"].get("updated_at").is_none(), "{event:#}");
    let verify = s.admin.post("/audit/verify", &json!({})).await;
    assert_eq!(verify.expect(200)["ok"], true);
}

async fn applying_a_promotion_sets_rank_and_unit_in_the_same_transaction(backend: Backend) {
    let s = station(backend).await;
    let item = |list: &'static str, name: &'static str| {
        let admin = s.admin.clone();
        async move {
            let reply = admin
                .post(&format!("/reference/{list}"), &json!({"name": name}))
                .await;
            reply.expect(201)["id"].as_str().unwrap().to_owned()
        }
    };
    let corporal = item("ranks", "Corporal").await;
    let sergeant = item("ranks", "Sergeant").await;
    let traffic = item("units", "Traffic").await;
    let lateral = item("assignment_types", "Lateral transfer").await;
    let user = format!("/users/{}", s.officer);
    let base = format!("{user}/records/promotions");

    // Applied now: the person's rank and unit follow.
    let applied = s
        .admin
        .post(
            &base,
            &json!({"date": days_from_today(-1), "rank_id": corporal, "unit_id": traffic,
                    "assignment_type_id": lateral, "notes": "Board of 2026", "apply": true}),
        )
        .await;
    let applied = applied.expect(201).clone();
    assert!(applied["applied_at"].is_string(), "{applied:#}");
    let profile = s.admin.get(&user).await;
    assert_eq!(profile.expect(200)["rank_id"], corporal.as_str());
    assert_eq!(profile.body["unit_id"], traffic.as_str());
    assert_eq!(
        s.actions_about(&s.officer).await[..2],
        ["user.promote", "promotions.create"]
    );

    // A promotion planned for next month is kept, not applied; applying it early is
    // refused and changes nothing.
    let planned = s
        .admin
        .post(
            &base,
            &json!({"date": days_from_today(30), "rank_id": sergeant}),
        )
        .await;
    let planned = planned.expect(201).clone();
    assert_eq!(planned["applied_at"], Value::Null);
    let planned_path = format!("{base}/{}", planned["id"].as_str().unwrap());
    s.admin
        .patch(&planned_path, &json!({"apply": true}), None)
        .await
        .expect_problem(422, "date");
    s.admin
        .post(
            &base,
            &json!({"date": days_from_today(30), "rank_id": sergeant, "apply": true}),
        )
        .await
        .expect_problem(422, "date");
    assert_eq!(s.admin.get(&user).await.body["rank_id"], corporal.as_str());
    assert_eq!(s.admin.get(&base).await.body["total"], 2);

    // Moved to today, it can be applied; the unit it does not name stays.
    let now_applied = s
        .admin
        .patch(
            &planned_path,
            &json!({"date": days_from_today(0), "apply": true}),
            Some("\"1\""),
        )
        .await;
    assert!(now_applied.expect(200)["applied_at"].is_string());
    let profile = s.admin.get(&user).await;
    assert_eq!(profile.body["rank_id"], sergeant.as_str());
    assert_eq!(profile.body["unit_id"], traffic.as_str());

    // An applied promotion is history: its rank and date stay; notes may change.
    let applied_path = format!("{base}/{}", applied["id"].as_str().unwrap());
    s.admin
        .patch(&applied_path, &json!({"rank_id": sergeant}), None)
        .await
        .expect_problem(409, "date");
    s.admin
        .patch(&applied_path, &json!({"apply": false}), None)
        .await
        .expect_problem(409, "apply");
    s.admin
        .patch(
            &applied_path,
            &json!({"notes": "Board of 2026, first on the list"}),
            None,
        )
        .await
        .expect(200);

    // A rank that is not in the list is refused before anything is written.
    let bogus = s
        .admin
        .post(
            &base,
            &json!({"date": "2020-01-01", "rank_id": traffic, "apply": true}),
        )
        .await;
    bogus.expect_problem(422, "rank_id");
    assert_eq!(s.admin.get(&base).await.body["total"], 2);
    assert_eq!(s.admin.get(&user).await.body["rank_id"], sergeant.as_str());

    // The sergeant (edit on direct reports' promotions) promotes too.
    let sgt = s.session("sgt").await;
    sgt.post(
        &base,
        &json!({"date": days_from_today(0), "rank_id": corporal, "apply": true}),
    )
    .await
    .expect(201);
    assert_eq!(s.admin.get(&user).await.body["rank_id"], corporal.as_str());
}

async fn records_follow_the_command_hierarchy_section_by_section(backend: Backend) {
    let s = station(backend).await;
    let sgt = s.session("sgt").await;
    let officer = s.session("officer").await;
    let officer2 = s.session("officer2").await;
    let discipline = format!("/users/{}/records/discipline", s.officer);
    let commendations = format!("/users/{}/records/commendations", s.officer);

    // The sergeant edits a direct report's discipline…
    let written = sgt
        .post(
            &discipline,
            &json!({"date": "2026-02-02", "title": "Late for shift", "category": "Verbal warning"}),
        )
        .await;
    let written = written.expect(201).clone();
    assert_eq!(written["author_id"], s.sgt.as_str());
    sgt.get(&discipline).await.expect(200);
    // …but only views their commendations: writing through a view-only scope is refused
    // and writes nothing.
    s.admin
        .post(
            &commendations,
            &json!({"date": "2026-01-01", "title": "Award"}),
        )
        .await
        .expect(201);
    sgt.get(&commendations).await.expect(200);
    let refused = sgt
        .post(
            &commendations,
            &json!({"date": "2026-01-02", "title": "Another"}),
        )
        .await;
    refused.expect_problem_type(403, "forbidden");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("commendations"),
        "{:#}",
        refused.body
    );
    let award = s.admin.get(&commendations).await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    sgt.patch(
        &format!("{commendations}/{award}"),
        &json!({"title": "X"}),
        None,
    )
    .await
    .expect_problem_type(403, "forbidden");
    sgt.delete(&format!("{commendations}/{award}"), None)
        .await
        .expect_problem_type(403, "forbidden");
    assert_eq!(s.admin.get(&commendations).await.body["total"], 1);
    // Performance reviews: no privilege at all.
    sgt.get(&format!("/users/{}/records/performance_reviews", s.officer))
        .await
        .expect_problem_type(403, "forbidden");

    // The officer reads their own commendations, not their own discipline.
    officer.get(&commendations).await.expect(200);
    officer
        .get(&discipline)
        .await
        .expect_problem_type(403, "forbidden");
    officer
        .post(
            &commendations,
            &json!({"date": "2026-01-03", "title": "Self-awarded"}),
        )
        .await
        .expect_problem_type(403, "forbidden");
    // A peer sees the officer only through photos: the records are 403, the sergeant's
    // are not even visible (404).
    officer2
        .get(&commendations)
        .await
        .expect_problem_type(403, "forbidden");
    officer2
        .get(&format!("/users/{}/records/discipline", s.sgt))
        .await
        .expect_problem_type(404, "not-found");
    // The sergeant cannot reach their superiors or themself.
    sgt.get(&format!("/users/{}/records/discipline", s.sgt))
        .await
        .expect_problem_type(403, "forbidden");
}

async fn related_reports_are_kept_only_by_administrators_with_users_edit(backend: Backend) {
    let s = station(backend).await;
    let reports = format!("/users/{}/records/related_reports", s.officer);
    let report = json!({"date": "2026-03-04", "title": "Use of force report",
                        "system": "RMS", "reference": "UOF-2026-0042",
                        "url": "https://rms.bcpd.gov/reports/UOF-2026-0042"});
    // The sergeant views related reports of direct reports but never writes them.
    let sgt = s.session("sgt").await;
    sgt.post(&reports, &report)
        .await
        .expect_problem_type(403, "forbidden");
    // The clerk's users.edit reaches the officer: they keep the links.
    let clerk = s.session("clerk").await;
    let created = clerk.post(&reports, &report).await;
    let id = created.expect(201)["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["reference"], "UOF-2026-0042");
    let listed = sgt.get(&reports).await;
    assert_eq!(listed.expect(200)["total"], 1);
    sgt.patch(&format!("{reports}/{id}"), &json!({"title": "X"}), None)
        .await
        .expect_problem_type(403, "forbidden");
    clerk
        .patch(
            &format!("{reports}/{id}"),
            &json!({"reference": "UOF-2026-0043"}),
            None,
        )
        .await
        .expect(200);
    // No command group may be given edit on related reports.
    s.admin
        .post(
            "/command-groups",
            &json!({"name": "Records", "privileges": [
                {"scope": "all", "access": "edit", "section": "related_reports"}]}),
        )
        .await
        .expect(422);
    clerk
        .delete(&format!("{reports}/{id}"), None)
        .await
        .expect(204);
}

async fn bad_record_input_names_the_field_and_changes_nothing(backend: Backend) {
    let s = station(backend).await;
    let user = &s.officer;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "commendations",
            json!({"date": days_from_today(10), "title": "Future medal"}),
            "date",
        ),
        (
            "discipline",
            json!({"date": days_from_today(3), "title": "Precrime"}),
            "date",
        ),
        (
            "service_history",
            json!({"date": "2020-01-01", "ends_on": days_from_today(40), "title": "Patrol"}),
            "ends_on",
        ),
        (
            "service_history",
            json!({"date": "2020-01-01", "ends_on": "2019-01-01", "title": "Patrol"}),
            "ends_on",
        ),
        ("commendations", json!({"title": "Undated"}), "date"),
        ("commendations", json!({"date": "2026-01-01"}), "title"),
        (
            "commendations",
            json!({"date": "2026-01-01", "title": "Award", "rating": 4}),
            "rating",
        ),
        (
            "performance_reviews",
            json!({"date": "2026-01-01", "title": "Annual", "rating": 9}),
            "rating",
        ),
        ("feedback_notes", json!({"date": "2026-01-01"}), "notes"),
        ("promotions", json!({"date": "2026-01-01"}), "rank_id"),
        (
            "discipline",
            json!({"date": "2026-01-01", "title": "x", "apply": true}),
            "apply",
        ),
        (
            "related_reports",
            json!({"date": "2026-01-01", "title": "Report", "system": "RMS",
                   "url": "javascript:alert(1)"}),
            "url",
        ),
        (
            "commendations",
            json!({"date": "2026-01-01", "title": "a\u{7}b"}),
            "title",
        ),
        (
            "commendations",
            json!({"date": "2026-01-01", "title": "x".repeat(201)}),
            "title",
        ),
        (
            "commendations",
            json!({"date": "1066-10-14", "title": "Hastings"}),
            "date",
        ),
        (
            "commendations",
            json!({"date": "2026-01-01", "title": "Award", "colour": "gold"}),
            "colour",
        ),
    ];
    for (section, body, field) in cases {
        let reply = s
            .admin
            .post(&format!("/users/{user}/records/{section}"), &body)
            .await;
        reply.expect_problem(422, field);
    }
    // A section that does not exist is not an address.
    s.admin
        .get(&format!("/users/{user}/records/salary"))
        .await
        .expect(404);
    s.admin
        .post(&format!("/users/{user}/records/salary"), &json!({}))
        .await
        .expect(404);
    for section in [
        "commendations",
        "discipline",
        "service_history",
        "performance_reviews",
        "feedback_notes",
        "promotions",
        "related_reports",
    ] {
        let listed = s
            .admin
            .get(&format!("/users/{user}/records/{section}"))
            .await;
        assert_eq!(listed.expect(200)["total"], 0, "{section}");
    }
    // A valid record's bad patch changes nothing either.
    let created = s
        .admin
        .post(
            &format!("/users/{user}/records/performance_reviews"),
            &json!({"date": "2026-01-01", "title": "Annual", "rating": 4}),
        )
        .await;
    let path = format!(
        "/users/{user}/records/performance_reviews/{}",
        created.expect(201)["id"].as_str().unwrap()
    );
    s.admin
        .patch(
            &path,
            &json!({"date": days_from_today(5), "rating": 0}),
            None,
        )
        .await
        .expect(422);
    let kept = s.admin.get(&path).await;
    assert_eq!(kept.expect(200)["rating"], 4);
    assert_eq!(kept.etag().as_deref(), Some("\"1\""));
}

async fn the_status_privilege_switches_people_between_active_and_inactive(backend: Backend) {
    let s = station(backend).await;
    let sgt = s.session("sgt").await;
    let officer = format!("/users/{}", s.officer);
    let deactivated = sgt.post(&format!("{officer}/deactivate"), &json!({})).await;
    assert_eq!(deactivated.expect(200)["status"], "inactive");
    let reactivated = sgt.post(&format!("{officer}/reactivate"), &json!({})).await;
    assert_eq!(reactivated.expect(200)["status"], "active");
    // The status privilege is not the lifecycle: no bans, no retirements…
    sgt.post(&format!("{officer}/ban"), &json!({}))
        .await
        .expect_problem_type(403, "forbidden");
    // …and no reactivating someone an administrator banned.
    s.admin
        .post(&format!("{officer}/ban"), &json!({}))
        .await
        .expect(200);
    sgt.post(&format!("{officer}/reactivate"), &json!({}))
        .await
        .expect_problem_type(403, "forbidden");
    assert_eq!(s.admin.get(&officer).await.body["status"], "banned");
    // Peers hold no status privilege.
    let officer2 = s.session("officer2").await;
    officer2
        .post(&format!("/users/{}/deactivate", s.officer2), &json!({}))
        .await
        .expect_problem_type(403, "forbidden");
}

async fn records_of_another_organization_are_not_found(backend: Backend) {
    let s = station(backend).await;
    let other = s.app.init_org("Bravo EMS", "bravo.chief").await;
    let bravo = s.app.api(&other);
    let mine = format!("/users/{}/records/commendations", s.officer);
    let created = s
        .admin
        .post(&mine, &json!({"date": "2026-01-01", "title": "Award"}))
        .await;
    let id = created.expect(201)["id"].as_str().unwrap().to_owned();
    bravo.get(&mine).await.expect(404);
    bravo.get(&format!("{mine}/{id}")).await.expect(404);
    bravo
        .post(&mine, &json!({"date": "2026-01-01", "title": "Planted"}))
        .await
        .expect(404);
    bravo
        .patch(&format!("{mine}/{id}"), &json!({"title": "X"}), None)
        .await
        .expect(404);
    bravo
        .delete(&format!("{mine}/{id}"), None)
        .await
        .expect(404);
    // Their own user's path with our record's id: not found either.
    let theirs = format!("/users/{}/records/commendations/{id}", other.admin_id);
    bravo.get(&theirs).await.expect(404);
    let kept = s.admin.get(&format!("{mine}/{id}")).await;
    assert_eq!(kept.expect(200)["title"], "Award");
}
