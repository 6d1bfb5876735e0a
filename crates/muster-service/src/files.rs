//! Employee files: documents kept in a person's file — upload, download, replace, retitle
//! and soft-delete.
//!
//! The organization switches the module on or off and decides whether employees see and
//! update their own files (`files_module` in the settings); with the module off, every
//! file route is refused. Besides the employee themself (as the settings allow), files are
//! read by those whose `users.view` reaches the person and kept by those whose
//! `users.edit` does (with the multi-location confirmation), like the rest of an
//! employee's account.
//!
//! An upload arrives in two steps so that nothing is received before it is allowed:
//! [`upload_limit`] decides (and says how large the upload may be), the web layer stages
//! the bytes ([`crate::blobs::Staging`]), then [`upload`] or [`replace`] checks the content,
//! stores the blob and commits the row with its audit event.

use muster_domain::access::Capability;
use muster_domain::files::{self as rules, EmployeeFile, FilePatch, UploadMeta};
use muster_domain::paging::Page;
use muster_domain::{FileId, UserId, ValidationErrors};
use muster_store::contacts as store_users;
use muster_store::files::{self as store_files, FileFields, FileRow};
use muster_store::{Store, Tx};
use uuid::Uuid;

use crate::audit::{self, Changes, Target};
use crate::blobs::{Blobs, Staged};
use crate::nodes::check_version;
use crate::paging::PageRequest;
use crate::{Ctx, Result, ServiceError, authz, settings};

/// The audit target kind of file events.
pub const TARGET_KIND: &str = "employee_file";

fn to_file(row: FileRow) -> EmployeeFile {
    EmployeeFile {
        id: FileId::from_uuid(row.id),
        user_id: UserId::from_uuid(row.user_id),
        title: row.title,
        category: row.category,
        file_name: row.file_name,
        content_type: row.content_type,
        size: row.size,
        sha256: row.sha256,
        uploaded_by_id: row.uploaded_by_id.map(UserId::from_uuid),
        created_at: row.created_at.get(),
        updated_at: row.updated_at.get(),
        version: row.version,
    }
}

/// Whether reading or changing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    Read,
    Change,
}

/// The module must be on; then the employee themself as the settings allow, or
/// `users.view` / `users.edit` over the person. Returns the organization's file size
/// limit.
async fn allowed(store: &Store, ctx: &Ctx, user: UserId, usage: Use) -> Result<u64> {
    authz::require_visible(ctx, user)?;
    let module = settings::get(store, ctx).await?.files_module;
    if !module.enabled {
        return Err(ServiceError::Forbidden(
            "the employee files module is switched off for this organization".to_owned(),
        ));
    }
    let limit = u64::try_from(module.max_file_bytes).unwrap_or(0);
    let own = authz::is_self(ctx, user);
    match usage {
        Use::Read if own && module.employees_see_own => Ok(limit),
        Use::Change if own && module.employees_update_own => Ok(limit),
        Use::Read => authz::require_on_user(ctx, Capability::UsersView, user).map(|()| limit),
        Use::Change => {
            authz::require_on_user(ctx, Capability::UsersEdit, user)?;
            authz::require_confirmed(ctx, user)?;
            Ok(limit)
        }
    }
}

/// Whether the caller may list and download `user`'s files (for the console's tab).
pub async fn can_read(store: &Store, ctx: &Ctx, user: UserId) -> Result<bool> {
    Ok(allowed(store, ctx, user, Use::Read).await.is_ok())
}

/// Whether the caller may upload, replace and delete `user`'s files (for the console).
pub async fn can_change(store: &Store, ctx: &Ctx, user: UserId) -> Result<bool> {
    Ok(allowed(store, ctx, user, Use::Change).await.is_ok())
}

/// Decides whether the caller may upload a file of `user`'s — or, with `replacing`,
/// replace that file at that version (404 or 412 before anything is received) — and
/// returns how many bytes the upload may have: the organization's limit, capped by the
/// server's.
pub async fn upload_limit(
    store: &Store,
    blobs: &Blobs,
    ctx: &Ctx,
    user: UserId,
    replacing: Option<(FileId, Option<i64>)>,
) -> Result<u64> {
    let limit = allowed(store, ctx, user, Use::Change).await?;
    if let Some((id, if_match)) = replacing {
        let current = stored(store, ctx, user, id).await?;
        check_version(if_match, current.version, "file")?;
    }
    Ok(limit.min(blobs.upload_cap()))
}

/// The live file `id` of `user`, read without asking (callers decide first).
async fn stored(store: &Store, ctx: &Ctx, user: UserId, id: FileId) -> Result<EmployeeFile> {
    live_user(store, ctx, user).await?;
    store_files::get(store, ctx.org, user, id)
        .await?
        .map(to_file)
        .ok_or(ServiceError::NotFound("file"))
}

async fn live_user(store: &Store, ctx: &Ctx, user: UserId) -> Result<()> {
    if store_users::user_is_live(store, ctx.org, user).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound("user"))
    }
}

async fn live_user_in(tx: &mut Tx, ctx: &Ctx, user: UserId) -> Result<()> {
    if store_users::user_is_live_tx(tx, ctx.org, user).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound("user"))
    }
}

async fn file_in(tx: &mut Tx, ctx: &Ctx, user: UserId, id: FileId) -> Result<EmployeeFile> {
    store_files::get_tx(tx, ctx.org, user, id)
        .await?
        .map(to_file)
        .ok_or(ServiceError::NotFound("file"))
}

/// One page of `user`'s files, newest first.
pub async fn list(
    store: &Store,
    ctx: &Ctx,
    user: UserId,
    page: &PageRequest,
) -> Result<Page<EmployeeFile>> {
    allowed(store, ctx, user, Use::Read).await?;
    let after = page.after::<Uuid>()?;
    live_user(store, ctx, user).await?;
    let rows = store_files::list(store, ctx.org, user, after, page.fetch_limit()).await?;
    let total = store_files::count(store, ctx.org, user).await?;
    Ok(page.page(rows, total, |r| r.id, to_file))
}

/// One file's description.
pub async fn get(store: &Store, ctx: &Ctx, user: UserId, id: FileId) -> Result<EmployeeFile> {
    allowed(store, ctx, user, Use::Read).await?;
    stored(store, ctx, user, id).await
}

/// A file's description and its content as a stream.
pub async fn download(
    store: &Store,
    blobs: &Blobs,
    ctx: &Ctx,
    user: UserId,
    id: FileId,
) -> Result<(
    EmployeeFile,
    futures_util::stream::BoxStream<'static, Result<bytes::Bytes>>,
)> {
    let file = get(store, ctx, user, id).await?;
    let (_, stream) = blobs.get(&file.sha256).await?;
    Ok((file, stream))
}

/// Refuses content that claims a type it does not have: a "PDF" that does not start like
/// one, an "image/png" that is not a PNG. Other types are stored as they are (and always
/// served as attachments).
fn check_claimed_type(content_type: &str, head: &[u8]) -> Result<()> {
    let image = |format| image::guess_format(head).is_ok_and(|f| f == format);
    let genuine = match content_type {
        "image/png" => image(image::ImageFormat::Png),
        "image/jpeg" | "image/jpg" => image(image::ImageFormat::Jpeg),
        "image/gif" => image(image::ImageFormat::Gif),
        "image/webp" => image(image::ImageFormat::WebP),
        "application/pdf" => head.starts_with(b"%PDF-"),
        _ => true,
    };
    if genuine {
        Ok(())
    } else {
        Err(
            ValidationErrors::single("file", format!("claims to be {content_type} but is not"))
                .into(),
        )
    }
}

/// The validated description of an upload: title, category, file name, media type.
struct Described {
    title: String,
    category: Option<String>,
    file_name: String,
    content_type: String,
}

fn describe(meta: &UploadMeta, staged: &Staged) -> Result<Described> {
    let file_name = rules::file_name(meta.file_name.as_deref());
    let content_type = rules::content_type(meta.content_type.as_deref());
    let mut errors = ValidationErrors::new();
    if staged.size == 0 {
        errors.push("file", "must not be empty");
    }
    let fields = match rules::upload_fields(meta, &file_name) {
        Ok(fields) => Some(fields),
        Err(e) => {
            for error in e.errors() {
                errors.push(error.field.clone(), error.message.clone());
            }
            None
        }
    };
    errors.into_result()?;
    check_claimed_type(&content_type, &staged.head)?;
    let (title, category) =
        fields.ok_or_else(|| ValidationErrors::single("title", "is invalid"))?;
    Ok(Described {
        title,
        category,
        file_name,
        content_type,
    })
}

/// Adds a file to `user`'s file: validates the description and the content, stores the
/// content under its hash, then commits the row and its audit event.
pub async fn upload(
    store: &Store,
    blobs: &Blobs,
    ctx: &Ctx,
    user: UserId,
    meta: UploadMeta,
    staged: Staged,
) -> Result<EmployeeFile> {
    allowed(store, ctx, user, Use::Change).await?;
    let described = describe(&meta, &staged)?;
    live_user(store, ctx, user).await?;
    blobs.put_staged(&staged).await?;

    let mut tx = store.begin_in(ctx.org).await?;
    live_user_in(&mut tx, ctx, user).await?;
    let id = FileId::new();
    let size = i64::try_from(staged.size).unwrap_or(i64::MAX);
    store_files::insert(
        &mut tx,
        ctx.org,
        user,
        id,
        &FileFields {
            title: &described.title,
            category: described.category.as_deref(),
            file_name: &described.file_name,
            content_type: &described.content_type,
            size,
            sha256: &staged.sha256,
            uploaded_by: ctx.actor.user(),
        },
        ctx.now,
    )
    .await?;
    let created = file_in(&mut tx, ctx, user, id).await?;
    audit::record(
        &mut tx,
        ctx,
        "file.upload",
        Target::of_user(TARGET_KIND, id, user),
        &Changes::created(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// Replaces a file's content (and, when given, its title and category).
#[allow(clippy::too_many_arguments)] // The file's address, its version and the upload.
pub async fn replace(
    store: &Store,
    blobs: &Blobs,
    ctx: &Ctx,
    user: UserId,
    id: FileId,
    if_match: Option<i64>,
    meta: UploadMeta,
    staged: Staged,
) -> Result<EmployeeFile> {
    allowed(store, ctx, user, Use::Change).await?;
    let current = stored(store, ctx, user, id).await?;
    check_version(if_match, current.version, "file")?;
    let meta = UploadMeta {
        title: meta.title.or(Some(current.title.clone())),
        category: meta.category.or(current.category.clone()),
        ..meta
    };
    let described = describe(&meta, &staged)?;
    blobs.put_staged(&staged).await?;

    let mut tx = store.begin_in(ctx.org).await?;
    live_user_in(&mut tx, ctx, user).await?;
    let before = file_in(&mut tx, ctx, user, id).await?;
    check_version(if_match, before.version, "file")?;
    let size = i64::try_from(staged.size).unwrap_or(i64::MAX);
    if !store_files::update(
        &mut tx,
        ctx.org,
        (user, id),
        before.version,
        &FileFields {
            title: &described.title,
            category: described.category.as_deref(),
            file_name: &described.file_name,
            content_type: &described.content_type,
            size,
            sha256: &staged.sha256,
            uploaded_by: ctx.actor.user(),
        },
        ctx.now,
    )
    .await?
    {
        return Err(ServiceError::Stale("file"));
    }
    let after = file_in(&mut tx, ctx, user, id).await?;
    audit::record(
        &mut tx,
        ctx,
        "file.replace",
        Target::of_user(TARGET_KIND, id, user),
        &Changes::diff(&before, &after).without("updated_at"),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Changes a file's title or category.
pub async fn update(
    store: &Store,
    ctx: &Ctx,
    user: UserId,
    id: FileId,
    if_match: Option<i64>,
    patch: FilePatch,
) -> Result<EmployeeFile> {
    allowed(store, ctx, user, Use::Change).await?;
    let mut errors = ValidationErrors::new();
    let title = patch
        .title
        .as_deref()
        .and_then(|t| errors.check(rules::file_title(t)));
    let category = patch
        .category
        .as_ref()
        .and_then(|c| errors.check(rules::file_category(c.as_deref())));
    errors.into_result()?;

    let mut tx = store.begin_in(ctx.org).await?;
    live_user_in(&mut tx, ctx, user).await?;
    let before = file_in(&mut tx, ctx, user, id).await?;
    check_version(if_match, before.version, "file")?;
    let title = title.unwrap_or_else(|| before.title.clone());
    let category = category.unwrap_or_else(|| before.category.clone());
    if title == before.title && category == before.category {
        return Ok(before);
    }
    if !store_files::update(
        &mut tx,
        ctx.org,
        (user, id),
        before.version,
        &FileFields {
            title: &title,
            category: category.as_deref(),
            file_name: &before.file_name,
            content_type: &before.content_type,
            size: before.size,
            sha256: &before.sha256,
            uploaded_by: before.uploaded_by_id,
        },
        ctx.now,
    )
    .await?
    {
        return Err(ServiceError::Stale("file"));
    }
    let after = file_in(&mut tx, ctx, user, id).await?;
    audit::record(
        &mut tx,
        ctx,
        "file.update",
        Target::of_user(TARGET_KIND, id, user),
        &Changes::diff(&before, &after).without("updated_at"),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Removes a file (soft: the row and its content stay, for the audit trail).
pub async fn delete(
    store: &Store,
    ctx: &Ctx,
    user: UserId,
    id: FileId,
    if_match: Option<i64>,
) -> Result<()> {
    allowed(store, ctx, user, Use::Change).await?;
    let mut tx = store.begin_in(ctx.org).await?;
    live_user_in(&mut tx, ctx, user).await?;
    let file = file_in(&mut tx, ctx, user, id).await?;
    check_version(if_match, file.version, "file")?;
    if !store_files::soft_delete(&mut tx, ctx.org, (user, id), file.version, ctx.now).await? {
        return Err(ServiceError::Stale("file"));
    }
    audit::record(
        &mut tx,
        ctx,
        "file.delete",
        Target::of_user(TARGET_KIND, id, user),
        &Changes::deleted(&file),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
