//! Employee files and photos: what is kept about an uploaded document or picture, and the
//! rules for the names and types clients send with them.
//!
//! File names come from the client and are never used as paths: contents are stored under
//! their hash. A name is still cleaned ([`file_name`]) because it is shown in the console
//! and sent back in `Content-Disposition`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::validation::{FieldError, ValidationErrors, text};
use crate::{FileId, UserId};

/// Longest file title accepted.
pub const FILE_TITLE_MAX: usize = 200;
/// Longest file category accepted.
pub const FILE_CATEGORY_MAX: usize = 100;
/// Longest file name kept (longer names are shortened, keeping the extension).
pub const FILE_NAME_MAX: usize = 200;
/// Longest media type accepted.
pub const CONTENT_TYPE_MAX: usize = 100;
/// The media type of content whose type the client did not say or said wrongly.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// A document kept in an employee's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EmployeeFile {
    /// Its id.
    #[schema(value_type = uuid::Uuid)]
    pub id: FileId,
    /// The employee whose file it is in.
    #[schema(value_type = uuid::Uuid)]
    pub user_id: UserId,
    /// Title shown in lists.
    pub title: String,
    /// Org-chosen category ("Certificates", "Training").
    pub category: Option<String>,
    /// The uploaded file's name (without any directory).
    pub file_name: String,
    /// Its media type as the uploader said.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// SHA-256 of the content, hex: where the content is stored.
    pub sha256: String,
    /// Who uploaded the current content.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub uploaded_by_id: Option<UserId>,
    /// When the file was first uploaded.
    pub created_at: DateTime<Utc>,
    /// When it (or its content) was last changed.
    pub updated_at: DateTime<Utc>,
    /// Version for optimistic concurrency; also sent as the `ETag`.
    pub version: i64,
}

/// `PATCH /users/{id}/files/{fid}`: a file's title and category (the content is replaced
/// with `PUT`).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(clippy::option_option)] // A merge patch's field: absent, null, or a value.
pub struct FilePatch {
    /// New title.
    #[serde(default)]
    pub title: Option<String>,
    /// New category; `null` clears it.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub category: Option<Option<String>>,
}

/// What came with an upload besides the content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadMeta {
    /// The `title` form field.
    pub title: Option<String>,
    /// The `category` form field.
    pub category: Option<String>,
    /// The file name the client sent.
    pub file_name: Option<String>,
    /// The media type the client sent.
    pub content_type: Option<String>,
}

/// A person's photo: a standard-size picture and a thumbnail, both re-encoded as JPEG.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Photo {
    /// Whose photo.
    #[schema(value_type = uuid::Uuid)]
    pub user_id: UserId,
    /// Width of the standard picture in pixels.
    pub width: i64,
    /// Its height.
    pub height: i64,
    /// Its size in bytes.
    pub size: i64,
    /// Width of the thumbnail.
    pub thumbnail_width: i64,
    /// Height of the thumbnail.
    pub thumbnail_height: i64,
    /// SHA-256 of the standard picture.
    pub sha256: String,
    /// SHA-256 of the thumbnail.
    pub thumbnail_sha256: String,
    /// Who uploaded it.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub uploaded_by_id: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Counts the person's photos so far; sent as the `ETag`.
    pub version: i64,
}

/// Validates a file title.
pub fn file_title(raw: &str) -> Result<String, FieldError> {
    text("title", raw, FILE_TITLE_MAX)
}

/// Validates an optional category (blank is none).
pub fn file_category(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => text("category", value, FILE_CATEGORY_MAX).map(Some),
    }
}

/// Cleans a client's file name: only the last path segment (after `/` or `\`) is kept,
/// control characters, quotes and leading dots are dropped, and what is left is shortened
/// to [`FILE_NAME_MAX`] characters keeping the extension. Nothing usable left gives
/// `"file"`.
#[must_use]
pub fn file_name(raw: Option<&str>) -> String {
    let last = raw
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\'' | ';' | '\u{202e}'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        return "file".to_owned();
    }
    if cleaned.chars().count() <= FILE_NAME_MAX {
        return cleaned.to_owned();
    }
    let (stem, extension) = match cleaned.rsplit_once('.') {
        Some((stem, ext)) if ext.chars().count() <= 10 && !stem.is_empty() => (stem, Some(ext)),
        _ => (cleaned, None),
    };
    let room = FILE_NAME_MAX - extension.map_or(0, |e| e.chars().count() + 1);
    let mut short: String = stem.chars().take(room).collect();
    if let Some(ext) = extension {
        short.push('.');
        short.push_str(ext);
    }
    short
}

/// A media type as the client sent it, if it looks like one (`type/subtype` of token
/// characters, parameters dropped, lowercased); otherwise [`OCTET_STREAM`].
#[must_use]
pub fn content_type(raw: Option<&str>) -> String {
    let Some(essence) = raw.and_then(|v| v.split(';').next()).map(str::trim) else {
        return OCTET_STREAM.to_owned();
    };
    let token = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
    };
    match essence.split_once('/') {
        Some((kind, sub)) if token(kind) && token(sub) && essence.len() <= CONTENT_TYPE_MAX => {
            essence.to_ascii_lowercase()
        }
        _ => OCTET_STREAM.to_owned(),
    }
}

/// Validates the title and category of an upload; the title defaults to the file name.
pub fn upload_fields(
    meta: &UploadMeta,
    file_name: &str,
) -> Result<(String, Option<String>), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let title = errors.check(file_title(meta.title.as_deref().unwrap_or(file_name)));
    let category = errors.check(file_category(meta.category.as_deref()));
    errors.into_result()?;
    match (title, category) {
        (Some(title), Some(category)) => Ok((title, category)),
        _ => Err(ValidationErrors::single("title", "is invalid")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_their_directories_and_tricks() {
        assert_eq!(file_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(file_name(Some("C:\\Users\\x\\report.pdf")), "report.pdf");
        assert_eq!(file_name(Some("..")), "file");
        assert_eq!(file_name(Some("/")), "file");
        assert_eq!(file_name(Some(".htaccess")), "htaccess");
        assert_eq!(file_name(Some("a\u{0}b\nc\".pdf")), "abc.pdf");
        assert_eq!(file_name(Some("evil\u{202e}fdp.exe")), "evilfdp.exe");
        assert_eq!(file_name(None), "file");
        let long = format!("{}.pdf", "x".repeat(500));
        let short = file_name(Some(&long));
        assert_eq!(short.chars().count(), FILE_NAME_MAX);
        assert_eq!(short.rsplit_once('.').map(|(_, ext)| ext), Some("pdf"));
    }

    #[test]
    fn content_types_are_kept_only_when_they_look_like_one() {
        assert_eq!(
            content_type(Some("Application/PDF; charset=x")),
            "application/pdf"
        );
        assert_eq!(content_type(Some("text/html")), "text/html");
        assert_eq!(content_type(Some("nonsense")), OCTET_STREAM);
        assert_eq!(content_type(Some("a/b\r\nX-Evil: 1")), OCTET_STREAM);
        assert_eq!(content_type(None), OCTET_STREAM);
    }
}
