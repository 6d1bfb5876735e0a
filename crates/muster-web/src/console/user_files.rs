//! The user page's Files tab (employee files: list, upload, download, remove) and the
//! photo forms of the Details tab (upload or replace, remove).
//!
//! Uploads are `multipart/form-data` forms whose CSRF token rides in the query string (the
//! console's CSRF check does not buffer a file). They go through the same steps as the
//! API's: the service decides first and says how large the upload may be (the
//! organization's largest-file setting for files), [`crate::upload`] streams the content
//! into staging within that size, and the service stores it. Downloads are the API's own
//! (`/api/v1/users/{id}/files/{fid}`, which the session cookie authenticates), served as
//! attachments.

use askama::Template;
use askama_web::WebTemplate;

use axum::extract::{Path, Query, Request, State};
use axum::response::{IntoResponse, Response};
use muster_domain::FileId;
use muster_domain::files::{EmployeeFile, UploadMeta};
use muster_domain::user::User;
use muster_service::paging::PageRequest;
use muster_service::{files, photos};
use serde::Deserialize;

use super::forms::{Refusal, Submitted, parse_id};
use super::page::{Chrome, Console, FieldErrors, redirect_with, service_page};
use super::user_page::{UserFrame, Viewed};
use crate::AppState;
use crate::problem::Problem;
use crate::upload::{self, Accept};

/// Files listed per page.
const PAGE_SIZE: u32 = 50;

/// The file upload form: the content in `file`, beside `title` and `category`.
const FILE_FORM: Accept = Accept {
    file_field: "file",
    bare_images: false,
};

/// The photo form: the picture in `photo`.
const PHOTO_FORM: Accept = Accept {
    file_field: "photo",
    bare_images: false,
};

/// A size as people read it: "512 bytes", "40 KB", "2.5 MB".
pub(crate) fn size_text(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    if bytes < KB {
        format!("{bytes} bytes")
    } else if bytes < MB {
        format!("{} KB", bytes.div_ceil(KB))
    } else {
        let tenths = (bytes * 10).div_ceil(MB);
        if tenths.is_multiple_of(10) {
            format!("{} MB", tenths / 10)
        } else {
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    }
}

/// A file as the list shows it.
struct FileRow {
    id: String,
    version: i64,
    title: String,
    category: String,
    file_name: String,
    size: String,
    uploaded: String,
}

impl FileRow {
    fn of(file: &EmployeeFile) -> Self {
        Self {
            id: file.id.to_string(),
            version: file.version,
            title: file.title.clone(),
            category: file.category.clone().unwrap_or_default(),
            file_name: file.file_name.clone(),
            size: size_text(u64::try_from(file.size).unwrap_or(0)),
            uploaded: file.created_at.format("%Y-%m-%d %H:%M").to_string(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "user_files.html")]
struct FilesPage {
    chrome: Chrome,
    frame: UserFrame,
    files: Vec<FileRow>,
    total: i64,
    next: String,
    can_change: bool,
    /// The largest file accepted, as people read it.
    limit: String,
    /// Where the upload form goes (with the CSRF token, and `confirm` once asked).
    action: String,
    /// The title and category typed into a refused upload.
    title: String,
    category: String,
    errors: FieldErrors,
    refusal: Refusal,
    /// The person also works outside the caller's location: uploading again confirms.
    confirming: bool,
}

/// `?cursor=` of the list; `?confirm=1` and `?csrf=` of an upload.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct FilesQuery {
    #[serde(default)]
    cursor: String,
    #[serde(default)]
    confirm: String,
}

/// What a refused upload brings back to the page.
#[derive(Default)]
struct Refused {
    title: String,
    category: String,
    refusal: Refusal,
}

async fn render(
    state: &AppState,
    console: Console,
    user: &User,
    cursor: &str,
    refused: Refused,
) -> Response {
    let ctx = &console.ctx;
    let request = match PageRequest::new(Some(PAGE_SIZE), super::forms::present(cursor)) {
        Ok(request) => request,
        Err(error) => return service_page(error.into()),
    };
    let page = match files::list(&state.store, ctx, user.id, &request).await {
        Ok(page) => page,
        Err(error) => return service_page(error),
    };
    let limit = files::upload_limit(&state.store, &state.blobs, ctx, user.id, None).await;
    let can_change = match &limit {
        Ok(_) => true,
        Err(_) => files::can_change(&state.store, ctx, user.id)
            .await
            .unwrap_or(false),
    };
    let base = format!("/console/users/{}/files", user.id);
    let next = page.next_cursor.map_or_else(String::new, |c| {
        let c: String = form_urlencoded::byte_serialize(c.as_bytes()).collect();
        format!("{base}?cursor={c}")
    });
    let confirming = refused.refusal.confirm;
    let mut action = format!("{base}?csrf={}", console.chrome.csrf);
    if confirming {
        action.push_str("&confirm=1");
    }
    let status = refused.refusal.status();
    let page = FilesPage {
        frame: UserFrame::load(state, ctx, user, "files").await,
        files: page.items.iter().map(FileRow::of).collect(),
        total: page.total,
        next,
        can_change,
        limit: limit.map(size_text).unwrap_or_default(),
        action,
        title: refused.title,
        category: refused.category,
        errors: refused.refusal.fields.clone(),
        refusal: refused.refusal,
        confirming,
        chrome: console.chrome.page("users", "Files"),
    };
    (status, page).into_response()
}

/// `GET /console/users/{id}/files`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Viewed { console, user }: Viewed,
    Query(query): Query<FilesQuery>,
) -> Response {
    render(&state, console, &user, &query.cursor, Refused::default()).await
}

/// `POST /console/users/{id}/files?csrf=…`: uploads a file (`multipart/form-data`).
pub(crate) async fn upload(
    State(state): State<AppState>,
    Viewed { mut console, user }: Viewed,
    Query(query): Query<FilesQuery>,
    request: Request,
) -> Response {
    console.ctx.confirmed = super::forms::ticked(Some(&query.confirm));
    let ctx = &console.ctx;
    let limit = match files::upload_limit(&state.store, &state.blobs, ctx, user.id, None).await {
        Ok(limit) => limit,
        Err(error) => {
            let refused = Refused {
                refusal: Refusal::of(error, &|f| f.to_owned()),
                ..Refused::default()
            };
            return render(&state, console, &user, "", refused).await;
        }
    };
    let mut meta = UploadMeta::default();
    let outcome = async {
        let received = upload::receive_into(&state, request, limit, FILE_FORM, &mut meta).await?;
        let staged = received
            .staged
            .ok_or_else(|| Problem::invalid_field("file", "choose a file to upload"))?;
        files::upload(
            &state.store,
            &state.blobs,
            ctx,
            user.id,
            received.meta,
            staged,
        )
        .await
        .map_err(Problem::from)
    };
    match outcome.await {
        Ok(file) => redirect_with(
            &format!("/console/users/{}/files", user.id),
            "success",
            &format!("{} was uploaded.", file.title),
        ),
        Err(problem) => {
            let mut refusal = Refusal::of_problem(&problem, &|f| f.to_owned());
            if problem.status == 413 {
                refusal.message = Some(format!(
                    "The file is larger than the {} your organization allows per file; \
                     nothing was stored.",
                    size_text(limit)
                ));
            }
            let refused = Refused {
                title: meta.title.unwrap_or_default(),
                category: meta.category.unwrap_or_default(),
                refusal,
            };
            render(&state, console, &user, "", refused).await
        }
    }
}

/// `POST /console/users/{id}/files/{fid}/delete`: removes a file (it stays in the audit
/// trail).
pub(crate) async fn delete(
    State(state): State<AppState>,
    viewed: Viewed,
    Path((_, raw)): Path<(String, String)>,
    form: Submitted,
) -> Response {
    let Viewed { console, user } = viewed.confirming(&form);
    let back = format!("/console/users/{}/files", user.id);
    let mut errors = FieldErrors::default();
    let Some(id) = parse_id::<FileId>(&mut errors, "file", &raw) else {
        return redirect_with(&back, "error", "There is no such file.");
    };
    let version = form.get("version").parse().ok();
    match files::delete(&state.store, &console.ctx, user.id, id, version).await {
        Ok(()) => redirect_with(&back, "success", "The file was removed."),
        Err(error) => {
            let refusal = Refusal::of(error, &|f| f.to_owned());
            let refused = Refused {
                refusal,
                ..Refused::default()
            };
            render(&state, console, &user, "", refused).await
        }
    }
}

/// `POST /console/users/{id}/photo?csrf=…`: sets the photo (`multipart/form-data`,
/// field `photo`), back on the Details tab with a toast.
pub(crate) async fn upload_photo(
    State(state): State<AppState>,
    Viewed { console, user }: Viewed,
    request: Request,
) -> Response {
    let ctx = &console.ctx;
    let back = format!("/console/users/{}", user.id);
    let limit = match photos::upload_limit(&state.store, &state.blobs, ctx, user.id).await {
        Ok(limit) => limit,
        Err(error) => return refused_photo(&back, &Problem::from(error), 0),
    };
    let outcome = async {
        let received = upload::receive(&state, request, limit, PHOTO_FORM).await?;
        let staged = received
            .staged
            .ok_or_else(|| Problem::invalid_field("photo", "choose a picture to upload"))?;
        photos::upload(&state.store, &state.blobs, ctx, user.id, None, staged)
            .await
            .map_err(Problem::from)
    };
    match outcome.await {
        Ok(_) => redirect_with(&back, "success", "The photo was saved."),
        Err(problem) => refused_photo(&back, &problem, limit),
    }
}

/// Back to the Details tab with the refusal of a photo form as a toast.
fn refused_photo(back: &str, problem: &Problem, limit: u64) -> Response {
    let refusal = Refusal::of_problem(problem, &|f| f.to_owned());
    let text = if problem.status == 413 {
        format!(
            "The picture is larger than the {} allowed; nothing was stored.",
            size_text(limit)
        )
    } else {
        refusal.fields.iter().next().map_or_else(
            || refusal.message.clone().unwrap_or_default(),
            |(field, message)| format!("{}: {message}", super::page::capitalize(field)),
        )
    };
    redirect_with(back, "error", &text)
}

/// `POST /console/users/{id}/photo/remove`: removes the photo (it stays in the audit
/// trail).
pub(crate) async fn remove_photo(
    State(state): State<AppState>,
    Viewed { console, user }: Viewed,
    _form: Submitted,
) -> Response {
    let back = format!("/console/users/{}", user.id);
    match photos::delete(&state.store, &console.ctx, user.id, None).await {
        Ok(()) => redirect_with(&back, "success", "The photo was removed."),
        Err(error) => refused_photo(&back, &Problem::from(error), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::size_text;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size_text(512), "512 bytes");
        assert_eq!(size_text(4096), "4 KB");
        assert_eq!(size_text(10 * 1024 * 1024), "10 MB");
        assert_eq!(size_text(2_621_440), "2.5 MB");
    }
}
