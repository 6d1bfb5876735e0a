//! The mailbox (`/console/mailbox`): the organization's outbox — every email and text
//! message queued, sent or given up on, with its attempts, last error and body. With no
//! SMTP server configured this is where messages can be read. Reads go through
//! `muster_service::outbox::list`, the function behind `GET /api/v1/outbox`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use muster_service::outbox::{self, Channel, MessageStatus, OutboxMessage, OutboxQuery};
use muster_service::paging::PageRequest;
use serde::Deserialize;

use super::Refusal;
use crate::AppState;
use crate::console::page::{Chrome, Console, FieldErrors, capitalize, error_response};

/// Messages per page.
const PAGE_SIZE: u32 = 25;

/// The mailbox's query string.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct MailboxParams {
    #[serde(default)]
    status: String,
    #[serde(default)]
    cursor: String,
    #[serde(default)]
    page: String,
}

/// One message as shown.
struct Row {
    created: String,
    recipient: String,
    sms: bool,
    subject: String,
    category: String,
    body: String,
    status: &'static str,
    status_kind: &'static str,
    attempts: i64,
    when: String,
    last_error: String,
}

/// A status filter choice.
struct StatusChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "mailbox.html")]
struct MailboxPage {
    chrome: Chrome,
    statuses: Vec<StatusChoice>,
    rows: Vec<Row>,
    range: String,
    first: String,
    older: String,
    errors: FieldErrors,
}

fn row(m: OutboxMessage) -> Row {
    let (status, status_kind, when) = match m.status {
        MessageStatus::Queued => (
            "Queued",
            "neutral",
            format!(
                "next attempt {}",
                m.next_attempt_at.format("%Y-%m-%d %H:%M")
            ),
        ),
        MessageStatus::Sent => (
            "Sent",
            "success",
            m.sent_at
                .map(|t| format!("sent {}", t.format("%Y-%m-%d %H:%M")))
                .unwrap_or_default(),
        ),
        MessageStatus::Failed => ("Failed", "danger", "gave up".to_owned()),
    };
    Row {
        created: m.created_at.format("%Y-%m-%d %H:%M").to_string(),
        recipient: m.recipient,
        sms: m.channel == Channel::Sms,
        subject: m.subject,
        category: capitalize(&m.category.replace('_', " ")),
        body: m.body,
        status,
        status_kind,
        attempts: m.attempts,
        when,
        last_error: m.last_error.unwrap_or_default(),
    }
}

/// `GET /console/mailbox`.
pub(crate) async fn page(
    State(state): State<AppState>,
    console: Console,
    Query(params): Query<MailboxParams>,
) -> Response {
    let status = params.status.trim().to_owned();
    let query = OutboxQuery {
        status: Some(status.clone()),
        user_id: None,
    };
    let cursor = Some(params.cursor.clone()).filter(|c| !c.is_empty());
    let request =
        PageRequest::new(Some(PAGE_SIZE), cursor).unwrap_or_else(|_| PageRequest::first(PAGE_SIZE));
    let number: u32 = params.page.parse().ok().filter(|p| *p >= 1).unwrap_or(1);
    let href = |extra: &[(&str, String)]| {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !status.is_empty() {
            pairs.push(("status", status.clone()));
        }
        pairs.extend(extra.iter().cloned());
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        if query.is_empty() {
            "/console/mailbox".to_owned()
        } else {
            format!("/console/mailbox?{query}")
        }
    };
    let (rows, range, older, errors, code) =
        match outbox::list(&state.store, &console.ctx, &request, &query).await {
            Ok(page) => {
                let first = (number - 1) * PAGE_SIZE + 1;
                let count = u32::try_from(page.items.len()).unwrap_or(0);
                let range = if count == 0 {
                    format!("0 of {}", page.total)
                } else {
                    format!("{first}\u{2013}{} of {}", first + count - 1, page.total)
                };
                let older = page.next_cursor.map_or_else(String::new, |c| {
                    href(&[("cursor", c), ("page", (number + 1).to_string())])
                });
                let rows = page.items.into_iter().map(row).collect();
                (rows, range, older, FieldErrors::default(), StatusCode::OK)
            }
            Err(error) => {
                let refusal = Refusal::of(error, &str::to_owned);
                if refusal.errors.is_empty() {
                    return error_response(
                        refusal.status(),
                        "Not allowed",
                        refusal.alert.as_deref().unwrap_or_default(),
                    );
                }
                let code = refusal.status();
                (
                    Vec::new(),
                    String::new(),
                    String::new(),
                    refusal.errors,
                    code,
                )
            }
        };
    let statuses = [
        ("", "All messages"),
        ("queued", "Queued"),
        ("sent", "Sent"),
        ("failed", "Failed"),
    ]
    .into_iter()
    .map(|(value, label)| StatusChoice {
        value,
        label,
        selected: value == status,
    })
    .collect();
    let page = MailboxPage {
        chrome: console.chrome.page("mailbox", "Mailbox"),
        statuses,
        rows,
        range,
        first: if number > 1 { href(&[]) } else { String::new() },
        older,
        errors,
    };
    (code, page).into_response()
}
