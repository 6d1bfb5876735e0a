//! `/users/{id}/files` and `/users/{id}/photo`: employee files and the photo, uploaded as
//! `multipart/form-data` (a photo also as a bare image body) and streamed into the blob
//! store; downloads stream back out.
//!
//! Downloads are always attachments with the stored media type, `nosniff` and a sandboxing
//! Content-Security-Policy, so an uploaded HTML or SVG file can never run as this site.

use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
    ETAG, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use futures_util::TryStreamExt;
use muster_domain::files::{EmployeeFile, FilePatch, Photo};
use muster_domain::paging::Page;
use muster_domain::{FileId, UserId};
use muster_service::{files, photos};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ListParams;
use crate::AppState;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, IfMatch, Tagged};
use crate::problem::Problem;
use crate::upload::{self, Accept};

const TAG: &str = "Employee files and photo";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_files, upload_file))
        .routes(routes!(
            download_file,
            replace_file,
            update_file,
            delete_file
        ))
        .routes(routes!(get_photo, put_photo, delete_photo))
        // Uploads are limited by the organization's settings while they stream (see
        // `upload`), not by the default body limit.
        .layer(DefaultBodyLimit::disable())
}

/// `multipart/form-data` of `POST /users/{id}/files` and `PUT /users/{id}/files/{fid}`.
#[derive(ToSchema)]
#[allow(dead_code)] // Only describes the form in the OpenAPI document.
struct FileForm {
    /// The content; its part's file name and media type are kept.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Title (default: the file name).
    title: Option<String>,
    /// Category.
    category: Option<String>,
}

/// `multipart/form-data` of `PUT /users/{id}/photo` (a bare `image/*` body works too).
#[derive(ToSchema)]
#[allow(dead_code)] // Only describes the form in the OpenAPI document.
struct PhotoForm {
    /// A JPEG, PNG, WebP or GIF picture.
    #[schema(value_type = String, format = Binary)]
    photo: Vec<u8>,
}

/// List a person's files, newest first.
#[utoipa::path(get, path = "/users/{id}/files", tag = TAG,
    params(("id" = uuid::Uuid, Path), ListParams),
    responses(
        (status = 200, body = Page<EmployeeFile>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_files(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(user): ApiPath<UserId>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<EmployeeFile>>, Problem> {
    Ok(Json(
        files::list(&state.store, &ctx, user, &params.page()?).await?,
    ))
}

/// Upload a file to a person's file (`multipart/form-data`: `file`, optional `title` and
/// `category`). Larger than the organization's `files_module.max_file_bytes`: 413, nothing
/// stored.
#[utoipa::path(post, path = "/users/{id}/files", tag = TAG,
    params(("id" = uuid::Uuid, Path)),
    request_body(content = FileForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = EmployeeFile, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn upload_file(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(user): ApiPath<UserId>,
    request: Request,
) -> Result<(StatusCode, Tagged<Json<EmployeeFile>>), Problem> {
    let limit = files::upload_limit(&state.store, &state.blobs, &ctx, user, None).await?;
    let received = upload::receive(&state, request, limit, FILE_FORM).await?;
    let staged = received
        .staged
        .ok_or_else(|| Problem::invalid_field("file", "is required"))?;
    let file = files::upload(
        &state.store,
        &state.blobs,
        &ctx,
        user,
        received.meta,
        staged,
    )
    .await?;
    Ok((StatusCode::CREATED, Tagged(file.version, Json(file))))
}

const FILE_FORM: Accept = Accept {
    file_field: "file",
    bare_images: false,
};

/// Download a file: its content, as an attachment.
#[utoipa::path(get, path = "/users/{id}/files/{fid}", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("fid" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "The content, with the stored media type",
         content_type = "application/octet-stream", body = Vec<u8>, headers(("ETag" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
async fn download_file(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath((user, id)): ApiPath<(UserId, FileId)>,
) -> Result<Response, Problem> {
    let (file, stream) = files::download(&state.store, &state.blobs, &ctx, user, id).await?;
    let body = Body::from_stream(stream.map_err(std::io::Error::other));
    streamed(
        body,
        &file.content_type,
        u64::try_from(file.size).unwrap_or(0),
        file.version,
        &disposition("attachment", &file.file_name),
    )
}

/// Replace a file's content (`multipart/form-data` like the upload; `title` and
/// `category` change only when given).
#[utoipa::path(put, path = "/users/{id}/files/{fid}", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("fid" = uuid::Uuid, Path),
           ("If-Match" = Option<String>, Header)),
    request_body(content = FileForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, body = EmployeeFile, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn replace_file(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath((user, id)): ApiPath<(UserId, FileId)>,
    IfMatch(version): IfMatch,
    request: Request,
) -> Result<Tagged<Json<EmployeeFile>>, Problem> {
    let limit =
        files::upload_limit(&state.store, &state.blobs, &ctx, user, Some((id, version))).await?;
    let received = upload::receive(&state, request, limit, FILE_FORM).await?;
    let staged = received
        .staged
        .ok_or_else(|| Problem::invalid_field("file", "is required"))?;
    let file = files::replace(
        &state.store,
        &state.blobs,
        &ctx,
        user,
        id,
        version,
        received.meta,
        staged,
    )
    .await?;
    Ok(Tagged(file.version, Json(file)))
}

/// Change a file's title or category.
#[utoipa::path(patch, path = "/users/{id}/files/{fid}", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("fid" = uuid::Uuid, Path),
           ("If-Match" = Option<String>, Header)),
    request_body = FilePatch,
    responses(
        (status = 200, body = EmployeeFile, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn update_file(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath((user, id)): ApiPath<(UserId, FileId)>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<FilePatch>,
) -> Result<Tagged<Json<EmployeeFile>>, Problem> {
    let file = files::update(&state.store, &ctx, user, id, version, body).await?;
    Ok(Tagged(file.version, Json(file)))
}

/// Remove a file (it stays in the audit trail).
#[utoipa::path(delete, path = "/users/{id}/files/{fid}", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("fid" = uuid::Uuid, Path),
           ("If-Match" = Option<String>, Header)),
    responses(
        (status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_file(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath((user, id)): ApiPath<(UserId, FileId)>,
    IfMatch(version): IfMatch,
) -> Result<StatusCode, Problem> {
    files::delete(&state.store, &ctx, user, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which picture of a photo.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum PhotoSize {
    /// Fits in 600×600 pixels.
    #[default]
    Standard,
    /// 128×128 pixels.
    Thumbnail,
}

/// `?size=` of `GET /users/{id}/photo`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct PhotoParams {
    /// `standard` (default) or `thumbnail`.
    size: Option<PhotoSize>,
}

/// A person's photo as JPEG: the standard picture or the thumbnail. Needs `view` on the
/// `photo` section (everyone sees their own).
#[utoipa::path(get, path = "/users/{id}/photo", tag = TAG,
    params(("id" = uuid::Uuid, Path), PhotoParams),
    responses(
        (status = 200, content_type = "image/jpeg", body = Vec<u8>, headers(("ETag" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_photo(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(user): ApiPath<UserId>,
    ApiQuery(params): ApiQuery<PhotoParams>,
) -> Result<Response, Problem> {
    let thumbnail = params.size.unwrap_or_default() == PhotoSize::Thumbnail;
    let (photo, size, stream) =
        photos::content(&state.store, &state.blobs, &ctx, user, thumbnail).await?;
    let body = Body::from_stream(stream.map_err(std::io::Error::other));
    streamed(
        body,
        "image/jpeg",
        size,
        photo.version,
        &disposition("inline", &format!("photo-{user}.jpg")),
    )
}

/// Set a person's photo: a JPEG, PNG, WebP or GIF picture (`multipart/form-data` field
/// `photo`, or a bare `image/*` body), decoded and re-encoded as JPEG at a standard size
/// and as a thumbnail, without any of the upload's metadata. Needs `edit` on the `photo`
/// section, or `photo` among the self-service fields for one's own.
#[utoipa::path(put, path = "/users/{id}/photo", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = PhotoForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, body = Photo, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn put_photo(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(user): ApiPath<UserId>,
    IfMatch(version): IfMatch,
    request: Request,
) -> Result<Tagged<Json<Photo>>, Problem> {
    let limit = photos::upload_limit(&state.store, &state.blobs, &ctx, user).await?;
    let received = upload::receive(
        &state,
        request,
        limit,
        Accept {
            file_field: "photo",
            bare_images: true,
        },
    )
    .await?;
    let staged = received
        .staged
        .ok_or_else(|| Problem::invalid_field("photo", "is required"))?;
    let photo = photos::upload(&state.store, &state.blobs, &ctx, user, version, staged).await?;
    Ok(Tagged(photo.version, Json(photo)))
}

/// Remove a person's photo (it stays in the audit trail).
#[utoipa::path(delete, path = "/users/{id}/photo", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_photo(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(user): ApiPath<UserId>,
    IfMatch(version): IfMatch,
) -> Result<StatusCode, Problem> {
    photos::delete(&state.store, &ctx, user, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A streamed download with its headers.
fn streamed(
    body: Body,
    content_type: &str,
    size: u64,
    version: i64,
    disposition: &str,
) -> Result<Response, Problem> {
    let header = |value: &str| {
        HeaderValue::from_str(value)
            .map_err(|_| Problem::from(muster_service::ServiceError::NotFound("file")))
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, header(content_type)?);
    headers.insert(CONTENT_LENGTH, HeaderValue::from(size));
    headers.insert(ETAG, header(&format!("\"{version}\""))?);
    headers.insert(CONTENT_DISPOSITION, header(disposition)?);
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    Ok(response)
}

/// `Content-Disposition` naming `name`: an ASCII fallback and the exact name in RFC 8187
/// encoding.
fn disposition(kind: &str, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_quote_safely_and_keep_the_exact_name() {
        assert_eq!(
            disposition("attachment", "report \"final\".pdf"),
            "attachment; filename=\"report _final_.pdf\"; \
             filename*=UTF-8''report%20%22final%22.pdf"
        );
        assert_eq!(
            disposition("attachment", "Zeugnis-Müller.pdf"),
            "attachment; filename=\"Zeugnis-M_ller.pdf\"; \
             filename*=UTF-8''Zeugnis-M%C3%BCller.pdf"
        );
    }
}
