//! Reference lists (`/console/reference`): ranks, titles, units, specialties, separation
//! statuses, assignment types and node kinds — add, rename, delete. Everything goes
//! through `muster_service::reference`, the functions behind `/api/v1/reference/{list}`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use muster_domain::access::Capability;
use muster_domain::reference::{NewReferenceItem, ReferenceItemPatch, ReferenceList};
use muster_service::paging::PageRequest;
use muster_service::reference;
use uuid::Uuid;

use super::{FormFields, Refusal, collect_all, refuse_unless_org_wide};
use crate::AppState;
use crate::console::page::{Chrome, Console, FieldErrors, not_found, redirect_with, service_page};

/// How the console names a list and what it is for.
fn describe(list: ReferenceList) -> (&'static str, &'static str) {
    match list {
        ReferenceList::Ranks => (
            "Ranks",
            "The ranks people hold: Captain, Lieutenant, Sergeant…",
        ),
        ReferenceList::Titles => (
            "Titles",
            "Job titles, shown with a designation (\u{201c}VP\u{201d} of Sales).",
        ),
        ReferenceList::Units => ("Units", "Units people serve in: Patrol, K-9, Traffic…"),
        ReferenceList::Specialties => (
            "Specialties",
            "Skills and certifications; a person may have several.",
        ),
        ReferenceList::SeparationStatuses => (
            "Separation statuses",
            "Why people leave: retired, resigned, terminated…",
        ),
        ReferenceList::AssignmentTypes => (
            "Assignment types",
            "Kinds of assignment in promotion and assignment records.",
        ),
        ReferenceList::NodeKinds => (
            "Node kinds",
            "The levels of the organization tree: Region, Division, Location…",
        ),
    }
}

/// One list on the overview.
struct ListCard {
    key: &'static str,
    label: &'static str,
    description: &'static str,
    total: i64,
    preview: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "reference_index.html")]
struct IndexPage {
    chrome: Chrome,
    lists: Vec<ListCard>,
}

/// `GET /console/reference`: every list, with its size and first entries.
pub(crate) async fn index(State(state): State<AppState>, console: Console) -> Response {
    if let Some(refused) = refuse_unless_org_wide(&console.ctx, Capability::OrgManage) {
        return refused;
    }
    let mut lists = Vec::new();
    for list in ReferenceList::ALL {
        let page = match reference::list(&state.store, &console.ctx, *list, &PageRequest::first(6))
            .await
        {
            Ok(page) => page,
            Err(error) => return service_page(error),
        };
        let (label, description) = describe(*list);
        lists.push(ListCard {
            key: list.as_str(),
            label,
            description,
            total: page.total,
            preview: page.items.into_iter().map(|i| i.name).collect(),
        });
    }
    IndexPage {
        chrome: console.chrome.page("reference", "Reference lists"),
        lists,
    }
    .into_response()
}

/// One entry of a list.
struct Row {
    id: String,
    name: String,
    version: i64,
    /// The root's node kind: neither deleted nor renamed away from the organization.
    is_root: bool,
}

/// A tab of the list page.
struct Tab {
    key: &'static str,
    label: &'static str,
    current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "reference_list.html")]
struct ListPage {
    chrome: Chrome,
    key: &'static str,
    label: &'static str,
    description: &'static str,
    tabs: Vec<Tab>,
    rows: Vec<Row>,
    /// The add form's value and errors.
    new_name: String,
    new_errors: FieldErrors,
    /// The row whose rename failed, its value and errors.
    edit_id: String,
    edit_name: String,
    edit_errors: FieldErrors,
    /// The row whose deletion awaits confirmation (without script).
    confirm_id: String,
    alert: Option<String>,
}

impl ListPage {
    fn name_of<'a>(&'a self, row: &'a Row) -> &'a str {
        if row.id == self.edit_id {
            &self.edit_name
        } else {
            &row.name
        }
    }
}

/// What a list page shows besides the list itself.
#[derive(Default)]
struct Shown {
    new_name: String,
    new_errors: FieldErrors,
    edit_id: String,
    edit_name: String,
    edit_errors: FieldErrors,
    confirm_id: String,
    alert: Option<String>,
    status: Option<StatusCode>,
}

async fn render(state: &AppState, console: Console, list: ReferenceList, shown: Shown) -> Response {
    let (store, ctx) = (&state.store, &console.ctx);
    let items =
        match collect_all(|page| async move { reference::list(store, ctx, list, &page).await })
            .await
        {
            Ok(items) => items,
            Err(error) => return service_page(error),
        };
    let (label, description) = describe(list);
    let page = ListPage {
        chrome: console.chrome.page("reference", label),
        key: list.as_str(),
        label,
        description,
        tabs: ReferenceList::ALL
            .iter()
            .map(|l| Tab {
                key: l.as_str(),
                label: describe(*l).0,
                current: *l == list,
            })
            .collect(),
        rows: items
            .into_iter()
            .map(|i| Row {
                id: i.id.to_string(),
                name: i.name,
                version: i.version,
                is_root: i.is_root == Some(true),
            })
            .collect(),
        new_name: shown.new_name,
        new_errors: shown.new_errors,
        edit_id: shown.edit_id,
        edit_name: shown.edit_name,
        edit_errors: shown.edit_errors,
        confirm_id: shown.confirm_id,
        alert: shown.alert,
    };
    (shown.status.unwrap_or(StatusCode::OK), page).into_response()
}

/// The list named in the path; `None` answers 404.
fn list_of(name: &str) -> Option<ReferenceList> {
    ReferenceList::from_path(name)
}

/// `GET /console/reference/{list}`.
pub(crate) async fn list(
    State(state): State<AppState>,
    console: Console,
    Path(name): Path<String>,
) -> Response {
    let Some(list) = list_of(&name) else {
        return not_found().await;
    };
    if let Some(refused) = refuse_unless_org_wide(&console.ctx, Capability::OrgManage) {
        return refused;
    }
    render(&state, console, list, Shown::default()).await
}

/// `POST /console/reference/{list}`: adds an entry (`POST /api/v1/reference/{list}`).
pub(crate) async fn create(
    State(state): State<AppState>,
    console: Console,
    Path(name): Path<String>,
    form: FormFields,
) -> Response {
    let Some(list) = list_of(&name) else {
        return not_found().await;
    };
    let new_name = form.text("name");
    let request = NewReferenceItem {
        name: Some(new_name.clone()),
        position: None,
    };
    match reference::create(&state.store, &console.ctx, list, request).await {
        Ok(item) => redirect_with(
            &format!("/console/reference/{}", list.as_str()),
            "success",
            &format!("Added \u{201c}{}\u{201d}.", item.name),
        ),
        Err(error) => {
            let refusal = Refusal::of(error, &str::to_owned);
            let shown = Shown {
                new_name,
                new_errors: refusal.errors.clone(),
                alert: refusal.alert.clone(),
                status: Some(refusal.status()),
                ..Shown::default()
            };
            render(&state, console, list, shown).await
        }
    }
}

/// `POST /console/reference/{list}/{id}`: renames an entry.
pub(crate) async fn update(
    State(state): State<AppState>,
    console: Console,
    Path((name, id)): Path<(String, String)>,
    form: FormFields,
) -> Response {
    let (Some(list), Ok(id)) = (list_of(&name), id.parse::<Uuid>()) else {
        return not_found().await;
    };
    let new_name = form.text("name");
    let patch = ReferenceItemPatch {
        name: Some(Some(new_name.clone())),
        position: None,
    };
    match reference::update(&state.store, &console.ctx, list, id, form.version(), patch).await {
        Ok(item) => redirect_with(
            &format!("/console/reference/{}", list.as_str()),
            "success",
            &format!("Saved \u{201c}{}\u{201d}.", item.name),
        ),
        Err(error) => {
            let refusal = Refusal::of(error, &str::to_owned);
            let shown = Shown {
                edit_id: id.to_string(),
                edit_name: new_name,
                edit_errors: refusal.errors.clone(),
                alert: refusal.alert.clone(),
                status: Some(refusal.status()),
                ..Shown::default()
            };
            render(&state, console, list, shown).await
        }
    }
}

/// `POST /console/reference/{list}/{id}/delete`: deletes an entry once confirmed (the
/// dialog sends `confirm`; without script the page first asks).
pub(crate) async fn delete(
    State(state): State<AppState>,
    console: Console,
    Path((name, id)): Path<(String, String)>,
    form: FormFields,
) -> Response {
    let (Some(list), Ok(id)) = (list_of(&name), id.parse::<Uuid>()) else {
        return not_found().await;
    };
    if !form.has("confirm") {
        if let Some(refused) = refuse_unless_org_wide(&console.ctx, Capability::OrgManage) {
            return refused;
        }
        let shown = Shown {
            confirm_id: id.to_string(),
            ..Shown::default()
        };
        return render(&state, console, list, shown).await;
    }
    match reference::delete(&state.store, &console.ctx, list, id, form.version()).await {
        Ok(()) => redirect_with(
            &format!("/console/reference/{}", list.as_str()),
            "success",
            "Deleted. Records that name it keep it.",
        ),
        Err(error) => {
            let refusal = Refusal::of(error, &str::to_owned);
            let alert = refusal
                .alert
                .clone()
                .or_else(|| refusal.errors.get("id").map(|m| format!("{m}.")));
            let shown = Shown {
                alert,
                status: Some(refusal.status()),
                ..Shown::default()
            };
            render(&state, console, list, shown).await
        }
    }
}
