//! "Import users": upload a CSV file (the columns of `muster user export`), "Check" it (a
//! dry run: every row validated, nothing written) or "Import" it (all or nothing). The
//! report lists each problem by row and column.
//!
//! Both are `muster_service::import::import`, the service of `POST /api/v1/users/import`
//! and `muster user import`: the same checks, the same audit events.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use muster_service::import::{self, BytesSource, ImportOptions, NoProgress, RowProblem};

use super::page::{Chrome, Console, capitalize, redirect_with, service_page};
use crate::AppState;

/// The largest file the page takes (as `POST /api/v1/users/import`).
pub(crate) const MAX_BYTES: usize = 64 * 1024 * 1024;

/// What an uploaded file came to.
struct Checked {
    rows: u64,
    valid: u64,
    dry_run: bool,
    problems: Vec<RowProblem>,
    more_problems: u64,
}

#[derive(Template, WebTemplate)]
#[template(path = "users_import.html")]
struct ImportPage {
    chrome: Chrome,
    message: String,
    checked: Option<Checked>,
}

/// `GET /console/users/import`.
pub(crate) async fn page(console: Console) -> Response {
    if let Err(error) = import::may_import(&console.ctx) {
        return service_page(error);
    }
    ImportPage {
        chrome: console.chrome.page("users", "Import users"),
        message: String::new(),
        checked: None,
    }
    .into_response()
}

/// `POST /console/users/import?csrf=…` (`multipart/form-data`: the `file`, and `step`
/// `import` to write it, else only a check).
pub(crate) async fn upload(
    State(state): State<AppState>,
    console: Console,
    request: Request,
) -> Response {
    if let Err(error) = import::may_import(&console.ctx) {
        return service_page(error);
    }
    let chrome = console.chrome.clone().page("users", "Import users");
    let refuse = |status: StatusCode, message: &str| {
        let page = ImportPage {
            chrome: chrome.clone(),
            message: message.to_owned(),
            checked: None,
        };
        (status, page).into_response()
    };
    let (file, write) = match read_form(&state, request).await {
        Ok(Some(form)) => form,
        Ok(None) => return refuse(StatusCode::UNPROCESSABLE_ENTITY, "Choose a CSV file first."),
        Err(why) => return refuse(StatusCode::BAD_REQUEST, &why),
    };
    let options = ImportOptions {
        dry_run: !write,
        ..ImportOptions::default()
    };
    let report = match import::import(
        &state.store,
        &console.ctx,
        &BytesSource(file),
        &options,
        &NoProgress,
    )
    .await
    {
        Ok(report) => report,
        Err(error) => {
            let problem = crate::problem::Problem::from(error);
            let status =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            return refuse(status, &capitalize(&problem.detail));
        }
    };
    if write && report.is_clean() {
        let text = format!(
            "{} user{} imported.",
            report.created,
            if report.created == 1 { "" } else { "s" }
        );
        return redirect_with("/console/users", "success", &text);
    }
    let status = if report.is_clean() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let message = if report.is_clean() {
        String::new()
    } else {
        "The file has problems; nothing was imported. Correct the rows below and try again."
            .to_owned()
    };
    let page = ImportPage {
        chrome,
        message,
        checked: Some(Checked {
            rows: report.rows,
            valid: report.valid,
            dry_run: report.dry_run,
            problems: report.problems,
            more_problems: report.more_problems,
        }),
    };
    (status, page).into_response()
}

/// The uploaded file and whether to write it; `None` without a file.
async fn read_form(
    state: &AppState,
    request: Request,
) -> Result<Option<(bytes::Bytes, bool)>, String> {
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|e| e.body_text())?;
    let mut file = None;
    let mut write = false;
    while let Some(field) = form.next_field().await.map_err(|e| e.body_text())? {
        match field.name() {
            Some("file") => {
                let data = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        format!(
                            "The file is larger than {} MiB; use `muster user import` for it.",
                            MAX_BYTES / 1024 / 1024
                        )
                    } else {
                        e.body_text()
                    }
                })?;
                file = (!data.is_empty()).then_some(data);
            }
            Some("step") => write = field.text().await.map_err(|e| e.body_text())? == "import",
            _ => {}
        }
    }
    Ok(file.map(|f| (f, write)))
}
