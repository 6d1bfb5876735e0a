//! The Permissions tab (what this person may do: the effective-permissions matrix drawn
//! green and red, each cell naming its grant on hover) and the Access tab (who can see or
//! change this person, section by section, and why — the reverse lookup of DESIGN.md
//! §2.5). Both read `muster_service::access`, the same answers as
//! `GET /users/{id}/effective-permissions` and `GET /users/{id}/access`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use muster_domain::access::Capability;
use muster_domain::hierarchy::{Access, Scope, Section};
use muster_domain::modules::Module;
use muster_service::access::{self, EffectivePermissions, Grantee};
use muster_service::modules;
use muster_service::paging::PageRequest;

use super::page::{Chrome, service_page};
use super::user_page::{UserFrame, Viewed};
use crate::AppState;

/// A capability's label in the console.
pub(crate) fn capability_label(capability: Capability) -> &'static str {
    match capability {
        Capability::UsersView => "View users",
        Capability::UsersCreate => "Create users",
        Capability::UsersEdit => "Edit users",
        Capability::UsersLifecycle => "Ban, retire, reactivate, delete",
        Capability::UsersResetPassword => "Reset passwords",
        Capability::PlacementsAdd => "Add locations",
        Capability::PlacementsEditRole => "Change roles at locations",
        Capability::PlacementsEditLocation => "Move placements",
        Capability::PlacementsDelete => "Remove locations",
        Capability::PlacementsSetDefault => "Set default locations",
        Capability::RolesManage => "Manage roles",
        Capability::OrgManage => "Manage the organization",
        Capability::HierarchyManage => "Manage the command hierarchy",
        Capability::AuditView => "View the audit log",
        Capability::TokensManage => "Manage API tokens",
    }
}

/// A section's label in the console.
pub(crate) fn section_label(section: Section) -> &'static str {
    match section {
        Section::AuditLog => "Audit log",
        Section::Commendations => "Commendations & awards",
        Section::Demographics => "Demographics",
        Section::Discipline => "Discipline",
        Section::FeedbackNotes => "Feedback notes",
        Section::PerformanceReviews => "Performance reviews",
        Section::Photo => "Photo",
        Section::Promotions => "Assignments & promotions",
        Section::RelatedReports => "Related reports",
        Section::ServiceHistory => "Service history",
        Section::Status => "Status",
    }
}

/// A scope's label in the console.
fn scope_label(scope: Scope) -> &'static str {
    match scope {
        Scope::Own => "Self",
        Scope::Direct => "Direct reports",
        Scope::Indirect => "Indirect reports",
        Scope::Peers => "Peers",
        Scope::All => "Everyone",
    }
}

/// One cell of a matrix: its text, allowed or not, and the grant (shown on hover).
struct Cell {
    text: String,
    allowed: bool,
    title: String,
}

struct MatrixRow {
    label: String,
    cells: Vec<Cell>,
}

#[derive(Template, WebTemplate)]
#[template(path = "user_permissions.html")]
struct PermissionsPage {
    chrome: Chrome,
    frame: UserFrame,
    capabilities: Vec<MatrixRow>,
    modules: Vec<MatrixRow>,
    module_width: usize,
    scopes: Vec<&'static str>,
    sections: Vec<MatrixRow>,
    is_org_admin: bool,
}

/// `GET /console/users/{id}/permissions`.
pub(crate) async fn permissions(
    State(state): State<AppState>,
    Viewed { console, user }: Viewed,
) -> Response {
    let ctx = &console.ctx;
    let effective =
        match access::effective_permissions(&state.store, &state.access, ctx, user.id).await {
            Ok(effective) => effective,
            Err(error) => return service_page(error),
        };
    let defs = match modules::list(&state.store, ctx, &PageRequest::first(500)).await {
        Ok(page) => page.items,
        Err(error) => return service_page(error),
    };
    let capabilities = effective
        .capabilities
        .iter()
        .map(|c| MatrixRow {
            label: capability_label(c.capability).to_owned(),
            cells: vec![Cell {
                text: if c.allowed { "Allowed" } else { "Denied" }.to_owned(),
                allowed: c.allowed,
                title: c.via.clone(),
            }],
        })
        .collect();
    let module_width = defs.iter().map(|m| m.levels.len()).max().unwrap_or(0);
    let modules = module_rows(&defs, &effective);
    let scopes = [
        Scope::Own,
        Scope::Direct,
        Scope::Indirect,
        Scope::Peers,
        Scope::All,
    ];
    let sections = section_rows(&effective, &scopes);
    PermissionsPage {
        frame: UserFrame::load(&state, ctx, &user, "permissions").await,
        capabilities,
        modules,
        module_width: module_width.saturating_sub(1),
        scopes: scopes.iter().map(|&s| scope_label(s)).collect(),
        sections,
        is_org_admin: user.is_org_admin,
        chrome: console.chrome.page("users", "Permissions"),
    }
    .into_response()
}

/// One row per module: its levels above the lowest, green up to the one held.
fn module_rows(defs: &[Module], effective: &EffectivePermissions) -> Vec<MatrixRow> {
    defs.iter()
        .map(|m| {
            let held = effective.modules.get(&m.key);
            let rank = held
                .and_then(|h| m.levels.iter().position(|l| *l == h.level))
                .unwrap_or(0);
            let via = held.map(|h| h.via.clone()).unwrap_or_default();
            MatrixRow {
                label: m.name.clone(),
                cells: m
                    .levels
                    .iter()
                    .enumerate()
                    .map(|(i, level)| Cell {
                        text: level.replace('_', " "),
                        allowed: i <= rank && i > 0,
                        title: if i <= rank && i > 0 {
                            via.clone()
                        } else {
                            format!("{level} is not granted")
                        },
                    })
                    .skip(1)
                    .collect(),
            }
        })
        .collect()
}

/// One row per section: what the command group's privileges allow, by relation.
fn section_rows(effective: &EffectivePermissions, scopes: &[Scope]) -> Vec<MatrixRow> {
    Section::ALL
        .iter()
        .map(|&section| MatrixRow {
            label: section_label(section).to_owned(),
            cells: scopes
                .iter()
                .map(|&scope| {
                    let held = effective
                        .sections
                        .iter()
                        .filter(|p| p.section == section && p.scope == scope)
                        .map(|p| p.access)
                        .max_by_key(|a| matches!(a, Access::Edit));
                    Cell {
                        text: match held {
                            Some(Access::Edit) => "Edit",
                            Some(Access::View) => "View",
                            None => "—",
                        }
                        .to_owned(),
                        allowed: held.is_some(),
                        title: match held {
                            Some(a) => format!(
                                "privilege of the command group: {} {} of {}",
                                a.as_str(),
                                section.as_str(),
                                scope_label(scope).to_lowercase()
                            ),
                            None => "no privilege".to_owned(),
                        },
                    }
                })
                .collect(),
        })
        .collect()
}

/// People reached through one grant: who, and how many more fold away.
struct ViaGroup {
    /// The grant, as a sentence.
    via: String,
    /// The first people (id, name).
    shown: Vec<(String, String)>,
    /// The rest.
    more: Vec<(String, String)>,
}

/// People listed per grant before the rest fold away.
const SHOWN: usize = 6;

/// `people` grouped by the grant that reaches them, in the order grants first appear.
fn by_grant(people: Vec<Grantee>) -> Vec<ViaGroup> {
    let mut groups: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for g in people {
        let person = (g.user_id.to_string(), g.name);
        match groups.iter_mut().find(|(via, _)| *via == g.via) {
            Some((_, list)) => list.push(person),
            None => groups.push((g.via, vec![person])),
        }
    }
    groups
        .into_iter()
        .map(|(via, mut shown)| {
            let more = shown.split_off(shown.len().min(SHOWN));
            ViaGroup { via, shown, more }
        })
        .collect()
}

/// Who reaches one section, for the Access tab.
struct SectionRow {
    label: &'static str,
    /// Who can view, and who can edit, by grant.
    cells: [Vec<ViaGroup>; 2],
}

struct AdminRow {
    id: String,
    name: String,
    capabilities: String,
    via: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "user_access.html")]
struct AccessPage {
    chrome: Chrome,
    frame: UserFrame,
    sections: Vec<SectionRow>,
    administrators: Vec<AdminRow>,
}

/// `GET /console/users/{id}/access`: the reverse lookup.
pub(crate) async fn access(
    State(state): State<AppState>,
    Viewed { console, user }: Viewed,
) -> Response {
    let ctx = &console.ctx;
    let found = match access::record_access(&state.store, &state.access, ctx, user.id).await {
        Ok(found) => found,
        Err(error) => return service_page(error),
    };
    let sections = found
        .sections
        .into_iter()
        .map(|s| SectionRow {
            label: section_label(s.section),
            cells: [by_grant(s.view), by_grant(s.edit)],
        })
        .collect();
    let administrators = found
        .administrators
        .into_iter()
        .map(|a| AdminRow {
            id: a.user_id.to_string(),
            name: a.name,
            capabilities: if a.capabilities.len() == Capability::ALL.len() {
                "Every capability".to_owned()
            } else {
                a.capabilities
                    .iter()
                    .map(|&c| capability_label(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            via: a.via,
        })
        .collect();
    AccessPage {
        frame: UserFrame::load(&state, ctx, &user, "access").await,
        sections,
        administrators,
        chrome: console.chrome.page("users", "Access"),
    }
    .into_response()
}
