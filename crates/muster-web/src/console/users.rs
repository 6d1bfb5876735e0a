//! The users list: search, filters, three-click column sort, paging with "1–10 of 50"
//! and a page-size picker. It pages through `muster_service::users::list`, the same
//! access-filtered query as `GET /api/v1/users`.
//!
//! "Next" links carry the keyset cursor of the page (`after`), so walking forward costs
//! the same at any depth; a page reached by number alone ("Previous", a typed URL) is
//! found by skipping through the earlier pages by cursor. Past the exact-count bound
//! the total is an estimate and reads "of about 48,000".

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use muster_domain::paging::Page;
use muster_domain::user::{LoginKind, SortOrder, UserFilter, UserSort, UserStatus, UserSummary};
use muster_service::paging::PageRequest;
use muster_service::{Ctx, users};
use serde::Deserialize;

use super::page::{Chrome, Console, display_name, service_page};
use crate::AppState;

/// Page sizes offered.
const SIZES: [u32; 4] = [10, 25, 50, 100];

/// The list's query string. Everything is optional and read leniently: a bad value
/// means its default.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    q: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    size: Option<String>,
    page: Option<String>,
    after: Option<String>,
    kind: Option<String>,
    inactive: Option<String>,
    others: Option<String>,
}

/// The list's state, parsed.
#[derive(Debug, Clone)]
struct ListState {
    q: String,
    sort: Option<UserSort>,
    order: SortOrder,
    size: u32,
    page: u32,
    /// The cursor of the page before `page`, when the link carried it.
    after: Option<String>,
    kind: Option<LoginKind>,
    inactive: bool,
    others: bool,
}

impl ListState {
    fn parse(query: ListQuery) -> Self {
        let flag = |v: Option<String>| v.is_some_and(|v| v == "1" || v == "on" || v == "true");
        let sort = query.sort.and_then(|s| s.parse().ok());
        Self {
            q: query
                .q
                .unwrap_or_default()
                .trim()
                .chars()
                .take(100)
                .collect(),
            order: query
                .order
                .and_then(|o| o.parse().ok())
                .filter(|_| sort.is_some())
                .unwrap_or(SortOrder::Asc),
            sort,
            size: query
                .size
                .and_then(|s| s.parse().ok())
                .filter(|s| SIZES.contains(s))
                .unwrap_or(10),
            page: query
                .page
                .and_then(|p| p.parse().ok())
                .filter(|p| *p >= 1)
                .unwrap_or(1),
            after: query.after.filter(|a| !a.is_empty()),
            kind: query.kind.and_then(|k| k.parse().ok()),
            inactive: flag(query.inactive),
            others: flag(query.others),
        }
    }

    fn filter(&self) -> UserFilter {
        let mut statuses = vec![UserStatus::Active];
        if self.inactive {
            statuses.push(UserStatus::Inactive);
        }
        if self.others {
            statuses.extend([
                UserStatus::Banned,
                UserStatus::Retired,
                UserStatus::Separated,
            ]);
        }
        UserFilter {
            q: (!self.q.is_empty()).then(|| self.q.clone()),
            statuses,
            login_kind: self.kind,
            node_id: None,
            sort: self.sort.unwrap_or(UserSort::LastName),
            order: self.order,
        }
    }

    /// The query parameters of this state (without `page` unless given).
    fn params(&self, with_page: bool) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !self.q.is_empty() {
            out.push(("q", self.q.clone()));
        }
        if let Some(kind) = self.kind {
            out.push(("kind", kind.as_str().to_owned()));
        }
        if self.inactive {
            out.push(("inactive", "1".to_owned()));
        }
        if self.others {
            out.push(("others", "1".to_owned()));
        }
        if let Some(sort) = self.sort {
            out.push(("sort", sort.as_str().to_owned()));
            out.push(("order", self.order.as_str().to_owned()));
        }
        out.push(("size", self.size.to_string()));
        if with_page && self.page > 1 {
            out.push(("page", self.page.to_string()));
            if let Some(after) = &self.after {
                out.push(("after", after.clone()));
            }
        }
        out
    }

    fn href(&self) -> String {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.params(true))
            .finish();
        format!("/console/users?{query}")
    }
}

/// A column header; sortable ones link to the next state of the three-click cycle.
struct Column {
    label: &'static str,
    href: String,
    /// `asc`, `desc` or empty.
    sort_state: &'static str,
    aria_sort: &'static str,
}

/// One row.
struct Row {
    id: String,
    name: String,
    initials: String,
    login: String,
    location: String,
    role: String,
    phone: String,
    last_login: String,
    inactive: bool,
    muted: bool,
    badge: &'static str,
    badge_kind: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    q: String,
    kind: &'static str,
    inactive: bool,
    others: bool,
    sort: &'static str,
    order: &'static str,
    size: u32,
    sizes: Vec<u32>,
    columns: Vec<Column>,
    rows: Vec<Row>,
    range: String,
    page: u32,
    pages: String,
    prev: String,
    next: String,
    keep: Vec<(&'static str, String)>,
    /// Whether the rows can be ticked for a bulk action.
    can_bulk: bool,
}

/// `GET /console/users`.
pub(crate) async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<ListQuery>,
) -> Response {
    let mut list = ListState::parse(query);
    let filter = list.filter();
    let page = match fetch(&state, &console.ctx, &filter, &mut list).await {
        Ok(page) => page,
        Err(error) => return service_page(error),
    };
    let total = u32::try_from(page.total).unwrap_or(u32::MAX);
    let pages = total.div_ceil(list.size).max(1);
    let first = (list.page - 1) * list.size + 1;
    let end = first + u32::try_from(page.items.len()).unwrap_or(0) - 1;
    let about = if page.total_is_estimate { "about " } else { "" };
    let range = if page.items.is_empty() {
        format!("0 of {about}{}", grouped(total))
    } else {
        format!("{first}\u{2013}{end} of {about}{}", grouped(total))
    };
    let prev = if list.page > 1 {
        let mut s = list.clone();
        s.page = list.page - 1;
        s.after = None;
        s.href()
    } else {
        String::new()
    };
    let next = match &page.next_cursor {
        Some(cursor) => {
            let mut s = list.clone();
            s.page = list.page + 1;
            s.after = Some(cursor.clone());
            s.href()
        }
        None => String::new(),
    };
    let pages = format!("{about}{}", grouped(pages.max(list.page)));
    let columns = columns(&list);
    let rows = page.items.iter().map(row).collect();
    let keep = list
        .params(false)
        .into_iter()
        .filter(|(k, _)| *k != "size")
        .collect();
    let can_bulk =
        console.chrome.can("users.lifecycle") || console.chrome.can("users.reset_password");
    UsersPage {
        can_bulk,
        chrome: console.chrome.page("users", "Users"),
        q: list.q.clone(),
        kind: list.kind.map_or("", LoginKind::as_str),
        inactive: list.inactive,
        others: list.others,
        sort: list.sort.map_or("", UserSort::as_str),
        order: list.order.as_str(),
        size: list.size,
        sizes: SIZES.to_vec(),
        columns,
        rows,
        range,
        page: list.page,
        pages,
        prev,
        next,
        keep,
    }
    .into_response()
}

/// The page `list.page`: straight from its cursor when the link carried one, else
/// (clamped to the last page) by skipping the earlier pages by cursor.
async fn fetch(
    state: &AppState,
    ctx: &Ctx,
    filter: &UserFilter,
    list: &mut ListState,
) -> Result<Page<UserSummary>, muster_service::ServiceError> {
    let bound = state.exact_total;
    if list.page > 1
        && let Some(after) = &list.after
    {
        let request = PageRequest::new(Some(list.size), Some(after.clone()))?;
        if let Ok(page) = users::list(
            &state.store,
            ctx,
            filter.clone(),
            &request.with_exact_total(bound),
        )
        .await
        {
            return Ok(page);
        }
        // A stale or foreign cursor: find the page by number instead.
        list.after = None;
    }
    let first = users::list(
        &state.store,
        ctx,
        filter.clone(),
        &PageRequest::first(list.size).with_exact_total(bound),
    )
    .await?;
    let total = u32::try_from(first.total).unwrap_or(u32::MAX);
    let pages = total.div_ceil(list.size).max(1);
    list.page = list.page.min(pages);
    if list.page == 1 {
        return Ok(first);
    }
    // Skip (page - 1) * size items in steps of at most 500 (the largest page); the steps
    // need no total, so they count only as far as the smallest bound.
    let mut skip = (list.page - 1) * list.size;
    let mut cursor = None;
    while skip > 0 {
        let step = skip.min(500);
        let request = PageRequest::new(Some(step), cursor.take())?.with_exact_total(1);
        let skipped = users::list(&state.store, ctx, filter.clone(), &request).await?;
        cursor = skipped.next_cursor;
        skip -= step;
        if cursor.is_none() {
            // The list ended before the page (the estimate was high): nothing to show.
            return Ok(Page {
                items: Vec::new(),
                ..first
            });
        }
    }
    let request = PageRequest::new(Some(list.size), cursor)?.with_exact_total(bound);
    let mut page = users::list(&state.store, ctx, filter.clone(), &request).await?;
    page.total = first.total;
    page.total_is_estimate = first.total_is_estimate;
    Ok(page)
}

/// `48000` as `48,000`.
fn grouped(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The headers: name, login, default location, role there, phone, last sign-in.
fn columns(list: &ListState) -> Vec<Column> {
    let sortable = |label: &'static str, key: Option<UserSort>| {
        let Some(key) = key else {
            return Column {
                label,
                href: String::new(),
                sort_state: "",
                aria_sort: "",
            };
        };
        // Three clicks: ascending, descending, back to the default order.
        let mut next = list.clone();
        next.page = 1;
        let (sort_state, aria_sort) = match (list.sort, list.order) {
            (Some(s), SortOrder::Asc) if s == key => {
                next.order = SortOrder::Desc;
                ("asc", "ascending")
            }
            (Some(s), SortOrder::Desc) if s == key => {
                next.sort = None;
                next.order = SortOrder::Asc;
                ("desc", "descending")
            }
            _ => {
                next.sort = Some(key);
                next.order = SortOrder::Asc;
                ("none", "none")
            }
        };
        Column {
            label,
            href: next.href(),
            sort_state,
            aria_sort,
        }
    };
    vec![
        sortable("Name", Some(UserSort::LastName)),
        sortable("Login", Some(UserSort::Login)),
        sortable("Default location", Some(UserSort::DefaultNode)),
        sortable("Role there", None),
        sortable("Phone", None),
        sortable("Last sign-in", Some(UserSort::LastLoginAt)),
    ]
}

fn row(u: &UserSummary) -> Row {
    let (badge, badge_kind) = match u.status {
        UserStatus::Active => ("", ""),
        UserStatus::Inactive => ("Inactive", "neutral"),
        UserStatus::Banned => ("Banned", "danger"),
        UserStatus::Retired => ("Retired", "warning"),
        UserStatus::Separated => ("Separated", "warning"),
        UserStatus::Deleted => ("Deleted", "danger"),
    };
    let name = match u.display_name.as_deref() {
        Some(d) if !d.trim().is_empty() => format!("{d} ({}, {})", u.last_name, u.first_name),
        _ => format!("{}, {}", u.last_name, u.first_name),
    };
    let _ = display_name;
    Row {
        id: u.id.to_string(),
        initials: format!(
            "{}{}",
            u.first_name.chars().next().unwrap_or('?'),
            u.last_name.chars().next().unwrap_or_default()
        )
        .to_uppercase(),
        name,
        login: u.login.clone(),
        location: u.default_node_name.clone().unwrap_or_default(),
        role: u.default_role_name.clone().unwrap_or_default(),
        phone: u.phone.clone().unwrap_or_default(),
        last_login: u.last_login_at.map_or_else(
            || "Never".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M").to_string(),
        ),
        inactive: u.status == UserStatus::Inactive,
        muted: matches!(
            u.status,
            UserStatus::Banned | UserStatus::Retired | UserStatus::Separated
        ),
        badge,
        badge_kind,
    }
}
