//! Receiving uploads: a `multipart/form-data` body (or, for photos, a bare image body)
//! streamed into the blob store's staging area, never held in memory whole.
//!
//! The handler has already asked the service whether the upload is allowed and how large
//! it may be; this module only enforces that size while streaming (413 as soon as it is
//! exceeded, or before reading anything when `Content-Length` already says so), bounds the
//! text fields beside the file, and names malformed input.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use futures_util::StreamExt;
use muster_domain::files::UploadMeta;
use muster_service::blobs::{Blobs, Staged};

use crate::AppState;
use crate::problem::Problem;

/// Room for the multipart framing and the text fields beside the file.
const FORM_OVERHEAD: u64 = 64 * 1024;
/// Longest text field accepted beside the file.
const TEXT_FIELD_MAX: usize = 4 * 1024;
/// Most parts accepted in one form.
const PARTS_MAX: usize = 10;
/// How much of a refused body is still read (and thrown away) so that the client, which
/// is usually still sending, gets the 413 cleanly instead of a reset connection. Beyond
/// this the connection is simply dropped.
const DRAIN_MAX: u64 = 32 * 1024 * 1024;

/// What an upload carried.
#[derive(Debug)]
pub(crate) struct Received {
    /// Title, category, file name and type as the client sent them.
    pub meta: UploadMeta,
    /// The staged content, if a file came.
    pub staged: Option<Staged>,
}

/// How the body may come.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Accept {
    /// The name of the form field holding the content.
    pub file_field: &'static str,
    /// Whether a bare `image/*` body is accepted too (photos).
    pub bare_images: bool,
}

/// Receives the upload in `request`, at most `limit` bytes of content.
pub(crate) async fn receive(
    state: &AppState,
    request: Request,
    limit: u64,
    accept: Accept,
) -> Result<Received, Problem> {
    let mut meta = UploadMeta::default();
    receive_into(state, request, limit, accept, &mut meta).await
}

/// [`receive`], filling in `meta` as the text fields arrive, so that a refused upload
/// still has what was typed beside the file (the console shows it again).
pub(crate) async fn receive_into(
    state: &AppState,
    request: Request,
    limit: u64,
    accept: Accept,
    meta: &mut UploadMeta,
) -> Result<Received, Problem> {
    let length = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(length) = length
        && length > limit.saturating_add(FORM_OVERHEAD)
    {
        if length <= DRAIN_MAX {
            drain(request.into_body().into_data_stream()).await;
        }
        return Err(Problem::too_large(limit));
    }
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let multipart = Multipart::from_request(request, state)
            .await
            .map_err(|e| Problem::bad_request(e.body_text()))?;
        let staged = form(&state.blobs, multipart, limit, accept.file_field, meta).await?;
        return Ok(Received {
            meta: meta.clone(),
            staged,
        });
    }
    if accept.bare_images && content_type.starts_with("image/") {
        let mut staging = state.blobs.stage(limit).await.map_err(Problem::from)?;
        let mut body = request.into_body().into_data_stream();
        while let Some(chunk) = body.next().await {
            let chunk =
                chunk.map_err(|e| Problem::bad_request(format!("reading the body: {e}")))?;
            if let Err(error) = staging.write(&chunk).await {
                drain(body).await;
                return Err(error.into());
            }
        }
        let staged = staging.finish().await.map_err(Problem::from)?;
        return Ok(Received {
            meta: UploadMeta {
                content_type: Some(content_type),
                ..UploadMeta::default()
            },
            staged: Some(staged),
        });
    }
    Err(Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        "Unsupported media type",
        if accept.bare_images {
            "send the picture as multipart/form-data (field `photo`) or as an image/* body"
        } else {
            "send the file as multipart/form-data with the content in the field `file`"
        },
    ))
}

/// Reads and discards what is left of a refused body, up to [`DRAIN_MAX`] bytes.
async fn drain<S, E>(mut body: S)
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
{
    let mut drained = 0_u64;
    while let Some(Ok(chunk)) = body.next().await {
        drained += chunk.len() as u64;
        if drained > DRAIN_MAX {
            break;
        }
    }
}

fn malformed(error: &axum::extract::multipart::MultipartError) -> Problem {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Too large",
            error.body_text(),
        );
    }
    Problem::bad_request(format!("the form cannot be read: {}", error.body_text()))
}

/// Reads a multipart form into `meta` and the staged content, if a file came.
async fn form(
    blobs: &Blobs,
    mut multipart: Multipart,
    limit: u64,
    file_field: &str,
    meta: &mut UploadMeta,
) -> Result<Option<Staged>, Problem> {
    let mut staged = None;
    let mut parts = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| malformed(&e))? {
        parts += 1;
        if parts > PARTS_MAX {
            return Err(Problem::bad_request(format!(
                "a form has at most {PARTS_MAX} parts"
            )));
        }
        let name = field.name().unwrap_or_default().to_owned();
        if name == file_field {
            if staged.is_some() {
                return Err(Problem::invalid_field(
                    file_field,
                    "send one file per upload",
                ));
            }
            meta.file_name = field.file_name().map(str::to_owned);
            meta.content_type = field.content_type().map(str::to_owned);
            let mut staging = blobs.stage(limit).await.map_err(Problem::from)?;
            while let Some(chunk) = field.chunk().await.map_err(|e| malformed(&e))? {
                if let Err(error) = staging.write(&chunk).await {
                    let mut drained = 0_u64;
                    while let Ok(Some(chunk)) = field.chunk().await {
                        drained += chunk.len() as u64;
                        if drained > DRAIN_MAX {
                            break;
                        }
                    }
                    return Err(error.into());
                }
            }
            staged = Some(staging.finish().await.map_err(Problem::from)?);
            continue;
        }
        let slot = match name.as_str() {
            "title" => &mut meta.title,
            "category" => &mut meta.category,
            _ => {
                return Err(Problem::invalid_field(
                    name,
                    format!("is not a field of this form (use {file_field}, title, category)"),
                ));
            }
        };
        let mut text = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| malformed(&e))? {
            text.extend_from_slice(&chunk);
            if text.len() > TEXT_FIELD_MAX {
                return Err(Problem::invalid_field(
                    name,
                    format!("must be at most {TEXT_FIELD_MAX} bytes"),
                ));
            }
        }
        let value = String::from_utf8(text)
            .map_err(|_| Problem::invalid_field(name.clone(), "must be UTF-8 text"))?;
        if value.contains('\0') {
            return Err(Problem::invalid_field(
                name,
                "must not contain a NUL character",
            ));
        }
        *slot = Some(value);
    }
    Ok(staged)
}
