//! The Locations & roles tab: the user's placements (role @ location, default, dates),
//! editable where they lie within the caller's current location and marked read-only
//! elsewhere; adding a placement; and the multi-location confirmation dialog when the
//! user also works outside the caller's location (DESIGN.md §2.1).

use askama::Template;
use askama_web::WebTemplate;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use muster_domain::NodeId;
use muster_domain::user::{DefaultPlacement, NewPlacement, Placement, PlacementPatch, User};
use muster_service::{authz, users};

use super::forms::{Choice, Lookups, Refusal, Submitted, date, form_field, parse_id};
use super::page::{Chrome, Console, FieldErrors, redirect_with, service_page};
use super::user_page::{UserFrame, Viewed};
use crate::AppState;

/// One placement row.
struct Row {
    node_id: String,
    location: String,
    role: String,
    roles: Vec<Choice>,
    default: bool,
    starts_on: String,
    ends_on: String,
    /// "In force", "Ended 2026-01-31", "Starts 2027-01-01".
    state: String,
    state_kind: &'static str,
    editable: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "user_placements.html")]
struct PlacementsPage {
    chrome: Chrome,
    frame: UserFrame,
    rows: Vec<Row>,
    refusal: Refusal,
    errors: FieldErrors,
    nodes: Vec<Choice>,
    roles: Vec<Choice>,
    new_starts_on: String,
    new_ends_on: String,
    new_default: bool,
    version: i64,
    current_location: String,
    read_only_count: usize,
}

/// What the add form held when it was refused.
#[derive(Default)]
struct Draft {
    node_id: String,
    role_id: String,
    starts_on: String,
    ends_on: String,
    default: bool,
}

fn state_of(p: &Placement, today: NaiveDate) -> (String, &'static str) {
    match (p.starts_on, p.ends_on) {
        (Some(s), _) if s > today => (format!("Starts {s}"), "warning"),
        (_, Some(e)) if e < today => (format!("Ended {e}"), "neutral"),
        (_, Some(e)) => (format!("In force until {e}"), "success"),
        _ => ("In force".to_owned(), "success"),
    }
}

async fn render(
    state: &AppState,
    console: Console,
    user: &User,
    draft: Draft,
    refusal: Refusal,
    submitted: Option<(&str, &Submitted)>,
) -> Response {
    let ctx = &console.ctx;
    let lookups = match Lookups::load(state, ctx).await {
        Ok(lookups) => lookups,
        Err(error) => return service_page(error),
    };
    let today = ctx.now.get().date_naive();
    let rows: Vec<Row> = user
        .placements
        .iter()
        .map(|p| {
            let (state, state_kind) = state_of(p, today);
            Row {
                node_id: p.node_id.to_string(),
                location: p.node_name.clone(),
                role: p.role_name.clone(),
                roles: lookups.role_choices(&[p.role_id.to_string()], None),
                default: p.default,
                starts_on: p.starts_on.map(|d| d.to_string()).unwrap_or_default(),
                ends_on: p.ends_on.map(|d| d.to_string()).unwrap_or_default(),
                state,
                state_kind,
                editable: authz::placement_editable(ctx, p.node_id),
            }
        })
        .collect();
    let read_only_count = rows.iter().filter(|r| !r.editable).count();
    let frame = UserFrame::load(state, ctx, user, "placements").await;
    let frame = match submitted {
        Some((action, form)) => frame.confirming(&refusal, action, form),
        None => frame,
    };
    let status = refusal.status();
    let page = PlacementsPage {
        frame,
        rows,
        errors: refusal.fields.clone(),
        refusal: if refusal.confirm {
            Refusal::default()
        } else {
            refusal
        },
        nodes: lookups.node_choices_within(console.me.current_node_id, &[draft.node_id]),
        roles: lookups.role_choices(&[draft.role_id], Some("— choose a role —")),
        new_starts_on: draft.starts_on,
        new_ends_on: draft.ends_on,
        new_default: draft.default,
        version: user.version,
        current_location: console.chrome.location_name.clone(),
        read_only_count,
        chrome: console.chrome.page("users", "Locations & roles"),
    };
    (status, page).into_response()
}

/// `GET /console/users/{id}/placements`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Viewed { console, user }: Viewed,
) -> Response {
    render(
        &state,
        console,
        &user,
        Draft::default(),
        Refusal::default(),
        None,
    )
    .await
}

/// `POST /console/users/{id}/placements`: adds a placement.
pub(crate) async fn add(
    State(state): State<AppState>,
    viewed: Viewed,
    form: Submitted,
) -> Response {
    let Viewed { console, user } = viewed.confirming(&form);
    let draft = Draft {
        node_id: form.get("node_id").to_owned(),
        role_id: form.get("role_id").to_owned(),
        starts_on: form.get("starts_on").to_owned(),
        ends_on: form.get("ends_on").to_owned(),
        default: form.ticked("default"),
    };
    let mut errors = FieldErrors::default();
    let node = parse_id::<NodeId>(&mut errors, "node_id", &draft.node_id);
    let role = parse_id(&mut errors, "role_id", &draft.role_id);
    if node.is_none() && !errors.has("node_id") {
        errors.push("node_id", "choose a location");
    }
    if role.is_none() && !errors.has("role_id") {
        errors.push("role_id", "choose a role");
    }
    let starts_on = date(&mut errors, "starts_on", &draft.starts_on);
    let ends_on = date(&mut errors, "ends_on", &draft.ends_on);
    let action = format!("/console/users/{}/placements", user.id);
    let (Some(node_id), Some(role_id), true) = (node, role, errors.is_empty()) else {
        let refusal = Refusal::fields(errors);
        return render(&state, console, &user, draft, refusal, None).await;
    };
    let request = NewPlacement {
        node_id,
        role_id,
        default: draft.default,
        starts_on,
        ends_on,
    };
    let version = form.get("version").parse().ok();
    match users::add_placement(&state.store, &console.ctx, user.id, version, request).await {
        Ok((placement, _)) => redirect_with(
            &action,
            "success",
            &format!(
                "{} at {} was added.",
                placement.role_name, placement.node_name
            ),
        ),
        Err(error) => {
            let refusal = Refusal::of(error, &form_field);
            render(
                &state,
                console,
                &user,
                draft,
                refusal,
                Some((&action, &form)),
            )
            .await
        }
    }
}

/// `POST /console/users/{id}/placements/{node}`: `action` = `update` (role and dates),
/// `default` or `remove`.
pub(crate) async fn change(
    State(state): State<AppState>,
    viewed: Viewed,
    Path((_, node)): Path<(String, String)>,
    form: Submitted,
) -> Response {
    let Viewed { console, user } = viewed.confirming(&form);
    let back = format!("/console/users/{}/placements", user.id);
    let Some(placement) = user
        .placements
        .iter()
        .find(|p| p.node_id.to_string() == node)
        .cloned()
    else {
        return redirect_with(&back, "error", "That placement no longer exists.");
    };
    let version = form.get("version").parse().ok();
    let ctx = &console.ctx;
    let store = &state.store;
    let result = match form.get("action") {
        "remove" => users::delete_placement(store, ctx, user.id, placement.node_id, version)
            .await
            .map(|()| {
                format!(
                    "{} at {} was removed.",
                    placement.role_name, placement.node_name
                )
            }),
        "default" => users::set_default_placement(
            store,
            ctx,
            user.id,
            version,
            DefaultPlacement {
                node_id: placement.node_id,
            },
        )
        .await
        .map(|_| format!("{} is now the default location.", placement.node_name)),
        _ => {
            let mut errors = FieldErrors::default();
            let patch = row_patch(&placement, &form, &mut errors);
            if !errors.is_empty() {
                let text = errors_text(&errors);
                return redirect_with(&back, "error", &text);
            }
            users::update_placement(store, ctx, user.id, placement.node_id, version, patch)
                .await
                .map(|(p, _)| format!("{} at {} was saved.", p.role_name, p.node_name))
        }
    };
    match result {
        Ok(saved) => redirect_with(&back, "success", &saved),
        Err(error) => {
            let refusal = Refusal::of(error, &form_field);
            if refusal.confirm {
                let action = format!("{back}/{node}");
                render(
                    &state,
                    console,
                    &user,
                    Draft::default(),
                    refusal,
                    Some((&action, &form)),
                )
                .await
            } else {
                let text = if refusal.fields.is_empty() {
                    refusal.message.unwrap_or_default()
                } else {
                    errors_text(&refusal.fields)
                };
                redirect_with(&back, "error", &text)
            }
        }
    }
}

/// The change a row's form asks for: only what differs from the placement.
fn row_patch(placement: &Placement, form: &Submitted, errors: &mut FieldErrors) -> PlacementPatch {
    let mut patch = PlacementPatch::default();
    if let Some(role) = parse_id(errors, "role_id", form.get("role_id"))
        && role != placement.role_id
    {
        patch.role_id = Some(role);
    }
    let starts_on = date(errors, "starts_on", form.get("starts_on"));
    if starts_on != placement.starts_on {
        patch.starts_on = Some(starts_on);
    }
    let ends_on = date(errors, "ends_on", form.get("ends_on"));
    if ends_on != placement.ends_on {
        patch.ends_on = Some(ends_on);
    }
    patch
}

/// Field errors as one sentence, for a toast.
fn errors_text(errors: &FieldErrors) -> String {
    errors
        .iter()
        .map(|(field, message)| format!("{}: {message}", field.replace('_', " ")))
        .collect::<Vec<_>>()
        .join("; ")
}
