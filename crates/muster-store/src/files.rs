//! Employee files (soft-deleted, versioned) and photos (one live per person, every earlier
//! one kept). Rows name their content by SHA-256; the bytes live in the blob store.

use muster_domain::{FileId, OrgId, UserId};
use uuid::Uuid;

use crate::db::on_conn;
use crate::{DbTime, Result, Store, Tx};

/// An employee file as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FileRow {
    /// Id.
    pub id: Uuid,
    /// The employee.
    pub user_id: Uuid,
    /// Title.
    pub title: String,
    /// Category.
    pub category: Option<String>,
    /// File name.
    pub file_name: String,
    /// Media type.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Who uploaded the current content.
    pub uploaded_by_id: Option<Uuid>,
    /// First uploaded.
    pub created_at: DbTime,
    /// Last changed.
    pub updated_at: DbTime,
    /// Version.
    pub version: i64,
}

/// A file's state, new or updated.
#[derive(Debug)]
pub struct FileFields<'a> {
    /// Title.
    pub title: &'a str,
    /// Category.
    pub category: Option<&'a str>,
    /// File name.
    pub file_name: &'a str,
    /// Media type.
    pub content_type: &'a str,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256 of the content.
    pub sha256: &'a str,
    /// Who uploaded the content.
    pub uploaded_by: Option<UserId>,
}

const SELECT: &str = "SELECT id, user_id, title, category, file_name, content_type, size, sha256,
     uploaded_by_id, created_at, updated_at, version FROM employee_files";

const ONE: &str = " WHERE org_id = $1 AND user_id = $2 AND id = $3 AND deleted_at IS NULL";

/// The live file `id` of `user`.
pub async fn get(store: &Store, org: OrgId, user: UserId, id: FileId) -> Result<Option<FileRow>> {
    let sql = format!("{SELECT}{ONE}");
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(user.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?,
    )
}

/// The live file `id` of `user`, read inside `tx`.
pub async fn get_tx(tx: &mut Tx, org: OrgId, user: UserId, id: FileId) -> Result<Option<FileRow>> {
    let sql = format!("{SELECT}{ONE}");
    Ok(
        on_conn!(tx tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(user.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?,
    )
}

/// Live files of `user`, newest first, after the id `after`.
pub async fn list(
    store: &Store,
    org: OrgId,
    user: UserId,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<FileRow>> {
    let sql = format!(
        "{SELECT} WHERE org_id = $1 AND user_id = $2 AND deleted_at IS NULL
           AND ($3 IS NULL OR id < $3)
         ORDER BY id DESC LIMIT $4"
    );
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(user.as_uuid())
        .bind(after)
        .bind(limit)
        .fetch_all(c)
        .await)?,
    )
}

/// How many live files `user` has.
pub async fn count(store: &Store, org: OrgId, user: UserId) -> Result<i64> {
    Ok(on_conn!(store store, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM employee_files
         WHERE org_id = $1 AND user_id = $2 AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .fetch_one(c)
    .await)?)
}

/// Inserts a file of `user`.
pub async fn insert(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    id: FileId,
    fields: &FileFields<'_>,
    now: DbTime,
) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO employee_files (id, org_id, user_id, title, category, file_name,
             content_type, size, sha256, uploaded_by_id, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11)",
    )
    .bind(id.as_uuid())
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(fields.title)
    .bind(fields.category)
    .bind(fields.file_name)
    .bind(fields.content_type)
    .bind(fields.size)
    .bind(fields.sha256)
    .bind(fields.uploaded_by.map(|u| u.as_uuid()))
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Writes `fields` if the file is still at `version`; returns whether it was.
pub async fn update(
    tx: &mut Tx,
    org: OrgId,
    (user, id): (UserId, FileId),
    version: i64,
    fields: &FileFields<'_>,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE employee_files SET title = $5, category = $6, file_name = $7, content_type = $8,
             size = $9, sha256 = $10, uploaded_by_id = $11, updated_at = $12,
             version = version + 1
         WHERE org_id = $1 AND user_id = $2 AND id = $3 AND version = $4 AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(id.as_uuid())
    .bind(version)
    .bind(fields.title)
    .bind(fields.category)
    .bind(fields.file_name)
    .bind(fields.content_type)
    .bind(fields.size)
    .bind(fields.sha256)
    .bind(fields.uploaded_by.map(|u| u.as_uuid()))
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Soft-deletes the file if it is still at `version`; returns whether it was.
pub async fn soft_delete(
    tx: &mut Tx,
    org: OrgId,
    (user, id): (UserId, FileId),
    version: i64,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE employee_files SET deleted_at = $5, updated_at = $5, version = version + 1
         WHERE org_id = $1 AND user_id = $2 AND id = $3 AND version = $4 AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(id.as_uuid())
    .bind(version)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// A photo as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PhotoRow {
    /// Id.
    pub id: Uuid,
    /// Whose.
    pub user_id: Uuid,
    /// SHA-256 of the standard picture.
    pub sha256: String,
    /// Its width.
    pub width: i64,
    /// Its height.
    pub height: i64,
    /// Its size in bytes.
    pub size: i64,
    /// SHA-256 of the thumbnail.
    pub thumbnail_sha256: String,
    /// Thumbnail width.
    pub thumbnail_width: i64,
    /// Thumbnail height.
    pub thumbnail_height: i64,
    /// Uploader.
    pub uploaded_by_id: Option<Uuid>,
    /// The person's photo count at this one.
    pub version: i64,
    /// When.
    pub created_at: DbTime,
}

/// A new photo's pictures.
#[derive(Debug)]
pub struct PhotoFields<'a> {
    /// SHA-256 of the standard picture.
    pub sha256: &'a str,
    /// Its width and height.
    pub size_px: (i64, i64),
    /// Its size in bytes.
    pub bytes: i64,
    /// SHA-256 of the thumbnail.
    pub thumbnail_sha256: &'a str,
    /// Thumbnail width and height.
    pub thumbnail_px: (i64, i64),
    /// Uploader.
    pub uploaded_by: Option<UserId>,
}

const PHOTO_SELECT: &str = "SELECT id, user_id, sha256, width, height, size, thumbnail_sha256,
     thumbnail_width, thumbnail_height, uploaded_by_id, version, created_at FROM user_photos
     WHERE org_id = $1 AND user_id = $2 AND deleted_at IS NULL";

/// The live photo of `user`.
pub async fn photo(store: &Store, org: OrgId, user: UserId) -> Result<Option<PhotoRow>> {
    Ok(on_conn!(store store, c => sqlx::query_as(PHOTO_SELECT)
        .bind(org.as_uuid())
        .bind(user.as_uuid())
        .fetch_optional(c)
        .await)?)
}

/// The live photo of `user`, read inside `tx`.
pub async fn photo_tx(tx: &mut Tx, org: OrgId, user: UserId) -> Result<Option<PhotoRow>> {
    Ok(on_conn!(tx tx, c => sqlx::query_as(PHOTO_SELECT)
        .bind(org.as_uuid())
        .bind(user.as_uuid())
        .fetch_optional(c)
        .await)?)
}

/// Retires `user`'s live photo, if any; returns whether there was one.
pub async fn remove_photo(tx: &mut Tx, org: OrgId, user: UserId, now: DbTime) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE user_photos SET deleted_at = $3
         WHERE org_id = $1 AND user_id = $2 AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows > 0)
}

/// Inserts `user`'s new live photo (retire the old one first); returns its version.
pub async fn insert_photo(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    fields: &PhotoFields<'_>,
    now: DbTime,
) -> Result<i64> {
    let version: i64 = on_conn!(tx tx, c => sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM user_photos WHERE user_id = $1",
    )
    .bind(user.as_uuid())
    .fetch_one(c)
    .await)?;
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO user_photos (id, org_id, user_id, sha256, width, height, size,
             thumbnail_sha256, thumbnail_width, thumbnail_height, uploaded_by_id, version,
             created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(Uuid::now_v7())
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(fields.sha256)
    .bind(fields.size_px.0)
    .bind(fields.size_px.1)
    .bind(fields.bytes)
    .bind(fields.thumbnail_sha256)
    .bind(fields.thumbnail_px.0)
    .bind(fields.thumbnail_px.1)
    .bind(fields.uploaded_by.map(|u| u.as_uuid()))
    .bind(version)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(version)
}

/// How many file rows exist at all, deleted or not (test support).
#[doc(hidden)]
pub async fn file_rows_for_tests(store: &Store) -> Result<i64> {
    Ok(on_conn!(store store, c => sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM employee_files) + (SELECT COUNT(*) FROM user_photos)",
    )
    .fetch_one(c)
    .await)?)
}
