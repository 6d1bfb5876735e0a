//! A person's photo: upload (decoded and re-encoded, see [`crate::images`]), read the
//! standard picture or the thumbnail, remove.
//!
//! The `photo` privilege of the command hierarchy governs it (DESIGN.md §2.2): `view` to
//! see someone's photo, `edit` to add or remove it. Everyone sees their own photo, and
//! changes it when the organization lists `photo` among the self-service fields. Every
//! photo ever uploaded stays (retired, not deleted) for the audit trail; events have the
//! target kind `photo` and never touch the access index.

use muster_domain::UserId;
use muster_domain::files::Photo;
use muster_domain::hierarchy::{Access, Section};
use muster_store::Store;
use muster_store::contacts as store_users;
use muster_store::files::{self as store_files, PhotoFields, PhotoRow};

use crate::audit::{self, Changes, Target};
use crate::blobs::{Blobs, Staged};
use crate::images::{self, ImageRefusal};
use crate::nodes::check_version;
use crate::{Ctx, Result, ServiceError, authz, settings};

/// The audit target kind of photo events.
pub const TARGET_KIND: &str = "photo";
/// The largest picture accepted for upload (capped by the server's upload limit).
pub const MAX_UPLOAD_BYTES: u64 = 15 * 1024 * 1024;

fn to_photo(row: PhotoRow) -> Photo {
    Photo {
        user_id: UserId::from_uuid(row.user_id),
        width: row.width,
        height: row.height,
        size: row.size,
        thumbnail_width: row.thumbnail_width,
        thumbnail_height: row.thumbnail_height,
        sha256: row.sha256,
        thumbnail_sha256: row.thumbnail_sha256,
        uploaded_by_id: row.uploaded_by_id.map(UserId::from_uuid),
        created_at: row.created_at.get(),
        version: row.version,
    }
}

/// May the caller see `user`'s photo? Their own, or `view` on the `photo` section.
pub fn may_view(ctx: &Ctx, user: UserId) -> Result<()> {
    if authz::is_self(ctx, user) {
        return Ok(());
    }
    authz::require_section(ctx, user, Section::Photo, Access::View)
}

/// May the caller add or remove `user`'s photo? Their own when `photo` is a self-service
/// field, or `edit` on the `photo` section.
pub async fn may_change(store: &Store, ctx: &Ctx, user: UserId) -> Result<()> {
    if authz::is_self(ctx, user)
        && settings::get(store, ctx)
            .await?
            .allows_self_service("photo")
    {
        return Ok(());
    }
    authz::require_section(ctx, user, Section::Photo, Access::Edit)
}

/// Decides whether the caller may upload `user`'s photo and returns how many bytes the
/// upload may have.
pub async fn upload_limit(store: &Store, blobs: &Blobs, ctx: &Ctx, user: UserId) -> Result<u64> {
    may_change(store, ctx, user).await?;
    Ok(MAX_UPLOAD_BYTES.min(blobs.upload_cap()))
}

async fn live_user(store: &Store, ctx: &Ctx, user: UserId) -> Result<()> {
    if store_users::user_is_live(store, ctx.org, user).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound("user"))
    }
}

/// `user`'s current photo (404 when they have none).
pub async fn get(store: &Store, ctx: &Ctx, user: UserId) -> Result<Photo> {
    may_view(ctx, user)?;
    live_user(store, ctx, user).await?;
    store_files::photo(store, ctx.org, user)
        .await?
        .map(to_photo)
        .ok_or(ServiceError::NotFound("photo"))
}

/// `user`'s current photo with the JPEG bytes of the standard picture or the thumbnail,
/// as a stream, and their size.
pub async fn content(
    store: &Store,
    blobs: &Blobs,
    ctx: &Ctx,
    user: UserId,
    thumbnail: bool,
) -> Result<(
    Photo,
    u64,
    futures_util::stream::BoxStream<'static, Result<bytes::Bytes>>,
)> {
    let photo = get(store, ctx, user).await?;
    let hash = if thumbnail {
        &photo.thumbnail_sha256
    } else {
        &photo.sha256
    };
    let (size, stream) = blobs.get(hash).await?;
    Ok((photo, size, stream))
}

/// Sets `user`'s photo from an uploaded picture: decoded within bounds, re-encoded at the
/// standard size and as a thumbnail, both stored, then the photo row and its audit event
/// committed (the previous photo is retired in the same transaction).
pub async fn upload(
    store: &Store,
    blobs: &Blobs,
    ctx: &Ctx,
    user: UserId,
    if_match: Option<i64>,
    staged: Staged,
) -> Result<Photo> {
    may_change(store, ctx, user).await?;
    live_user(store, ctx, user).await?;
    if staged.size == 0 {
        return Err(muster_domain::ValidationErrors::single("photo", "must not be empty").into());
    }
    let data = staged.read_all().await?;
    drop(staged);
    let made = tokio::task::spawn_blocking(move || images::renditions(&data))
        .await
        .map_err(|_| ServiceError::refused_image(ImageRefusal::Damaged))?
        .map_err(ServiceError::refused_image)?;
    let bytes = i64::try_from(made.standard.bytes.len()).unwrap_or(i64::MAX);
    let size_px = (
        i64::from(made.standard.width),
        i64::from(made.standard.height),
    );
    let thumbnail_px = (
        i64::from(made.thumbnail.width),
        i64::from(made.thumbnail.height),
    );
    let sha256 = blobs.put_bytes(made.standard.bytes).await?;
    let thumbnail_sha256 = blobs.put_bytes(made.thumbnail.bytes).await?;

    let mut tx = store.begin_in(ctx.org).await?;
    if !store_users::user_is_live_tx(&mut tx, ctx.org, user).await? {
        return Err(ServiceError::NotFound("user"));
    }
    let before = store_files::photo_tx(&mut tx, ctx.org, user)
        .await?
        .map(to_photo);
    if let (Some(expected), Some(current)) = (if_match, &before) {
        check_version(Some(expected), current.version, "photo")?;
    }
    store_files::remove_photo(&mut tx, ctx.org, user, ctx.now).await?;
    store_files::insert_photo(
        &mut tx,
        ctx.org,
        user,
        &PhotoFields {
            sha256: &sha256,
            size_px,
            bytes,
            thumbnail_sha256: &thumbnail_sha256,
            thumbnail_px,
            uploaded_by: ctx.actor.user(),
        },
        ctx.now,
    )
    .await?;
    let after = store_files::photo_tx(&mut tx, ctx.org, user)
        .await?
        .map(to_photo)
        .ok_or(ServiceError::NotFound("photo"))?;
    let changes = match &before {
        Some(before) => Changes::diff(before, &after),
        None => Changes::created(&after),
    };
    audit::record(
        &mut tx,
        ctx,
        "photo.upload",
        Target {
            kind: TARGET_KIND,
            id: None,
            subject: Some(user),
        },
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Removes `user`'s photo (it stays in the audit trail).
pub async fn delete(store: &Store, ctx: &Ctx, user: UserId, if_match: Option<i64>) -> Result<()> {
    may_change(store, ctx, user).await?;
    let mut tx = store.begin_in(ctx.org).await?;
    if !store_users::user_is_live_tx(&mut tx, ctx.org, user).await? {
        return Err(ServiceError::NotFound("user"));
    }
    let photo = store_files::photo_tx(&mut tx, ctx.org, user)
        .await?
        .map(to_photo)
        .ok_or(ServiceError::NotFound("photo"))?;
    check_version(if_match, photo.version, "photo")?;
    store_files::remove_photo(&mut tx, ctx.org, user, ctx.now).await?;
    audit::record(
        &mut tx,
        ctx,
        "photo.delete",
        Target {
            kind: TARGET_KIND,
            id: None,
            subject: Some(user),
        },
        &Changes::deleted(&photo),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
