//! `/api/v1/users/{id}/files`: employee files on the local blob store and on a real
//! S3-compatible server (moto), the module's switches, and hostile uploads.
#![allow(clippy::too_many_lines)] // Scenario tests read best top to bottom.

use std::path::Path;

use image::ImageFormat;
use muster_testkit::{Api, Backend, Part, S3Server, on_both_backends};
use reqwest::Method;
use serde_json::{Value, json};

use crate::personnel::{station, station_with_env};
use crate::pictures::picture;

on_both_backends!(
    files_are_uploaded_downloaded_replaced_and_removed,
    the_organization_decides_who_sees_and_keeps_employee_files,
    oversized_uploads_are_refused_and_nothing_is_stored,
    fake_and_tricky_uploads_are_refused_or_defused,
    files_of_another_organization_are_not_found,
    files_and_photos_are_kept_in_an_s3_bucket_when_configured,
);

const PDF: &[u8] =
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

fn pdf_part(name: &str, body: &[u8]) -> Part {
    Part::file("file", name, "application/pdf", body.to_vec())
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

async fn upload(api: &Api, user: &str, parts: &[Part]) -> muster_testkit::Reply {
    api.upload(Method::POST, &format!("/users/{user}/files"), parts, None)
        .await
}

async fn files_are_uploaded_downloaded_replaced_and_removed(backend: Backend) {
    let s = station(backend).await;
    let base = format!("/users/{}/files", s.officer);
    let uploaded = upload(
        &s.admin,
        &s.officer,
        &[
            Part::text("title", "Firearms qualification"),
            Part::text("category", "Certificates"),
            pdf_part("qualification 2026.pdf", PDF),
        ],
    )
    .await;
    let file = uploaded.expect(201).clone();
    assert_eq!(file["title"], "Firearms qualification");
    assert_eq!(file["category"], "Certificates");
    assert_eq!(file["file_name"], "qualification 2026.pdf");
    assert_eq!(file["content_type"], "application/pdf");
    assert_eq!(file["size"], PDF.len());
    assert_eq!(file["uploaded_by_id"], s.org.admin_id.as_str());
    let sha = file["sha256"].as_str().unwrap().to_owned();
    // Content-addressed: stored once under its hash.
    let blob = s
        .app
        .data_dir()
        .join("blobs/sha256")
        .join(&sha[..2])
        .join(&sha);
    assert_eq!(std::fs::read(&blob).unwrap(), PDF);
    assert!(files_under(&s.app.data_dir().join("staging")).is_empty());

    let path = format!("{base}/{}", file["id"].as_str().unwrap());
    let download = s.admin.download(&path).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.bytes, PDF);
    assert_eq!(download.header("content-type"), "application/pdf");
    assert_eq!(
        download.header("content-disposition"),
        "attachment; filename=\"qualification 2026.pdf\"; \
         filename*=UTF-8''qualification%202026.pdf"
    );
    assert_eq!(download.header("x-content-type-options"), "nosniff");
    assert!(
        download
            .header("content-security-policy")
            .contains("sandbox")
    );
    assert_eq!(download.header("etag"), "\"1\"");

    // The same bytes again: a second file, one blob.
    upload(&s.admin, &s.officer, &[pdf_part("copy.pdf", PDF)])
        .await
        .expect(201);
    let listed = s.admin.get(&base).await;
    assert_eq!(listed.expect(200)["total"], 2);
    assert_eq!(listed.body["items"][0]["title"], "copy.pdf", "newest first");
    assert_eq!(files_under(&s.app.data_dir().join("blobs")).len(), 1);

    // Replace the content (If-Match), then retitle.
    let replacement = b"%PDF-1.7\nrenewed\n%%EOF\n".to_vec();
    s.admin
        .upload(
            Method::PUT,
            &path,
            &[pdf_part("renewed.pdf", &replacement)],
            Some("\"9\""),
        )
        .await
        .expect_problem_type(412, "stale-etag");
    let replaced = s
        .admin
        .upload(
            Method::PUT,
            &path,
            &[pdf_part("renewed.pdf", &replacement)],
            Some("\"1\""),
        )
        .await;
    assert_eq!(replaced.expect(200)["file_name"], "renewed.pdf");
    assert_eq!(replaced.body["title"], "Firearms qualification", "kept");
    assert_eq!(replaced.body["version"], 2);
    assert_eq!(s.admin.download(&path).await.bytes, replacement);
    let retitled = s
        .admin
        .patch(
            &path,
            &json!({"title": "Firearms 2026", "category": null}),
            Some("\"2\""),
        )
        .await;
    assert_eq!(retitled.expect(200)["title"], "Firearms 2026");
    assert_eq!(retitled.body["category"], Value::Null);

    s.admin.delete(&path, Some("\"3\"")).await.expect(204);
    s.admin.download(&path).await;
    assert_eq!(s.admin.download(&path).await.status, 404);
    assert_eq!(s.admin.get(&base).await.body["total"], 1);
    let actions = s.actions_about(&s.officer).await;
    assert_eq!(
        actions[..5],
        [
            "file.delete",
            "file.update",
            "file.replace",
            "file.upload",
            "file.upload"
        ]
    );
}

async fn the_organization_decides_who_sees_and_keeps_employee_files(backend: Backend) {
    let s = station(backend).await;
    let officer = s.session("officer").await;
    let own = format!("/users/{}/files", s.officer);
    upload(&s.admin, &s.officer, &[pdf_part("review.pdf", PDF)])
        .await
        .expect(201);

    // By default employees see their own files but do not change them.
    assert_eq!(officer.get(&own).await.expect(200)["total"], 1);
    upload(&officer, &s.officer, &[pdf_part("mine.pdf", PDF)])
        .await
        .expect_problem_type(403, "forbidden");
    // Nobody else's: a peer cannot even see the person's files (no users.view).
    let officer2 = s.session("officer2").await;
    officer2
        .get(&own)
        .await
        .expect_problem_type(403, "forbidden");
    upload(&officer2, &s.officer, &[pdf_part("x.pdf", PDF)])
        .await
        .expect_problem_type(403, "forbidden");
    // The clerk (users.view and users.edit at the organization) keeps them.
    let clerk = s.session("clerk").await;
    upload(&clerk, &s.officer, &[pdf_part("from-clerk.pdf", PDF)])
        .await
        .expect(201);

    // The organization lets employees keep their own files…
    s.admin
        .patch(
            "/settings",
            &json!({"files_module": {"employees_update_own": true}}),
            None,
        )
        .await
        .expect(200);
    upload(&officer, &s.officer, &[pdf_part("mine.pdf", PDF)])
        .await
        .expect(201);
    // …or hides them from them…
    s.admin
        .patch(
            "/settings",
            &json!({"files_module": {"employees_see_own": false, "employees_update_own": false}}),
            None,
        )
        .await
        .expect(200);
    officer
        .get(&own)
        .await
        .expect_problem_type(403, "forbidden");
    // …or switches the module off for everyone.
    s.admin
        .patch(
            "/settings",
            &json!({"files_module": {"enabled": false}}),
            None,
        )
        .await
        .expect(200);
    let off = s.admin.get(&own).await;
    off.expect_problem_type(403, "forbidden");
    assert!(
        off.body["detail"]
            .as_str()
            .unwrap()
            .contains("switched off")
    );
    upload(&s.admin, &s.officer, &[pdf_part("x.pdf", PDF)])
        .await
        .expect_problem_type(403, "forbidden");
    s.admin
        .patch(
            "/settings",
            &json!({"files_module": {"enabled": true}}),
            None,
        )
        .await
        .expect(200);
    assert_eq!(s.admin.get(&own).await.expect(200)["total"], 3);
}

async fn oversized_uploads_are_refused_and_nothing_is_stored(backend: Backend) {
    let s = station(backend).await;
    s.admin
        .patch(
            "/settings",
            &json!({"files_module": {"max_file_bytes": 4096}}),
            None,
        )
        .await
        .expect(200);
    let blobs = s.app.data_dir().join("blobs");
    // Just over the limit: refused while streaming.
    let mut body = PDF.to_vec();
    body.resize(4097, b'x');
    let refused = upload(&s.admin, &s.officer, &[pdf_part("big.pdf", &body)]).await;
    refused.expect_problem_type(413, "payload-too-large");
    assert!(refused.body["detail"].as_str().unwrap().contains("4096"));
    // Far over: refused by its Content-Length before anything is read.
    let mut huge = PDF.to_vec();
    huge.resize(3 * 1024 * 1024, b'x');
    upload(&s.admin, &s.officer, &[pdf_part("huge.pdf", &huge)])
        .await
        .expect_problem_type(413, "payload-too-large");
    // A bare body for the photo, over its limit, the same.
    let photo = vec![0_u8; 16 * 1024 * 1024];
    s.admin
        .send_raw(
            Method::PUT,
            &format!("/users/{}/photo", s.officer),
            "image/png",
            photo,
            None,
        )
        .await
        .expect_problem_type(413, "payload-too-large");

    assert!(files_under(&blobs).is_empty(), "{:?}", files_under(&blobs));
    assert!(files_under(&s.app.data_dir().join("staging")).is_empty());
    let store = s.app.store().await;
    assert_eq!(
        muster_store::files::file_rows_for_tests(&store)
            .await
            .unwrap(),
        0
    );
    store.close().await;
    assert!(
        !s.actions_about(&s.officer)
            .await
            .iter()
            .any(|a| a.starts_with("file.")),
        "nothing audited"
    );
    // At the limit exactly: accepted.
    body.truncate(4096);
    upload(&s.admin, &s.officer, &[pdf_part("fits.pdf", &body)])
        .await
        .expect(201);
}

async fn fake_and_tricky_uploads_are_refused_or_defused(backend: Backend) {
    let s = station(backend).await;
    let html = b"<html><script>alert(document.cookie)</script></html>".to_vec();
    // Claims to be a PNG, is HTML.
    let fake = upload(
        &s.admin,
        &s.officer,
        &[Part::file("file", "avatar.png", "image/png", html.clone())],
    )
    .await;
    fake.expect_problem(422, "file");
    assert!(fake.body["detail"].as_str().unwrap().contains("image/png"));
    // Claims to be a PDF, is HTML.
    upload(
        &s.admin,
        &s.officer,
        &[Part::file(
            "file",
            "report.pdf",
            "application/pdf",
            html.clone(),
        )],
    )
    .await
    .expect_problem(422, "file");
    // A real PNG is a PNG.
    upload(
        &s.admin,
        &s.officer,
        &[Part::file(
            "file",
            "map.png",
            "image/png",
            picture(20, 20, ImageFormat::Png),
        )],
    )
    .await
    .expect(201);
    // Empty, missing, doubled, unknown fields, not a form at all.
    upload(&s.admin, &s.officer, &[pdf_part("empty.pdf", b"")])
        .await
        .expect_problem(422, "file");
    upload(&s.admin, &s.officer, &[Part::text("title", "No file")])
        .await
        .expect_problem(422, "file");
    upload(
        &s.admin,
        &s.officer,
        &[pdf_part("a.pdf", PDF), pdf_part("b.pdf", PDF)],
    )
    .await
    .expect_problem(422, "file");
    upload(
        &s.admin,
        &s.officer,
        &[Part::text("owner", "someone else"), pdf_part("a.pdf", PDF)],
    )
    .await
    .expect_problem(422, "owner");
    upload(
        &s.admin,
        &s.officer,
        &[
            Part::text("title", &"t".repeat(201)),
            pdf_part("a.pdf", PDF),
        ],
    )
    .await
    .expect_problem(422, "title");
    s.admin
        .post(
            &format!("/users/{}/files", s.officer),
            &json!({"file": "x"}),
        )
        .await
        .expect_problem_type(415, "unsupported-media-type");
    let broken = s
        .admin
        .send_raw(
            Method::POST,
            &format!("/users/{}/files", s.officer),
            "multipart/form-data; boundary=nope",
            b"garbage without boundaries".to_vec(),
            None,
        )
        .await;
    assert_eq!(broken.status, 400, "{:#}", broken.body);

    // Path tricks in the name: only the last segment is kept, and the content lands
    // under its hash, nowhere else.
    let html_text = b"just text".to_vec();
    for (name, kept) in [
        ("../../../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/var/lib/muster/muster.db", "muster.db"),
        ("..", "file"),
        (".hidden", "hidden"),
    ] {
        let reply = upload(
            &s.admin,
            &s.officer,
            &[Part::file("file", name, "text/plain", html_text.clone())],
        )
        .await;
        assert_eq!(reply.expect(201)["file_name"], kept, "{name}");
        assert_eq!(reply.body["title"], kept, "{name}");
    }
    let everything = files_under(s.app.dir());
    assert!(
        !everything
            .iter()
            .any(|p| p.ends_with("passwd") || p.ends_with("win.ini")),
        "{everything:?}"
    );
    let blobs = files_under(&s.app.data_dir().join("blobs"));
    assert_eq!(blobs.len(), 2, "the PNG and the text, each once: {blobs:?}");
    // An uploaded HTML page never runs as this site.
    let page = upload(
        &s.admin,
        &s.officer,
        &[Part::file("file", "page.html", "text/html", html)],
    )
    .await;
    let id = page.expect(201)["id"].as_str().unwrap().to_owned();
    let download = s
        .admin
        .download(&format!("/users/{}/files/{id}", s.officer))
        .await;
    assert!(
        download
            .header("content-disposition")
            .starts_with("attachment;")
    );
    assert_eq!(download.header("x-content-type-options"), "nosniff");
    assert!(
        download
            .header("content-security-policy")
            .contains("sandbox")
    );
}

async fn files_of_another_organization_are_not_found(backend: Backend) {
    let s = station(backend).await;
    let other = s.app.init_org("Bravo EMS", "bravo.chief").await;
    let bravo = s.app.api(&other);
    let uploaded = upload(&s.admin, &s.officer, &[pdf_part("mine.pdf", PDF)]).await;
    let id = uploaded.expect(201)["id"].as_str().unwrap().to_owned();
    let mine = format!("/users/{}/files", s.officer);
    bravo.get(&mine).await.expect(404);
    assert_eq!(bravo.download(&format!("{mine}/{id}")).await.status, 404);
    upload(&bravo, &s.officer, &[pdf_part("planted.pdf", PDF)])
        .await
        .expect(404);
    bravo
        .upload(
            Method::PUT,
            &format!("{mine}/{id}"),
            &[pdf_part("x.pdf", PDF)],
            None,
        )
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
    // Our file's id under their own administrator: not found.
    let theirs = format!("/users/{}/files/{id}", other.admin_id);
    assert_eq!(bravo.download(&theirs).await.status, 404);
    bravo
        .patch(&theirs, &json!({"title": "X"}), None)
        .await
        .expect(404);
    assert_eq!(s.admin.download(&format!("{mine}/{id}")).await.bytes, PDF);
}

async fn files_and_photos_are_kept_in_an_s3_bucket_when_configured(backend: Backend) {
    let s3 = S3Server::start().await;
    s3.create_bucket("muster-files").await;
    let env = s3.env("muster-files");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let s = station_with_env(backend, &env).await;

    let uploaded = upload(&s.admin, &s.officer, &[pdf_part("s3.pdf", PDF)]).await;
    let file = uploaded.expect(201).clone();
    let sha = file["sha256"].as_str().unwrap().to_owned();
    assert_eq!(
        s3.keys("muster-files").await,
        [format!("sha256/{}/{sha}", &sha[..2])]
    );
    let path = format!(
        "/users/{}/files/{}",
        s.officer,
        file["id"].as_str().unwrap()
    );
    assert_eq!(s.admin.download(&path).await.bytes, PDF);
    // A large file goes up in parts and comes back whole.
    let large: Vec<u8> = b"%PDF-1.7\n"
        .iter()
        .copied()
        .chain((0..9_500_000_u32).map(|i| (i % 251) as u8))
        .collect();
    let replaced = s
        .admin
        .upload(Method::PUT, &path, &[pdf_part("large.pdf", &large)], None)
        .await;
    assert_eq!(replaced.expect(200)["size"], large.len());
    assert_eq!(s.admin.download(&path).await.bytes, large);
    assert_eq!(s3.keys("muster-files").await.len(), 2);

    // Photos too: the standard picture and the thumbnail.
    s.admin
        .upload(
            Method::PUT,
            &format!("/users/{}/photo", s.officer),
            &[Part::file(
                "photo",
                "me.png",
                "image/png",
                picture(800, 600, ImageFormat::Png),
            )],
            None,
        )
        .await
        .expect(200);
    assert_eq!(s3.keys("muster-files").await.len(), 4);
    let thumb = s
        .admin
        .download(&format!("/users/{}/photo?size=thumbnail", s.officer))
        .await;
    assert_eq!(thumb.status, 200);
    assert_eq!(crate::pictures::dimensions(&thumb.bytes), (128, 128));

    // Refused uploads leave the bucket as it was; nothing lands on local disk.
    s.admin
        .patch(
            "/settings",
            &json!({"files_module": {"max_file_bytes": 1024}}),
            None,
        )
        .await
        .expect(200);
    upload(&s.admin, &s.officer, &[pdf_part("big.pdf", &large[..2048])])
        .await
        .expect(413);
    assert_eq!(s3.keys("muster-files").await.len(), 4);
    assert!(files_under(&s.app.data_dir().join("blobs")).is_empty());
}
