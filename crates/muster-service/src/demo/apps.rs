//! The demo organization's applications: the modules a county police agency would have
//! Muster decide for its other systems (scheduling with calendars, the map with its
//! vehicles, records management, CAD settings, body cameras), and each demo role's levels
//! in them, so that role editors, permission matrices and `POST /access/check` have
//! something real to show.
//!
//! Added through the same use cases as the API (`modules::create`, `roles::update`) as
//! Muster itself, right after the organization is created.

use muster_domain::OrgId;
use muster_domain::modules::{ModuleItem, NewModule};
use muster_domain::roles::{Preset, RolePatch};
use muster_store::Store;

use crate::paging::PageRequest;
use crate::{Ctx, Result, modules, roles};

/// A module of the demo: key, name, levels (lowest first), items, whether grants above the
/// lowest level must name items.
struct AppSpec {
    key: &'static str,
    name: &'static str,
    levels: &'static [&'static str],
    items: &'static [(&'static str, &'static str)],
    requires_items: bool,
}

const APPS: [AppSpec; 5] = [
    AppSpec {
        key: "scheduling",
        name: "Scheduling",
        levels: &["none", "view", "edit"],
        items: &[
            ("day_shift", "Day shift"),
            ("night_shift", "Night shift"),
            ("court_dates", "Court dates"),
            ("training", "Training calendar"),
        ],
        requires_items: true,
    },
    AppSpec {
        key: "map",
        name: "Map & vehicle locations",
        levels: &["none", "view"],
        items: &[
            ("patrol_cars", "Patrol cars"),
            ("k9_units", "K-9 units"),
            ("marine_units", "Marine units"),
        ],
        requires_items: false,
    },
    AppSpec {
        key: "records",
        name: "Records management",
        levels: &["none", "view", "edit"],
        items: &[],
        requires_items: false,
    },
    AppSpec {
        key: "settings",
        name: "CAD settings",
        levels: &["none", "view", "edit", "super_admin"],
        items: &[],
        requires_items: false,
    },
    AppSpec {
        key: "body_cameras",
        name: "Body camera video",
        levels: &["off", "on"],
        items: &[],
        requires_items: false,
    },
];

/// The preset each demo role takes once the modules exist.
const ROLE_PRESETS: [(&str, Preset); 7] = [
    ("Administrator", Preset::Admin),
    ("Regional Administrator", Preset::EditView),
    ("Division Administrator", Preset::EditView),
    ("Supervisor", Preset::EditView),
    ("Clerk", Preset::ViewOnly),
    ("Officer", Preset::ViewOnly),
    ("Employee", Preset::ViewOnly),
];

/// Creates the demo's modules in `org` and gives each demo role its preset's levels.
pub(super) async fn add(store: &Store, org: OrgId) -> Result<()> {
    let ctx = Ctx::system(org);
    for app in &APPS {
        modules::create(
            store,
            &ctx,
            NewModule {
                key: app.key.to_owned(),
                name: app.name.to_owned(),
                levels: Some(app.levels.iter().map(|l| (*l).to_owned()).collect()),
                items: app
                    .items
                    .iter()
                    .map(|(key, name)| ModuleItem {
                        key: (*key).to_owned(),
                        name: (*name).to_owned(),
                    })
                    .collect(),
                requires_items: app.requires_items,
            },
        )
        .await?;
    }
    let existing = roles::list(store, &ctx, &PageRequest::first(100))
        .await?
        .items;
    for (name, preset) in ROLE_PRESETS {
        if let Some(role) = existing.iter().find(|r| r.name == name) {
            let patch = RolePatch {
                preset: Some(preset),
                ..RolePatch::default()
            };
            roles::update(store, &ctx, role.id, None, patch).await?;
        }
    }
    Ok(())
}
