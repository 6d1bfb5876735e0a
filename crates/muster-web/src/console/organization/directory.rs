//! The staff directory (`/console/directory`): the people the caller's directory access
//! shows (nobody, everyone, those sharing a location, or their part of the command
//! hierarchy), searchable, with contact details — never private numbers, which
//! `muster_service::directory` (the function behind `GET /api/v1/directory`) leaves out.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use muster_domain::user::DirectoryAccess;
use muster_service::directory::{self, DirectoryEntry};
use muster_service::paging::PageRequest;
use serde::Deserialize;

use crate::AppState;
use crate::console::page::{Chrome, Console, display_name, service_page};

/// People per page.
const PAGE_SIZE: u32 = 25;

/// The directory's query string.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DirectoryParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    cursor: String,
    #[serde(default)]
    page: String,
}

/// One person.
struct Row {
    name: String,
    initials: String,
    location: String,
    role: String,
    email: String,
    phones: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "directory.html")]
struct DirectoryPage {
    chrome: Chrome,
    q: String,
    access: &'static str,
    nobody: bool,
    rows: Vec<Row>,
    range: String,
    first: String,
    older: String,
}

fn row(e: DirectoryEntry) -> Row {
    Row {
        name: display_name(&e.first_name, &e.last_name, e.display_name.as_deref()),
        initials: format!(
            "{}{}",
            e.first_name.chars().next().unwrap_or('?'),
            e.last_name.chars().next().unwrap_or_default()
        )
        .to_uppercase(),
        location: e.default_node_name.unwrap_or_default(),
        role: e.default_role_name.unwrap_or_default(),
        email: e.email.unwrap_or_default(),
        phones: e.phones.into_iter().map(|p| (p.kind, p.number)).collect(),
    }
}

/// `GET /console/directory`.
pub(crate) async fn page(
    State(state): State<AppState>,
    console: Console,
    Query(params): Query<DirectoryParams>,
) -> Response {
    let q: String = params.q.trim().chars().take(100).collect();
    let cursor = Some(params.cursor.clone()).filter(|c| !c.is_empty());
    let request =
        PageRequest::new(Some(PAGE_SIZE), cursor).unwrap_or_else(|_| PageRequest::first(PAGE_SIZE));
    let number: u32 = params.page.parse().ok().filter(|p| *p >= 1).unwrap_or(1);
    let search = (!q.is_empty()).then(|| q.clone());
    let found = match directory::list(&state.store, &console.ctx, search, &request).await {
        Ok(found) => found,
        Err(error) => return service_page(error),
    };
    let href = |extra: &[(&str, String)]| {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !q.is_empty() {
            pairs.push(("q", q.clone()));
        }
        pairs.extend(extra.iter().cloned());
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        if query.is_empty() {
            "/console/directory".to_owned()
        } else {
            format!("/console/directory?{query}")
        }
    };
    let first = (number - 1) * PAGE_SIZE + 1;
    let count = u32::try_from(found.items.len()).unwrap_or(0);
    let range = if count == 0 {
        format!("0 of {}", found.total)
    } else {
        format!("{first}\u{2013}{} of {}", first + count - 1, found.total)
    };
    let older = found.next_cursor.clone().map_or_else(String::new, |c| {
        href(&[("cursor", c), ("page", (number + 1).to_string())])
    });
    let access = console.me.user.directory_access;
    let first_href = if number > 1 { href(&[]) } else { String::new() };
    DirectoryPage {
        chrome: console.chrome.page("directory", "Directory"),
        access: match access {
            DirectoryAccess::None => "nobody",
            DirectoryAccess::Everyone => "everyone in the organization",
            DirectoryAccess::SharedLocations => "the people who share a location with you",
            DirectoryAccess::Hierarchy => "your part of the command hierarchy",
        },
        nobody: access == DirectoryAccess::None,
        q,
        rows: found.items.into_iter().map(row).collect(),
        range,
        first: first_href,
        older,
    }
    .into_response()
}
