//! The command hierarchy (`/console/org/hierarchy`): the groups drawn as an org chart —
//! an SVG laid out here, on the server, with no script — each group's privileges listed
//! (scope × access × section), and the forms to create, rename, move and delete groups
//! and to edit their privileges. Every change goes through `muster_service::hierarchy`,
//! the functions behind `/api/v1/command-groups`, which refuses the combinations that
//! make no sense (editing peers' records; editing the read-only sections).

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use muster_domain::CommandGroupId;
use muster_domain::access::Capability;
use muster_domain::hierarchy::{
    Access, CommandGroup, CommandGroupPatch, NewCommandGroup, Privilege, Scope, Section,
};
use muster_service::hierarchy;

use super::{FormFields, Refusal, collect_all, refuse_unless_org_wide};
use crate::AppState;
use crate::console::page::{Chrome, Console, FieldErrors, not_found, redirect_with, service_page};

/// How the console names a scope.
fn scope_label(scope: Scope) -> &'static str {
    match scope {
        Scope::All => "All users",
        Scope::Direct => "Direct reports",
        Scope::Indirect => "Indirect reports",
        Scope::Own => "Own profile",
        Scope::Peers => "Peers",
    }
}

/// How the console names a section.
fn section_label(section: Section) -> &'static str {
    match section {
        Section::AuditLog => "Audit log",
        Section::Commendations => "Commendations & awards",
        Section::Demographics => "Demographics",
        Section::Discipline => "Discipline",
        Section::FeedbackNotes => "Feedback notes",
        Section::PerformanceReviews => "Performance reviews",
        Section::Photo => "Photo",
        Section::Promotions => "Promotions",
        Section::RelatedReports => "Related reports",
        Section::ServiceHistory => "Service history",
        Section::Status => "Status",
    }
}

// ---------------------------------------------------------------------------------------
// The chart

/// Width of a group's box.
const BOX_W: i64 = 196;
/// Height of a group's box.
const BOX_H: i64 = 58;
/// Space between boxes side by side.
const GAP_X: i64 = 20;
/// Space between levels.
const GAP_Y: i64 = 48;
/// Space around the chart.
const MARGIN: i64 = 12;
/// Longest name drawn in full in a box.
const NAME_MAX: usize = 24;

/// A box of the chart.
struct ChartBox {
    id: String,
    x: i64,
    y: i64,
    /// The name as drawn (shortened if long) and in full.
    label: String,
    name: String,
    detail: String,
    selected: bool,
}

impl ChartBox {
    fn text_x(&self) -> i64 {
        self.x + BOX_W / 2
    }
    fn name_y(&self) -> i64 {
        self.y + 25
    }
    fn detail_y(&self) -> i64 {
        self.y + 44
    }
}

/// The laid-out chart.
struct Chart {
    width: i64,
    height: i64,
    boxes: Vec<ChartBox>,
    /// Connector paths (`d` attributes) from each parent to its children.
    links: Vec<String>,
    box_w: i64,
    box_h: i64,
}

/// Lays the groups out as a tidy tree: leaves side by side in name order, each parent
/// centred over its children, one row per level; several root groups stand side by side.
fn chart(groups: &[CommandGroup], selected: Option<CommandGroupId>) -> Chart {
    let mut children: HashMap<Option<CommandGroupId>, Vec<&CommandGroup>> = HashMap::new();
    let known: BTreeSet<CommandGroupId> = groups.iter().map(|g| g.id).collect();
    for g in groups {
        // A parent that is not listed (cannot happen in a consistent tree) makes a root.
        let parent = g.parent_id.filter(|p| known.contains(p));
        children.entry(parent).or_default().push(g);
    }
    for list in children.values_mut() {
        list.sort_by_key(|g| g.name.to_lowercase());
    }
    // Centre x (in slot units × 2, to keep halves exact) and depth of every group.
    let mut placed: HashMap<CommandGroupId, (i64, i64)> = HashMap::new();
    let mut next_leaf = 0_i64;
    let mut max_depth = 0_i64;
    // Iterative post-order: (group, depth, children done).
    let mut stack: Vec<(&CommandGroup, i64, bool)> = children
        .get(&None)
        .map(|roots| roots.iter().rev().map(|g| (*g, 0, false)).collect())
        .unwrap_or_default();
    while let Some((group, depth, done)) = stack.pop() {
        max_depth = max_depth.max(depth);
        let below = children.get(&Some(group.id));
        match below {
            Some(list) if !list.is_empty() && !done => {
                stack.push((group, depth, true));
                stack.extend(list.iter().rev().map(|g| (*g, depth + 1, false)));
            }
            Some(list) if !list.is_empty() => {
                let xs: Vec<i64> = list
                    .iter()
                    .filter_map(|c| placed.get(&c.id).map(|(x, _)| *x))
                    .collect();
                let centre = i64::midpoint(
                    xs.first().copied().unwrap_or(0),
                    xs.last().copied().unwrap_or(0),
                );
                placed.insert(group.id, (centre, depth));
            }
            _ => {
                placed.insert(group.id, (next_leaf * 2, depth));
                next_leaf += 1;
            }
        }
    }
    let left = |x2: i64| MARGIN + x2 * (BOX_W + GAP_X) / 2;
    let top = |depth: i64| MARGIN + depth * (BOX_H + GAP_Y);
    let mut boxes = Vec::new();
    let mut links = Vec::new();
    for g in groups {
        let Some(&(x2, depth)) = placed.get(&g.id) else {
            continue;
        };
        let (x, y) = (left(x2), top(depth));
        let count = g.privileges.len();
        boxes.push(ChartBox {
            id: g.id.to_string(),
            x,
            y,
            label: shorten(&g.name),
            name: g.name.clone(),
            detail: match count {
                0 => "No privileges".to_owned(),
                1 => "1 privilege".to_owned(),
                n => format!("{n} privileges"),
            },
            selected: Some(g.id) == selected,
        });
        for child in children.get(&Some(g.id)).into_iter().flatten() {
            if let Some(&(cx2, cdepth)) = placed.get(&child.id) {
                let (from_x, from_y) = (x + BOX_W / 2, y + BOX_H);
                let (to_x, to_y) = (left(cx2) + BOX_W / 2, top(cdepth));
                let mid = from_y + GAP_Y / 2;
                links.push(format!("M{from_x} {from_y}V{mid}H{to_x}V{to_y}"));
            }
        }
    }
    Chart {
        width: 2 * MARGIN + next_leaf.max(1) * (BOX_W + GAP_X) - GAP_X,
        height: 2 * MARGIN + (max_depth + 1) * (BOX_H + GAP_Y) - GAP_Y,
        boxes,
        links,
        box_w: BOX_W,
        box_h: BOX_H,
    }
}

/// A name that fits its box.
fn shorten(name: &str) -> String {
    if name.chars().count() <= NAME_MAX {
        name.to_owned()
    } else {
        let mut short: String = name.chars().take(NAME_MAX - 1).collect();
        short.push('\u{2026}');
        short
    }
}

// ---------------------------------------------------------------------------------------
// The overview

/// One line of a group's privileges: an access over a scope, and the sections.
struct PrivilegeLine {
    access: &'static str,
    edit: bool,
    scope: &'static str,
    sections: String,
}

/// A group in the list below the chart.
struct GroupCard {
    id: String,
    name: String,
    parent: String,
    lines: Vec<PrivilegeLine>,
}

/// A choice of a select.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "hierarchy.html")]
struct OverviewPage {
    chrome: Chrome,
    chart: Chart,
    groups: Vec<GroupCard>,
    parents: Vec<Choice>,
    new_name: String,
    errors: FieldErrors,
    alert: Option<String>,
}

/// Every group, depth first by name, with its depth.
fn in_order(groups: &[CommandGroup]) -> Vec<(&CommandGroup, usize)> {
    let mut children: HashMap<Option<CommandGroupId>, Vec<&CommandGroup>> = HashMap::new();
    for g in groups {
        children.entry(g.parent_id).or_default().push(g);
    }
    for list in children.values_mut() {
        list.sort_by_key(|g| std::cmp::Reverse(g.name.to_lowercase()));
    }
    let mut out = Vec::new();
    let mut stack: Vec<(&CommandGroup, usize)> = children
        .get(&None)
        .map(|r| r.iter().map(|g| (*g, 0)).collect())
        .unwrap_or_default();
    while let Some((g, depth)) = stack.pop() {
        out.push((g, depth));
        if let Some(below) = children.get(&Some(g.id)) {
            stack.extend(below.iter().map(|c| (*c, depth + 1)));
        }
    }
    out
}

/// A group's privileges in words, edit lines first, then by scope.
fn lines(privileges: &[Privilege]) -> Vec<PrivilegeLine> {
    let mut out = Vec::new();
    for access in [Access::Edit, Access::View] {
        for scope in Scope::ALL {
            let sections: Vec<&str> = privileges
                .iter()
                .filter(|p| p.access == access && p.scope == *scope)
                .map(|p| section_label(p.section))
                .collect();
            if !sections.is_empty() {
                out.push(PrivilegeLine {
                    access: if access == Access::Edit {
                        "Edit"
                    } else {
                        "View"
                    },
                    edit: access == Access::Edit,
                    scope: scope_label(*scope),
                    sections: sections.join(", "),
                });
            }
        }
    }
    out
}

fn parent_choices(
    order: &[(&CommandGroup, usize)],
    exclude: &BTreeSet<CommandGroupId>,
    chosen: &str,
) -> Vec<Choice> {
    let mut out = vec![Choice {
        value: String::new(),
        label: "None (a top-level group)".to_owned(),
        selected: chosen.is_empty(),
    }];
    out.extend(
        order
            .iter()
            .filter(|(g, _)| !exclude.contains(&g.id))
            .map(|(g, depth)| Choice {
                value: g.id.to_string(),
                label: format!("{}{}", "\u{a0}\u{a0}\u{a0}".repeat(*depth), g.name),
                selected: g.id.to_string() == chosen,
            }),
    );
    out
}

async fn all_groups(state: &AppState, console: &Console) -> Result<Vec<CommandGroup>, Response> {
    let (store, ctx) = (&state.store, &console.ctx);
    collect_all(|page| async move { hierarchy::list(store, ctx, &page).await })
        .await
        .map_err(service_page)
}

async fn overview(
    state: &AppState,
    console: Console,
    form: Option<&FormFields>,
    refusal: Refusal,
) -> Response {
    let groups = match all_groups(state, &console).await {
        Ok(groups) => groups,
        Err(refused) => return refused,
    };
    let names: HashMap<CommandGroupId, &str> =
        groups.iter().map(|g| (g.id, g.name.as_str())).collect();
    let order = in_order(&groups);
    let cards = order
        .iter()
        .map(|(g, _)| GroupCard {
            id: g.id.to_string(),
            name: g.name.clone(),
            parent: g
                .parent_id
                .and_then(|p| names.get(&p).map(|n| (*n).to_owned()))
                .unwrap_or_default(),
            lines: lines(&g.privileges),
        })
        .collect();
    let chosen_parent = form.map(|f| f.text("parent_id")).unwrap_or_default();
    let status = if refusal.status == 0 {
        StatusCode::OK
    } else {
        refusal.status()
    };
    let page = OverviewPage {
        chrome: console
            .chrome
            .clone()
            .page("hierarchy", "Command hierarchy"),
        chart: chart(&groups, None),
        parents: parent_choices(&order, &BTreeSet::new(), &chosen_parent),
        groups: cards,
        new_name: form.map(|f| f.text("name")).unwrap_or_default(),
        errors: refusal.errors,
        alert: refusal.alert,
    };
    (status, page).into_response()
}

/// `GET /console/org/hierarchy`.
pub(crate) async fn page(State(state): State<AppState>, console: Console) -> Response {
    if let Some(refused) = refuse_unless_org_wide(&console.ctx, Capability::HierarchyManage) {
        return refused;
    }
    overview(&state, console, None, Refusal::default()).await
}

/// A parent chosen in a form: `Ok(None)` for a top-level group.
fn parent_of(form: &FormFields) -> Result<Option<CommandGroupId>, ()> {
    let raw = form.text("parent_id");
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse().map(Some).map_err(|_| ())
}

/// `POST /console/org/hierarchy`: creates a group (`POST /api/v1/command-groups`); its
/// privileges are edited on its own page next.
pub(crate) async fn create(
    State(state): State<AppState>,
    console: Console,
    form: FormFields,
) -> Response {
    let Ok(parent_id) = parent_of(&form) else {
        let mut errors = FieldErrors::default();
        errors.push("parent_id", "choose a group from the list");
        let refusal = Refusal {
            status: 422,
            alert: None,
            errors,
        };
        return overview(&state, console, Some(&form), refusal).await;
    };
    let request = NewCommandGroup {
        name: form.text("name"),
        parent_id,
        privileges: Vec::new(),
    };
    match hierarchy::create(&state.store, &console.ctx, request).await {
        Ok(group) => redirect_with(
            &format!("/console/org/hierarchy/{}", group.id),
            "success",
            &format!(
                "Group \u{201c}{}\u{201d} created. Choose its privileges.",
                group.name
            ),
        ),
        Err(error) => {
            let refusal = Refusal::of(error, &str::to_owned);
            overview(&state, console, Some(&form), refusal).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// One group

/// A cell of the privilege matrix.
struct Cell {
    field: String,
    /// "", "view" or "edit".
    value: &'static str,
    can_edit: bool,
    label: String,
}

/// A row of the matrix: one section across the scopes.
struct MatrixRow {
    section: &'static str,
    cells: Vec<Cell>,
}

#[derive(Template, WebTemplate)]
#[template(path = "command_group.html")]
struct GroupPage {
    chrome: Chrome,
    id: String,
    version: i64,
    title: String,
    name: String,
    parents: Vec<Choice>,
    scopes: Vec<&'static str>,
    rows: Vec<MatrixRow>,
    children: usize,
    errors: FieldErrors,
    alert: Option<String>,
    confirm_delete: bool,
}

fn cell_field(scope: Scope, section: Section) -> String {
    format!("priv.{}.{}", scope.as_str(), section.as_str())
}

/// The privileges a form asks for, in matrix order (row by row).
fn privileges_of(form: &FormFields) -> Vec<Privilege> {
    let mut out = Vec::new();
    for section in Section::ALL {
        for scope in Scope::ALL {
            let access = match form.get(&cell_field(*scope, *section)) {
                "view" => Access::View,
                "edit" => Access::Edit,
                _ => continue,
            };
            out.push(Privilege {
                scope: *scope,
                access,
                section: *section,
            });
        }
    }
    out
}

fn group_page(
    console: Console,
    group: &CommandGroup,
    groups: &[CommandGroup],
    form: Option<&FormFields>,
    refusal: Refusal,
    confirm_delete: bool,
) -> Response {
    let order = in_order(groups);
    let mut below: BTreeSet<CommandGroupId> = BTreeSet::from([group.id]);
    for (g, _) in &order {
        if g.parent_id.is_some_and(|p| below.contains(&p)) {
            below.insert(g.id);
        }
    }
    let privileges = form.map_or_else(|| group.privileges.clone(), privileges_of);
    let chosen_parent = form.map_or_else(
        || group.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        |f| f.text("parent_id"),
    );
    let rows = Section::ALL
        .iter()
        .map(|section| MatrixRow {
            section: section_label(*section),
            cells: Scope::ALL
                .iter()
                .map(|scope| {
                    let held = privileges
                        .iter()
                        .find(|p| p.scope == *scope && p.section == *section)
                        .map(|p| p.access);
                    let edit = Privilege {
                        scope: *scope,
                        access: Access::Edit,
                        section: *section,
                    };
                    Cell {
                        field: cell_field(*scope, *section),
                        value: match held {
                            Some(Access::Edit) => "edit",
                            Some(Access::View) => "view",
                            None => "",
                        },
                        // Only the combinations the domain accepts are offered.
                        can_edit: edit.refusal().is_none() || held == Some(Access::Edit),
                        label: format!("{}: {}", section_label(*section), scope_label(*scope)),
                    }
                })
                .collect(),
        })
        .collect();
    let status = if refusal.status == 0 {
        StatusCode::OK
    } else {
        refusal.status()
    };
    let page = GroupPage {
        chrome: console.chrome.page("hierarchy", group.name.clone()),
        id: group.id.to_string(),
        version: group.version,
        title: group.name.clone(),
        name: form.map_or_else(|| group.name.clone(), |f| f.text("name")),
        parents: parent_choices(&order, &below, &chosen_parent),
        scopes: Scope::ALL.iter().map(|s| scope_label(*s)).collect(),
        rows,
        children: groups
            .iter()
            .filter(|g| g.parent_id == Some(group.id))
            .count(),
        errors: refusal.errors,
        alert: refusal.alert,
        confirm_delete,
    };
    (status, page).into_response()
}

async fn load(
    state: &AppState,
    console: &Console,
    id: &str,
) -> Result<(CommandGroup, Vec<CommandGroup>), Response> {
    let Ok(id) = id.parse::<CommandGroupId>() else {
        return Err(not_found().await);
    };
    let group = hierarchy::get(&state.store, &console.ctx, id)
        .await
        .map_err(service_page)?;
    let groups = all_groups(state, console).await?;
    Ok((group, groups))
}

/// `GET /console/org/hierarchy/{id}`.
pub(crate) async fn group_page_get(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    if let Some(refused) = refuse_unless_org_wide(&console.ctx, Capability::HierarchyManage) {
        return refused;
    }
    match load(&state, &console, &id).await {
        Ok((group, groups)) => {
            group_page(console, &group, &groups, None, Refusal::default(), false)
        }
        Err(refused) => refused,
    }
}

/// `POST /console/org/hierarchy/{id}`: renames, moves and sets the privileges of a group
/// (`PATCH /api/v1/command-groups/{id}`).
pub(crate) async fn update(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    form: FormFields,
) -> Response {
    let (group, groups) = match load(&state, &console, &id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let Ok(parent) = parent_of(&form) else {
        let mut errors = FieldErrors::default();
        errors.push("parent_id", "choose a group from the list");
        let refusal = Refusal {
            status: 422,
            alert: None,
            errors,
        };
        return group_page(console, &group, &groups, Some(&form), refusal, false);
    };
    let privileges = privileges_of(&form);
    let patch = CommandGroupPatch {
        name: Some(form.text("name")),
        parent_id: (parent != group.parent_id).then_some(parent),
        privileges: Some(privileges.clone()),
    };
    match hierarchy::update(&state.store, &console.ctx, group.id, form.version(), patch).await {
        Ok(saved) => redirect_with(
            &format!("/console/org/hierarchy/{}", saved.id),
            "success",
            &format!("Group \u{201c}{}\u{201d} saved.", saved.name),
        ),
        Err(error) => {
            // `privileges[i]` names the i-th privilege sent: its cell in the matrix.
            let rename = |field: &str| -> String {
                field
                    .strip_prefix("privileges[")
                    .and_then(|rest| rest.strip_suffix(']'))
                    .and_then(|i| i.parse::<usize>().ok())
                    .and_then(|i| privileges.get(i))
                    .map_or_else(|| field.to_owned(), |p| cell_field(p.scope, p.section))
            };
            let refusal = Refusal::of(error, &rename);
            group_page(console, &group, &groups, Some(&form), refusal, false)
        }
    }
}

/// `POST /console/org/hierarchy/{id}/delete`: deletes an empty group once confirmed
/// (`DELETE /api/v1/command-groups/{id}`).
pub(crate) async fn delete(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    form: FormFields,
) -> Response {
    let (group, groups) = match load(&state, &console, &id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    if !form.has("confirm") {
        if let Some(refused) = refuse_unless_org_wide(&console.ctx, Capability::HierarchyManage) {
            return refused;
        }
        return group_page(console, &group, &groups, None, Refusal::default(), true);
    }
    match hierarchy::delete(&state.store, &console.ctx, group.id, form.version()).await {
        Ok(()) => redirect_with(
            "/console/org/hierarchy",
            "success",
            &format!("Group \u{201c}{}\u{201d} deleted.", group.name),
        ),
        Err(error) => {
            let mut refusal = Refusal::of(error, &str::to_owned);
            if refusal.alert.is_none() {
                refusal.alert = refusal.errors.get("id").map(|m| format!("{m}."));
            }
            group_page(console, &group, &groups, None, refusal, false)
        }
    }
}
