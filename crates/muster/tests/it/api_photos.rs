//! `/api/v1/users/{id}/photo`: pictures re-encoded without their metadata, thumbnails,
//! fakes and decompression bombs refused, and the `photo` privilege.
#![allow(clippy::too_many_lines)] // Scenario tests read best top to bottom.

use image::ImageFormat;
use muster_testkit::{Backend, Part, on_both_backends};
use reqwest::Method;
use serde_json::{Value, json};

use crate::personnel::station;
use crate::pictures::{dimensions, format_of, jpeg_with_metadata, picture, png_bomb};

on_both_backends!(
    a_photo_is_re_encoded_without_metadata_and_has_a_thumbnail,
    fake_pictures_and_decompression_bombs_are_refused,
    the_photo_privilege_governs_who_sees_and_changes_photos,
);

fn photo_form(file_name: &str, content_type: &str, data: Vec<u8>) -> Vec<Part> {
    vec![Part::file("photo", file_name, content_type, data)]
}

async fn a_photo_is_re_encoded_without_metadata_and_has_a_thumbnail(backend: Backend) {
    let s = station(backend).await;
    let path = format!("/users/{}/photo", s.officer);
    assert_eq!(s.admin.download(&path).await.status, 404, "no photo yet");

    let secret = "GPS 37.7749 N 122.4194 W serial CAM-0042";
    let uploaded = s
        .admin
        .upload(
            Method::PUT,
            &path,
            &photo_form("me.jpg", "image/jpeg", jpeg_with_metadata(secret)),
            None,
        )
        .await;
    let photo = uploaded.expect(200).clone();
    let height = photo["height"].as_u64().unwrap();
    assert_eq!(photo["width"], 600, "fits the standard size");
    assert!(
        (466..=467).contains(&height),
        "keeps the aspect ratio: {height}"
    );
    assert_eq!(photo["thumbnail_width"], 128);
    assert_eq!(photo["version"], 1);
    assert_eq!(uploaded.etag().as_deref(), Some("\"1\""));

    let standard = s.admin.download(&path).await;
    assert_eq!(standard.status, 200);
    assert_eq!(standard.header("content-type"), "image/jpeg");
    assert_eq!(format_of(&standard.bytes), ImageFormat::Jpeg);
    assert_eq!(
        dimensions(&standard.bytes),
        (600, u32::try_from(height).unwrap())
    );
    let thumbnail = s.admin.download(&format!("{path}?size=thumbnail")).await;
    assert_eq!(dimensions(&thumbnail.bytes), (128, 128));
    for bytes in [&standard.bytes, &thumbnail.bytes] {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("GPS 37.7749"), "metadata survived");
        assert!(!text.contains("<script>"), "trailing bytes survived");
        assert!(!text.contains("Exif"), "an EXIF segment survived");
    }
    s.admin
        .get(&format!("{path}?size=huge"))
        .await
        .expect_problem(422, "size");

    // Replacing it (a bare PNG body works too); a stale If-Match changes nothing.
    let png = picture(300, 400, ImageFormat::Png);
    s.admin
        .send_raw(Method::PUT, &path, "image/png", png.clone(), Some("\"7\""))
        .await
        .expect_problem_type(412, "stale-etag");
    let replaced = s
        .admin
        .send_raw(Method::PUT, &path, "image/png", png, Some("\"1\""))
        .await;
    assert_eq!(replaced.expect(200)["version"], 2);
    assert_eq!(
        replaced.body["width"], 300,
        "small pictures are not enlarged"
    );
    assert_eq!(dimensions(&s.admin.download(&path).await.bytes), (300, 400));

    s.admin.delete(&path, Some("\"1\"")).await.expect(412);
    s.admin.delete(&path, Some("\"2\"")).await.expect(204);
    assert_eq!(s.admin.download(&path).await.status, 404);
    s.admin.delete(&path, None).await.expect(404);
    assert_eq!(
        s.actions_about(&s.officer).await[..3],
        ["photo.delete", "photo.upload", "photo.upload"]
    );
    let events = s.admin.get("/audit?action=photo.upload").await;
    let latest = &events.expect(200)["items"][0];
    assert_eq!(latest["target"]["kind"], "photo");
    assert_eq!(
        latest["changes"]["version"],
        Value::Null,
        "bookkeeping is not a change"
    );
    assert_eq!(latest["changes"]["width"]["before"], 600);
}

async fn fake_pictures_and_decompression_bombs_are_refused(backend: Backend) {
    let s = station(backend).await;
    let path = format!("/users/{}/photo", s.officer);
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        (
            "claims to be a PNG",
            "image/png",
            b"<svg onload=alert(1)></svg>".to_vec(),
            "JPEG, PNG, WebP or GIF",
        ),
        (
            "a BMP, not accepted",
            "image/png",
            [b"BM".as_slice(), &[0_u8; 120]].concat(),
            "JPEG, PNG, WebP or GIF",
        ),
        (
            "truncated",
            "image/png",
            picture(400, 400, ImageFormat::Png)[..300].to_vec(),
            "damaged",
        ),
        (
            "60000×60000 gray from 4 KiB",
            "image/png",
            png_bomb(60_000, 60_000, 8, 0),
            "too large",
        ),
        (
            "8000×8000 RGBA16: 512 MiB to decode",
            "image/png",
            png_bomb(8_000, 8_000, 16, 6),
            "too large",
        ),
    ];
    for (what, content_type, data, says) in cases {
        let started = std::time::Instant::now();
        let reply = s
            .admin
            .upload(
                Method::PUT,
                &path,
                &photo_form("x.png", content_type, data),
                None,
            )
            .await;
        reply.expect_problem(422, "photo");
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{what}: {detail}");
        // Refused from the header, not after inflating gigabytes.
        assert!(
            started.elapsed().as_secs() < 20,
            "{what} took {:?}",
            started.elapsed()
        );
    }
    assert_eq!(s.admin.download(&path).await.status, 404);
    let blobs = s.app.data_dir().join("blobs");
    assert_eq!(
        std::fs::read_dir(&blobs).map_or(0, Iterator::count),
        0,
        "nothing stored"
    );
    s.admin
        .upload(Method::PUT, &path, &[Part::text("title", "no photo")], None)
        .await
        .expect_problem(422, "photo");
    s.admin
        .put(&path, &json!({"photo": "base64?"}))
        .await
        .expect_problem_type(415, "unsupported-media-type");
    assert!(
        !s.actions_about(&s.officer)
            .await
            .iter()
            .any(|a| a.starts_with("photo.")),
        "nothing audited"
    );
}

async fn the_photo_privilege_governs_who_sees_and_changes_photos(backend: Backend) {
    let s = station(backend).await;
    let officer_photo = format!("/users/{}/photo", s.officer);
    let form = || photo_form("p.png", "image/png", picture(64, 64, ImageFormat::Png));
    // The sergeant holds edit on direct reports' photos.
    let sgt = s.session("sgt").await;
    sgt.upload(Method::PUT, &officer_photo, &form(), None)
        .await
        .expect(200);
    // A peer sees it but cannot change it.
    let officer2 = s.session("officer2").await;
    assert_eq!(officer2.download(&officer_photo).await.status, 200);
    officer2
        .upload(Method::PUT, &officer_photo, &form(), None)
        .await
        .expect_problem_type(403, "forbidden");
    officer2
        .delete(&officer_photo, None)
        .await
        .expect_problem_type(403, "forbidden");
    // The clerk's users.edit is not the photo privilege; nor does it show the photo.
    let clerk = s.session("clerk").await;
    clerk
        .upload(Method::PUT, &officer_photo, &form(), None)
        .await
        .expect_problem_type(403, "forbidden");
    assert_eq!(clerk.download(&officer_photo).await.status, 403);
    // Employees change their own photo while the organization lets them.
    let officer = s.session("officer").await;
    officer
        .upload(Method::PUT, &officer_photo, &form(), None)
        .await
        .expect(200);
    assert_eq!(officer.download(&officer_photo).await.status, 200);
    s.admin
        .patch(
            "/settings",
            &json!({"self_service_fields": ["phones"]}),
            None,
        )
        .await
        .expect(200);
    officer
        .delete(&officer_photo, None)
        .await
        .expect_problem_type(403, "forbidden");
    // Nobody sees the photo of someone they cannot see at all.
    assert_eq!(
        officer2
            .download(&format!("/users/{}/photo", s.sgt))
            .await
            .status,
        404
    );
    let current = s
        .admin
        .get(&format!("/users/{}/audit?action=photo.", s.officer))
        .await;
    assert_eq!(current.expect(200)["total"], 2);
}
