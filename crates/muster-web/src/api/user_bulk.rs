//! `POST /users/import` (CSV, for the console and scripts) and `POST /users/bulk` (bulk
//! actions): thin translations to `muster_service::import` and `muster_service::bulk`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use muster_domain::FieldError;
use muster_service::bulk::{self, BulkOutcome, BulkRequest};
use muster_service::import::{
    self, BytesSource, ImportOptions, ImportReport, NoProgress, PasswordMode,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::extract::{ApiJson, ApiQuery, Caller};
use crate::problem::Problem;

const TAG: &str = "Users";

/// The largest CSV file the API takes (the CLI streams files of any size).
pub const IMPORT_MAX_BYTES: usize = 64 * 1024 * 1024;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_users))
        .layer(DefaultBodyLimit::max(IMPORT_MAX_BYTES))
        .routes(routes!(bulk_users))
}

/// Options of `POST /users/import`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ImportParams {
    /// Check every row and report, write nothing.
    #[serde(default)]
    dry_run: bool,
    /// What imported `password` users get: `invite` (default: no password, an invitation
    /// email) or `temporary` (a generated temporary password each, emailed).
    #[serde(default)]
    #[param(value_type = Option<String>)]
    passwords: PasswordMode,
    /// The column separator (default `,`).
    #[serde(default)]
    delimiter: Option<String>,
    /// Column mappings, `COLUMN=FIELD` separated by `;` (`Surname=last_name;Notes=ignore`).
    #[serde(default)]
    map: Option<String>,
    /// Import the valid rows and skip the others (default: all or nothing).
    #[serde(default)]
    skip_invalid: bool,
}

/// `multipart/form-data` of `POST /users/import` (a bare `text/csv` body works too).
#[derive(ToSchema)]
#[allow(dead_code)] // Only describes the form in the OpenAPI document.
struct ImportForm {
    /// The CSV file.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

impl ImportParams {
    fn options(&self) -> Result<ImportOptions, Problem> {
        let delimiter = match self.delimiter.as_deref() {
            None | Some("") => b',',
            Some("\\t" | "\t" | "tab") => b'\t',
            Some(one) if one.len() == 1 => one.as_bytes()[0],
            Some(_) => {
                return Err(Problem::invalid_field(
                    "delimiter",
                    "must be one ASCII character",
                ));
            }
        };
        let mut mapping = Vec::new();
        for pair in self
            .map
            .as_deref()
            .unwrap_or_default()
            .split(';')
            .filter(|p| !p.trim().is_empty())
        {
            let Some((column, field)) = pair.split_once('=') else {
                return Err(Problem::invalid_field(
                    "map",
                    "write each mapping COLUMN=FIELD",
                ));
            };
            mapping.push((column.trim().to_owned(), field.trim().to_owned()));
        }
        Ok(ImportOptions {
            dry_run: self.dry_run,
            passwords: self.passwords,
            delimiter,
            mapping,
            skip_invalid: self.skip_invalid,
        })
    }
}

/// The CSV file of an import request: a `file` part of a form, or the whole body.
async fn csv_body(request: Request, state: &AppState) -> Result<Bytes, Problem> {
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let too_large = || Problem::too_large(IMPORT_MAX_BYTES as u64);
    if content_type.starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(request, state)
            .await
            .map_err(|e| Problem::bad_request(e.body_text()))?;
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| Problem::bad_request(e.body_text()))?
        {
            if field.name() == Some("file") {
                return field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        too_large()
                    } else {
                        Problem::bad_request(e.body_text())
                    }
                });
            }
        }
        return Err(Problem::invalid_field("file", "is required"));
    }
    let mime = content_type.split(';').next().unwrap_or_default().trim();
    if !matches!(mime, "text/csv" | "text/plain" | "application/csv") {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "send the file as text/csv, or as the `file` part of multipart/form-data",
        ));
    }
    Bytes::from_request(request, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            Problem::bad_request(e.body_text())
        }
    })
}

/// The problem document of an import with bad rows: every problem as an error on
/// `rows[ROW].COLUMN` (`rows[ROW]` for the whole row).
fn rows_problem(report: &ImportReport) -> Problem {
    let errors = report
        .problems
        .iter()
        .map(|p| {
            let field = match &p.column {
                Some(column) => format!("rows[{}].{column}", p.row),
                None => format!("rows[{}]", p.row),
            };
            FieldError::new(field, p.message.clone())
        })
        .collect();
    let count = report.problems.len() as u64 + report.more_problems;
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "import-rows-invalid",
        "Invalid rows",
        format!(
            "{count} problem{} in the file{}; nothing was imported",
            if count == 1 { "" } else { "s" },
            if report.more_problems > 0 {
                format!(" (the first {} are listed)", report.problems.len())
            } else {
                String::new()
            }
        ),
    )
    .with_errors(errors)
}

/// Import users from a CSV file (`text/csv` body, or the `file` part of
/// `multipart/form-data`), with the columns of `muster user export`. Every row is
/// checked first; with any problem nothing is written (unless `skip_invalid`) and the
/// problem document names each bad row (the line of the file) and column as
/// `rows[ROW].COLUMN`. The caller must be allowed to create users at every placement
/// named (else 403, nothing written). One `user.create` audit event per user and one
/// `user.import` event.
#[utoipa::path(post, path = "/users/import", tag = TAG, params(ImportParams),
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "imported (or, on a dry run, checked)", body = ImportReport),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn import_users(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ImportParams>,
    request: Request,
) -> Result<Json<ImportReport>, Problem> {
    import::may_import(&ctx)?;
    let options = params.options()?;
    let body = csv_body(request, &state).await?;
    let report = import::import(
        &state.store,
        &ctx,
        &BytesSource(body),
        &options,
        &NoProgress,
    )
    .await?;
    if !report.is_clean() && !options.skips_bad_rows() {
        return Err(rows_problem(&report));
    }
    Ok(Json(report))
}

/// Apply an action to many users at once: `deactivate`, `reactivate`, `ban`, `unban`,
/// `set_placement` (`node_id`, `role_id`: add the placement, or change the role of the one
/// there) or `reset_password`, for `user_ids` or every user matching `filter` (the
/// parameters of `GET /users`) that the caller can see. With `preview: true` nothing is
/// changed and the answer says how many users would change and which would be refused.
/// All or nothing: with any refusal, 409 and nothing changed. One audit event per user.
#[utoipa::path(post, path = "/users/bulk", tag = TAG, request_body = BulkRequest,
    responses(
        (status = 200, body = BulkOutcome),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "some selected users cannot be changed; nothing was",
            body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn bulk_users(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<BulkRequest>,
) -> Result<Json<BulkOutcome>, Problem> {
    Ok(Json(bulk::run(&state.store, &ctx, body).await?))
}
