//! Roles (`/console/roles`): the list, and the editor — name, the node kinds a role may be
//! given at, a preset (View only, Edit & view, Admin, Custom), the module grid offering
//! only each module's levels (and its items, for modules that list some), "Enable all",
//! and the administrative capabilities; delete with confirmation.
//!
//! Saving goes through `muster_service::roles` (the functions behind `/api/v1/roles`),
//! which checks the grants against the module definitions, their item requirements and
//! the caller's own access (no escalation). The preset and "Enable all" grids come from
//! the domain's rules (`muster_domain::roles::preset_grants`,
//! `muster_domain::modules::enable_all_grants`), so the page, its script and the service
//! agree.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use muster_domain::RoleId;
use muster_domain::access::Capability;
use muster_domain::modules::{GrantItems, Grants, Module, ModuleGrant, enable_all_grants};
use muster_domain::reference::{ReferenceItem, ReferenceList};
use muster_domain::roles::{NewRole, Preset, Role, RolePatch, lowest_grants, preset_grants};
use muster_service::{modules, reference, roles};

use super::{FormFields, Refusal, collect_all, humanize, refuse_unless_org_wide};
use crate::AppState;
use crate::console::page::{Chrome, Console, FieldErrors, not_found, redirect_with, service_page};

/// How the console names a preset, and what it does.
fn preset_label(preset: Preset) -> (&'static str, &'static str) {
    match preset {
        Preset::ViewOnly => (
            "View only",
            "Every module at View, where it has that level.",
        ),
        Preset::EditView => ("Edit & view", "Every module at Edit, else View."),
        Preset::Admin => ("Admin", "Every module at its highest level."),
        Preset::Custom => ("Custom", "Choose each module's level below."),
    }
}

/// How the console names a capability.
fn capability_label(capability: Capability) -> &'static str {
    match capability {
        Capability::UsersView => "See people's profiles",
        Capability::UsersCreate => "Create users",
        Capability::UsersEdit => "Edit profiles",
        Capability::UsersLifecycle => "Ban, retire, reactivate, delete",
        Capability::UsersResetPassword => "Reset passwords",
        Capability::PlacementsAdd => "Add placements",
        Capability::PlacementsEditRole => "Change a placement's role",
        Capability::PlacementsEditLocation => "Move a placement to another location",
        Capability::PlacementsDelete => "Remove placements",
        Capability::PlacementsSetDefault => "Choose the default placement",
        Capability::RolesManage => "Manage roles",
        Capability::OrgManage => "Manage the tree, reference lists and settings",
        Capability::HierarchyManage => "Manage the command hierarchy",
        Capability::AuditView => "Read the audit log",
        Capability::TokensManage => "Manage API tokens",
    }
}

/// The capability groups of the editor.
fn capability_group(capability: Capability) -> &'static str {
    match capability.as_str().split('.').next() {
        Some("users") => "People",
        Some("placements") => "Placements",
        _ => "Organization",
    }
}

// ---------------------------------------------------------------------------------------
// The list

/// One role in the list.
struct ListRow {
    id: String,
    name: String,
    preset: &'static str,
    assignable_at: String,
    capabilities: usize,
    modules_on: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "roles.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<ListRow>,
    modules_total: usize,
}

/// `GET /console/roles`.
pub(crate) async fn list(State(state): State<AppState>, console: Console) -> Response {
    if let Some(refused) = refuse_unless_org_wide(&console.ctx, Capability::RolesManage) {
        return refused;
    }
    let (store, ctx) = (&state.store, &console.ctx);
    let all = match collect_all(|page| async move { roles::list(store, ctx, &page).await }).await {
        Ok(all) => all,
        Err(error) => return service_page(error),
    };
    let defs = match collect_all(|page| async move { modules::list(store, ctx, &page).await }).await
    {
        Ok(defs) => defs,
        Err(error) => return service_page(error),
    };
    let rows = all
        .iter()
        .map(|r| ListRow {
            id: r.id.to_string(),
            name: r.name.clone(),
            preset: preset_label(r.preset).0,
            assignable_at: r.assignable_at.join(", "),
            capabilities: r.capabilities.len(),
            modules_on: defs
                .iter()
                .filter(|m| {
                    r.modules
                        .get(&m.key)
                        .is_some_and(|g| g.level() != m.lowest())
                })
                .count(),
        })
        .collect();
    ListPage {
        chrome: console.chrome.page("roles", "Roles"),
        rows,
        modules_total: defs.len(),
    }
    .into_response()
}

// ---------------------------------------------------------------------------------------
// The editor

/// A checkbox.
struct Check {
    value: String,
    label: String,
    hint: &'static str,
    checked: bool,
}

/// A radio of the preset picker.
struct PresetChoice {
    value: &'static str,
    label: &'static str,
    hint: &'static str,
    checked: bool,
}

/// A group of capability checkboxes.
struct CapabilityGroup {
    label: &'static str,
    items: Vec<Check>,
}

/// A level of a module's select.
struct LevelChoice {
    value: String,
    label: String,
    selected: bool,
}

/// One row of the module grid.
struct ModuleRow {
    key: String,
    name: String,
    levels: Vec<LevelChoice>,
    /// The level each preset and "Enable all" give (for the script).
    view_only: String,
    edit_view: String,
    admin: String,
    enable_all: String,
    requires_items: bool,
    all_items: bool,
    items: Vec<Check>,
}

impl ModuleRow {
    fn level_field(&self) -> String {
        format!("module.{}", self.key)
    }

    fn items_field(&self) -> String {
        format!("items.{}", self.key)
    }
}

/// What the editor shows: a stored role, a new one, or what was submitted.
struct Draft {
    name: String,
    preset: Preset,
    kinds: Vec<String>,
    capabilities: Vec<String>,
    grants: Grants,
}

#[derive(Template, WebTemplate)]
#[template(path = "role_edit.html")]
struct EditPage {
    chrome: Chrome,
    /// `None` for a new role.
    id: Option<String>,
    version: i64,
    title: String,
    name: String,
    presets: Vec<PresetChoice>,
    kinds: Vec<Check>,
    capability_groups: Vec<CapabilityGroup>,
    modules: Vec<ModuleRow>,
    errors: FieldErrors,
    alert: Option<String>,
    notice: Option<String>,
    confirm_delete: bool,
}

/// The module definitions and node kinds the editor offers.
struct Choices {
    defs: Vec<Module>,
    kinds: Vec<ReferenceItem>,
}

async fn choices(state: &AppState, console: &Console) -> Result<Choices, Response> {
    let (store, ctx) = (&state.store, &console.ctx);
    let defs = collect_all(|page| async move { modules::list(store, ctx, &page).await })
        .await
        .map_err(service_page)?;
    let kinds = collect_all(|page| async move {
        reference::list(store, ctx, ReferenceList::NodeKinds, &page).await
    })
    .await
    .map_err(service_page)?;
    Ok(Choices { defs, kinds })
}

/// Extra state of a rendering.
#[derive(Default)]
struct Shown {
    errors: FieldErrors,
    alert: Option<String>,
    notice: Option<String>,
    confirm_delete: bool,
    status: Option<StatusCode>,
}

/// The module grid: each module's levels, the draft's level and items, and the levels
/// the presets and "Enable all" give (for the script).
fn module_rows(draft: &Draft, defs: &[Module]) -> Vec<ModuleRow> {
    let preset_levels = |preset: Preset| preset_grants(preset, defs).unwrap_or_default();
    let (view_only, edit_view, admin, enable_all) = (
        preset_levels(Preset::ViewOnly),
        preset_levels(Preset::EditView),
        preset_levels(Preset::Admin),
        enable_all_grants(defs),
    );
    let level_of = |grants: &Grants, m: &Module| {
        grants
            .get(&m.key)
            .map_or_else(|| m.lowest().to_owned(), |g| g.level().to_owned())
    };
    defs.iter()
        .map(|m| {
            let grant = draft.grants.get(&m.key);
            let level = grant.map_or_else(|| m.lowest().to_owned(), |g| g.level().to_owned());
            let items = grant.and_then(ModuleGrant::items);
            let all_items = items.is_none_or(|i| matches!(i, GrantItems::All));
            ModuleRow {
                key: m.key.clone(),
                name: m.name.clone(),
                levels: m
                    .levels
                    .iter()
                    .map(|l| LevelChoice {
                        value: l.clone(),
                        label: humanize(l),
                        selected: *l == level,
                    })
                    .collect(),
                view_only: level_of(&view_only, m),
                edit_view: level_of(&edit_view, m),
                admin: level_of(&admin, m),
                enable_all: level_of(&enable_all, m),
                requires_items: m.requires_items,
                all_items: all_items || level == m.lowest(),
                items: m
                    .items
                    .iter()
                    .map(|i| Check {
                        value: i.key.clone(),
                        label: i.name.clone(),
                        hint: "",
                        checked: match items {
                            Some(GrantItems::Keys(keys)) => keys.contains(&i.key),
                            _ => false,
                        },
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The capability checkboxes, in groups.
fn capability_groups(draft: &Draft) -> Vec<CapabilityGroup> {
    let mut groups: Vec<CapabilityGroup> = Vec::new();
    for capability in Capability::ALL {
        let group = capability_group(*capability);
        let check = Check {
            value: capability.as_str().to_owned(),
            label: capability_label(*capability).to_owned(),
            hint: "",
            checked: draft.capabilities.iter().any(|c| c == capability.as_str()),
        };
        match groups.iter_mut().find(|g| g.label == group) {
            Some(g) => g.items.push(check),
            None => groups.push(CapabilityGroup {
                label: group,
                items: vec![check],
            }),
        }
    }
    groups
}

fn render(
    console: Console,
    role: Option<&Role>,
    draft: &Draft,
    choices: &Choices,
    shown: Shown,
) -> Response {
    let modules = module_rows(draft, &choices.defs);
    let capability_groups = capability_groups(draft);
    let title = role.map_or_else(|| "New role".to_owned(), |r| r.name.clone());
    let page = EditPage {
        chrome: console.chrome.page("roles", title.clone()),
        id: role.map(|r| r.id.to_string()),
        version: role.map_or(0, |r| r.version),
        title,
        name: draft.name.clone(),
        presets: Preset::ALL
            .iter()
            .map(|p| {
                let (label, hint) = preset_label(*p);
                PresetChoice {
                    value: p.as_str(),
                    label,
                    hint,
                    checked: *p == draft.preset,
                }
            })
            .collect(),
        kinds: choices
            .kinds
            .iter()
            .map(|k| Check {
                value: k.name.clone(),
                label: k.name.clone(),
                hint: if k.is_root == Some(true) {
                    "the organization itself"
                } else {
                    ""
                },
                checked: draft.kinds.iter().any(|d| d.eq_ignore_ascii_case(&k.name)),
            })
            .collect(),
        capability_groups,
        modules,
        errors: shown.errors,
        alert: shown.alert,
        notice: shown.notice,
        confirm_delete: shown.confirm_delete,
    };
    (shown.status.unwrap_or(StatusCode::OK), page).into_response()
}

impl Draft {
    fn of(role: &Role) -> Self {
        Self {
            name: role.name.clone(),
            preset: role.preset,
            kinds: role.assignable_at.clone(),
            capabilities: role
                .capabilities
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
            grants: role.modules.clone(),
        }
    }

    fn blank(defs: &[Module]) -> Self {
        Self {
            name: String::new(),
            preset: Preset::Custom,
            kinds: Vec::new(),
            capabilities: Vec::new(),
            grants: lowest_grants(defs),
        }
    }

    /// What the form says; modules the form does not mention keep their lowest level.
    fn submitted(form: &FormFields, defs: &[Module]) -> Self {
        let grants = defs
            .iter()
            .filter_map(|m| {
                let level = form.text(&format!("module.{}", m.key));
                if level.is_empty() {
                    return None;
                }
                let picked = form.all(&format!("items.{}", m.key));
                let grant = if m.has_items() {
                    let items = if picked.iter().any(|p| p == "all") {
                        GrantItems::All
                    } else {
                        GrantItems::Keys(picked)
                    };
                    ModuleGrant::Items { level, items }
                } else {
                    ModuleGrant::Level(level)
                };
                Some((m.key.clone(), grant))
            })
            .collect();
        Self {
            name: form.text("name"),
            preset: form.get("preset").parse().unwrap_or(Preset::Custom),
            kinds: form.all("kind"),
            capabilities: form.all("capability"),
            grants,
        }
    }

    /// The request's preset and modules: a preset newly picked (or kept with the grid it
    /// gives) goes alone and decides the grid; otherwise the grid goes, and the service
    /// keeps the preset only if the grid is still what it gives.
    fn grants_request(&self, before: Preset) -> (Option<Preset>, Option<Grants>) {
        match self.preset {
            Preset::Custom => (Some(Preset::Custom), Some(self.grants.clone())),
            picked if picked != before => (Some(picked), None),
            _ => (None, Some(self.grants.clone())),
        }
    }
}

/// The service's field names as the form's.
fn form_field(field: &str) -> String {
    if let Some(rest) = field.strip_prefix("modules.") {
        let (key, tail) = rest.split_once('.').unwrap_or((rest, ""));
        return if tail.starts_with("items") {
            format!("items.{key}")
        } else {
            format!("module.{key}")
        };
    }
    match field.split('[').next() {
        Some("capabilities") => "capabilities".to_owned(),
        Some("assignable_at") => "assignable_at".to_owned(),
        _ => field.to_owned(),
    }
}

/// `GET /console/roles/new`.
pub(crate) async fn new_page(State(state): State<AppState>, console: Console) -> Response {
    if let Some(refused) = refuse_unless_org_wide(&console.ctx, Capability::RolesManage) {
        return refused;
    }
    let choices = match choices(&state, &console).await {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    let draft = Draft::blank(&choices.defs);
    render(console, None, &draft, &choices, Shown::default())
}

/// `GET /console/roles/{id}`.
pub(crate) async fn edit_page(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<RoleId>() else {
        return not_found().await;
    };
    if let Some(refused) = refuse_unless_org_wide(&console.ctx, Capability::RolesManage) {
        return refused;
    }
    let role = match roles::get(&state.store, &console.ctx, id).await {
        Ok(role) => role,
        Err(error) => return service_page(error),
    };
    let choices = match choices(&state, &console).await {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    render(
        console,
        Some(&role),
        &Draft::of(&role),
        &choices,
        Shown::default(),
    )
}

/// The grid "Enable all" gives (not saved yet: the administrator reviews, then saves).
fn enabled_all(mut draft: Draft, choices: &Choices) -> (Draft, Shown) {
    draft.grants = enable_all_grants(&choices.defs);
    draft.preset = Preset::Custom;
    let shown = Shown {
        notice: Some(
            "Every module is enabled below (the map at View, settings at their top, the rest \
             at Edit). Save to keep it."
                .to_owned(),
        ),
        ..Shown::default()
    };
    (draft, shown)
}

/// `POST /console/roles`: creates a role (`POST /api/v1/roles`).
pub(crate) async fn create(
    State(state): State<AppState>,
    console: Console,
    form: FormFields,
) -> Response {
    let choices = match choices(&state, &console).await {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    let draft = Draft::submitted(&form, &choices.defs);
    if form.get("intent") == "enable_all" {
        // Only filled in for review; still only for those who may manage roles.
        if let Some(refused) = refuse_unless_org_wide(&console.ctx, Capability::RolesManage) {
            return refused;
        }
        let (draft, shown) = enabled_all(draft, &choices);
        return render(console, None, &draft, &choices, shown);
    }
    let (preset, modules) = draft.grants_request(Preset::Custom);
    let request = NewRole {
        name: draft.name.clone(),
        assignable_at: draft.kinds.clone(),
        capabilities: draft.capabilities.clone(),
        modules,
        preset,
    };
    match roles::create(&state.store, &console.ctx, request).await {
        Ok(role) => redirect_with(
            &format!("/console/roles/{}", role.id),
            "success",
            &format!("Role \u{201c}{}\u{201d} created.", role.name),
        ),
        Err(error) => {
            let refusal = Refusal::of(error, &form_field);
            let shown = Shown {
                status: Some(refusal.status()),
                errors: refusal.errors,
                alert: refusal.alert,
                ..Shown::default()
            };
            render(console, None, &draft, &choices, shown)
        }
    }
}

/// `POST /console/roles/{id}`: saves the editor (`PATCH /api/v1/roles/{id}`).
pub(crate) async fn update(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    form: FormFields,
) -> Response {
    let Ok(id) = id.parse::<RoleId>() else {
        return not_found().await;
    };
    let before = match roles::get(&state.store, &console.ctx, id).await {
        Ok(role) => role,
        Err(error) => return service_page(error),
    };
    let choices = match choices(&state, &console).await {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    let draft = Draft::submitted(&form, &choices.defs);
    if form.get("intent") == "enable_all" {
        // Only filled in for review; still only for those who may manage roles.
        if let Some(refused) = refuse_unless_org_wide(&console.ctx, Capability::RolesManage) {
            return refused;
        }
        let (draft, shown) = enabled_all(draft, &choices);
        return render(console, Some(&before), &draft, &choices, shown);
    }
    let (preset, modules) = draft.grants_request(before.preset);
    let patch = RolePatch {
        name: Some(draft.name.clone()),
        assignable_at: Some(draft.kinds.clone()),
        capabilities: Some(draft.capabilities.clone()),
        modules,
        preset,
    };
    match roles::update(&state.store, &console.ctx, id, form.version(), patch).await {
        Ok(role) => redirect_with(
            &format!("/console/roles/{}", role.id),
            "success",
            &format!("Role \u{201c}{}\u{201d} saved.", role.name),
        ),
        Err(error) => {
            let refusal = Refusal::of(error, &form_field);
            let shown = Shown {
                status: Some(refusal.status()),
                errors: refusal.errors,
                alert: refusal.alert,
                ..Shown::default()
            };
            render(console, Some(&before), &draft, &choices, shown)
        }
    }
}

/// `POST /console/roles/{id}/delete`: deletes a role no placement gives, once confirmed
/// (`DELETE /api/v1/roles/{id}`).
pub(crate) async fn delete(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    form: FormFields,
) -> Response {
    let Ok(id) = id.parse::<RoleId>() else {
        return not_found().await;
    };
    let role = match roles::get(&state.store, &console.ctx, id).await {
        Ok(role) => role,
        Err(error) => return service_page(error),
    };
    if !form.has("confirm") {
        if let Some(refused) = refuse_unless_org_wide(&console.ctx, Capability::RolesManage) {
            return refused;
        }
        let choices = match choices(&state, &console).await {
            Ok(c) => c,
            Err(refused) => return refused,
        };
        let shown = Shown {
            confirm_delete: true,
            ..Shown::default()
        };
        return render(console, Some(&role), &Draft::of(&role), &choices, shown);
    }
    match roles::delete(&state.store, &console.ctx, id, form.version()).await {
        Ok(()) => redirect_with(
            "/console/roles",
            "success",
            &format!("Role \u{201c}{}\u{201d} deleted.", role.name),
        ),
        Err(error) => {
            let refusal = Refusal::of(error, &form_field);
            let alert = refusal
                .alert
                .clone()
                .or_else(|| refusal.errors.get("id").map(|m| format!("{m}.")));
            let choices = match choices(&state, &console).await {
                Ok(c) => c,
                Err(refused) => return refused,
            };
            let shown = Shown {
                alert,
                status: Some(refusal.status()),
                ..Shown::default()
            };
            render(console, Some(&role), &Draft::of(&role), &choices, shown)
        }
    }
}
