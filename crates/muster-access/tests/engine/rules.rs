//! Every rule of the access model, one test each, named as the rule it proves; the
//! scenarios come from the reference pages (`EMTrack`'s administrator table, the personnel
//! privileges page's Lieutenant / Sergeant / Officer / Clerk) and from time-bounded
//! placements.

use muster_access::{Missing, Reason, Relation, ScopeTarget, Target};
use muster_domain::NodeId;
use muster_domain::access::Capability::{
    self, PlacementsAdd, PlacementsDelete, PlacementsEditLocation, PlacementsEditRole,
    PlacementsSetDefault, TokensManage, UsersCreate, UsersEdit, UsersView,
};
use muster_domain::hierarchy::{Access, Scope, Section};
use muster_domain::user::{DirectoryAccess, LoginKind, UserStatus};

use crate::fixture::{Org, also, day, home, privilege, today};

const REGIONAL: &[Capability] = &[
    UsersView,
    UsersCreate,
    UsersEdit,
    PlacementsAdd,
    PlacementsEditRole,
    PlacementsEditLocation,
    PlacementsDelete,
    PlacementsSetDefault,
];
const DIVISIONAL: &[Capability] = &[
    UsersView,
    UsersEdit,
    PlacementsEditRole,
    PlacementsSetDefault,
];

/// The `EMTrack` page's organization:
///
/// ```text
/// State EMS
/// └─ North Region
///    ├─ North Patrol Division ─┬─ Medical Center
///    │                         └─ Marsh County Hospital
///    └─ South Division ─────── Harbor Clinic
/// ```
fn emtrack() -> Org {
    let mut org = Org::default();
    org.node("State EMS", "Organization", None)
        .node("North Region", "Region", Some("State EMS"))
        .node("North Patrol Division", "Division", Some("North Region"))
        .node("Medical Center", "Location", Some("North Patrol Division"))
        .node(
            "Marsh County Hospital",
            "Location",
            Some("North Patrol Division"),
        )
        .node("South Division", "Division", Some("North Region"))
        .node("Harbor Clinic", "Location", Some("South Division"))
        .module("patients", &["none", "view", "edit"], &[])
        .module(
            "scheduling",
            &["none", "view", "edit"],
            &["day_shift", "night_shift"],
        )
        .module("settings", &["none", "view", "edit", "super_admin"], &[])
        .role(
            "Regional Administrator",
            REGIONAL,
            &[
                ("patients", "edit", None),
                ("scheduling", "edit", None),
                ("settings", "super_admin", None),
            ],
        )
        .role(
            "Division Administrator",
            DIVISIONAL,
            &[
                ("patients", "edit", None),
                ("scheduling", "edit", Some(&["day_shift"])),
                ("settings", "edit", None),
            ],
        )
        .role(
            "ED Normal",
            &[],
            &[
                ("patients", "view", None),
                ("scheduling", "view", Some(&["day_shift"])),
            ],
        )
        .role(
            "Night Supervisor",
            &[],
            &[("scheduling", "edit", Some(&["night_shift"]))],
        )
        .role("Roster Reader", &[], &[("scheduling", "view", None)])
        .role("Settings Owner", &[], &[("settings", "super_admin", None)])
        .role("Records Clerk", &[UsersView], &[]);
    org.user(
        "regional",
        None,
        &[home("North Region", "Regional Administrator")],
    );
    org.user(
        "division_admin",
        None,
        &[home("North Patrol Division", "Division Administrator")],
    );
    org.user("sam", None, &[home("Medical Center", "ED Normal")]);
    org.user(
        "blake",
        None,
        &[
            home("Medical Center", "ED Normal"),
            also("Harbor Clinic", "ED Normal"),
        ],
    );
    org.user("casey", None, &[home("Harbor Clinic", "ED Normal")]);
    org
}

fn named_placement(reason: &Reason) -> (String, String) {
    match reason {
        Reason::Placement { role, node } => (role.name.to_string(), node.name.to_string()),
        other => panic!("expected a placement reason, got {other:?}"),
    }
}

// ----- roles at locations: scope and capabilities (`EMTrack`'s administrator table) -----

#[test]
fn regional_admin_at_the_region_reaches_every_user_in_the_region() {
    let org = emtrack();
    let index = org.index();
    for user in ["sam", "blake", "casey"] {
        let d = index.check_capability(
            org.u("regional"),
            org.n("North Region"),
            UsersView,
            Target::User(org.u(user)),
            today(),
        );
        assert!(d.allowed, "{user}: {d}");
        assert_eq!(
            d.to_string(),
            "allowed by role Regional Administrator at North Region"
        );
    }
}

#[test]
fn regional_admin_working_at_a_division_reaches_only_users_placed_in_that_division() {
    let org = emtrack();
    let index = org.index();
    let at_division = |user: &str| {
        index.check_capability(
            org.u("regional"),
            org.n("North Patrol Division"),
            UsersView,
            Target::User(org.u(user)),
            today(),
        )
    };
    assert!(at_division("sam").allowed);
    assert!(
        at_division("blake").allowed,
        "one placement inside is enough"
    );
    let casey = at_division("casey");
    assert!(!casey.allowed);
    assert!(matches!(
        &casey.reason,
        Reason::OutsideScope { target: ScopeTarget::User(u), current }
            if *u == org.u("casey") && current.name.as_ref() == "North Patrol Division"
    ));
}

#[test]
fn division_admin_views_users_of_their_division_and_nobody_else() {
    let org = emtrack();
    let index = org.index();
    let d = index.check_capability(
        org.u("division_admin"),
        org.n("North Patrol Division"),
        UsersView,
        Target::User(org.u("sam")),
        today(),
    );
    assert!(d.allowed);
    assert_eq!(
        d.reason.to_string(),
        "allowed by role Division Administrator at North Patrol Division"
    );
    let d = index.check_capability(
        org.u("division_admin"),
        org.n("North Patrol Division"),
        UsersView,
        Target::User(org.u("casey")),
        today(),
    );
    assert!(!d.allowed);
    assert!(matches!(d.reason, Reason::OutsideScope { .. }));
}

#[test]
fn division_admin_edits_the_role_and_default_but_cannot_add_move_or_delete_locations() {
    let org = emtrack();
    let index = org.index();
    let check = |capability| {
        index.check_capability(
            org.u("division_admin"),
            org.n("Medical Center"),
            capability,
            Target::Node(org.n("Medical Center")),
            today(),
        )
    };
    assert!(check(PlacementsEditRole).allowed);
    assert!(check(PlacementsSetDefault).allowed);
    for denied in [PlacementsAdd, PlacementsEditLocation, PlacementsDelete] {
        let d = check(denied);
        assert!(!d.allowed);
        assert!(
            matches!(d.reason, Reason::NoPlacementGrants { capability, .. } if capability == denied)
        );
    }
    assert_eq!(
        check(PlacementsAdd).to_string(),
        "denied: no placement in force at or above Medical Center grants placements.add"
    );
}

#[test]
fn regional_admin_adds_a_location_and_role_anywhere_in_the_region() {
    let org = emtrack();
    let index = org.index();
    let add = index.check_capability(
        org.u("regional"),
        org.n("North Region"),
        PlacementsAdd,
        Target::Node(org.n("Harbor Clinic")),
        today(),
    );
    assert!(add.allowed);
    let grant = index.can_grant_role(
        org.u("regional"),
        org.n("North Region"),
        org.r("Division Administrator"),
        org.n("South Division"),
        today(),
    );
    assert!(grant.allowed, "{grant}");
}

#[test]
fn the_current_location_must_be_at_or_below_one_of_the_subjects_placements() {
    let org = emtrack();
    let index = org.index();
    // The division admin has no placement at the region: they cannot work there.
    let d = index.check_capability(
        org.u("division_admin"),
        org.n("North Region"),
        UsersView,
        Target::User(org.u("sam")),
        today(),
    );
    assert!(!d.allowed);
    assert!(
        matches!(&d.reason, Reason::NotAtCurrentLocation { current } if current.id == org.n("North Region"))
    );
    // Below a placement is fine.
    let d = index.check_capability(
        org.u("division_admin"),
        org.n("Marsh County Hospital"),
        UsersView,
        Target::Node(org.n("Marsh County Hospital")),
        today(),
    );
    assert!(d.allowed);
    assert_eq!(
        index.default_location(org.u("blake")),
        Some(org.n("Medical Center"))
    );
}

#[test]
fn placements_outside_the_current_location_are_read_only() {
    let org = emtrack();
    let index = org.index();
    let edit = |node: &str| {
        index.can_edit_placement(
            org.u("division_admin"),
            org.n("North Patrol Division"),
            org.n(node),
            today(),
        )
    };
    assert!(edit("Medical Center").allowed);
    let outside = edit("Harbor Clinic");
    assert!(!outside.allowed);
    assert_eq!(
        outside.to_string(),
        "denied: Harbor Clinic is not at or below North Patrol Division"
    );
    assert!(index.has_placements_outside(org.u("blake"), org.n("North Patrol Division")));
    assert!(!index.has_placements_outside(org.u("sam"), org.n("North Patrol Division")));
}

#[test]
fn a_location_is_deleted_only_when_it_is_neither_the_default_nor_the_only_one() {
    let org = emtrack();
    let index = org.index();
    let delete = |subject: &str, current: &str, user: &str, node: &str| {
        index.can_delete_placement(
            org.u(subject),
            org.n(current),
            org.u(user),
            org.n(node),
            today(),
        )
    };
    assert!(delete("regional", "North Region", "blake", "Harbor Clinic").allowed);
    let default = delete("regional", "North Region", "blake", "Medical Center");
    assert!(
        matches!(default.reason, Reason::DefaultPlacement { .. }),
        "{default}"
    );
    let only = delete("regional", "North Region", "sam", "Medical Center");
    assert!(
        matches!(only.reason, Reason::OnlyPlacement { .. }),
        "{only}"
    );
    // Working at a division, the regional admin cannot delete the user's other locations.
    let other = delete(
        "regional",
        "North Patrol Division",
        "blake",
        "Harbor Clinic",
    );
    assert!(
        matches!(other.reason, Reason::OutsideScope { .. }),
        "{other}"
    );
    // The division admin deletes nothing.
    let theirs = delete(
        "division_admin",
        "North Patrol Division",
        "blake",
        "Harbor Clinic",
    );
    assert!(!theirs.allowed);
    let none = delete("regional", "North Region", "sam", "Harbor Clinic");
    assert!(matches!(none.reason, Reason::NoSuchPlacement { .. }));
}

#[test]
fn organization_administrators_are_allowed_everything_everywhere() {
    let mut org = emtrack();
    org.user("chief", None, &[home("Medical Center", "ED Normal")]);
    org.edit_user("chief", |u| u.is_org_admin = true);
    let index = org.index();
    let d = index.check_capability(
        org.u("chief"),
        org.n("Medical Center"),
        TokensManage,
        Target::Node(org.n("Harbor Clinic")),
        today(),
    );
    assert_eq!((d.allowed, &d.reason), (true, &Reason::OrgAdmin));
    assert!(
        index
            .check_module(
                org.u("chief"),
                org.n("Harbor Clinic"),
                "settings",
                "super_admin",
                today()
            )
            .allowed
    );
    assert!(
        index
            .can_grant_role(
                org.u("chief"),
                org.n("Medical Center"),
                org.r("Regional Administrator"),
                org.n("State EMS"),
                today()
            )
            .allowed
    );
    assert_eq!(
        index
            .capabilities_at(org.u("chief"), org.n("State EMS"), today())
            .len(),
        15
    );
}

#[test]
fn subjects_who_are_not_active_or_cannot_sign_in_are_denied_even_as_org_admins() {
    let mut org = emtrack();
    org.edit_user("regional", |u| {
        u.status = UserStatus::Retired;
        u.is_org_admin = true;
    });
    org.edit_user("division_admin", |u| u.login_kind = LoginKind::None);
    let index = org.index();
    let retired = index.check_capability(
        org.u("regional"),
        org.n("North Region"),
        UsersView,
        Target::User(org.u("sam")),
        today(),
    );
    assert_eq!(
        retired.reason,
        Reason::SubjectInactive {
            status: UserStatus::Retired
        }
    );
    assert_eq!(
        retired.to_string(),
        "denied: the user is retired, not active"
    );
    let non_login = index.check_capability(
        org.u("division_admin"),
        org.n("North Patrol Division"),
        UsersView,
        Target::User(org.u("sam")),
        today(),
    );
    assert_eq!(non_login.reason, Reason::SubjectCannotSignIn);
}

#[test]
fn unknown_users_nodes_roles_and_modules_are_denied_by_name() {
    let org = emtrack();
    let index = org.index();
    let stranger = muster_domain::UserId::new();
    let d = index.check_capability(
        stranger,
        org.n("State EMS"),
        UsersView,
        Target::Node(org.n("State EMS")),
        today(),
    );
    assert_eq!(d.reason, Reason::UnknownUser(stranger));
    let nowhere = NodeId::new();
    let d = index.check_capability(
        org.u("regional"),
        nowhere,
        UsersView,
        Target::Node(org.n("State EMS")),
        today(),
    );
    assert_eq!(d.reason, Reason::UnknownNode(nowhere));
    let d = index.check_module(
        org.u("sam"),
        org.n("Medical Center"),
        "payroll",
        "view",
        today(),
    );
    assert_eq!(d.reason, Reason::UnknownModule("payroll".into()));
    let d = index.check_module(
        org.u("sam"),
        org.n("Medical Center"),
        "patients",
        "admin",
        today(),
    );
    assert!(matches!(d.reason, Reason::UnknownLevel { .. }));
    let d = index.check_module_item(
        org.u("sam"),
        org.n("Medical Center"),
        "scheduling",
        "view",
        "swing",
        today(),
    );
    assert!(matches!(d.reason, Reason::UnknownItem { .. }));
}

// ----- time-bounded placements -----

fn with_temporary_duty(at: crate::fixture::At<'_>) -> (Org, muster_access::OrgIndex) {
    let mut org = emtrack();
    org.user("tdy", None, &[home("Medical Center", "ED Normal"), at]);
    let index = org.index();
    (org, index)
}

#[test]
fn a_placement_not_yet_started_grants_nothing_and_the_decision_says_when_it_starts() {
    let (org, index) = with_temporary_duty(
        also("North Patrol Division", "Division Administrator").from("2026-07-01"),
    );
    let d = index.check_capability(
        org.u("tdy"),
        org.n("Medical Center"),
        UsersView,
        Target::User(org.u("sam")),
        today(),
    );
    assert!(!d.allowed);
    assert!(matches!(
        &d.reason,
        Reason::PlacementNotInForce { starts_on: Some(s), ends_on: None, .. } if *s == day("2026-07-01")
    ));
    assert_eq!(
        d.to_string(),
        "denied: the placement as Division Administrator at North Patrol Division starts on 2026-07-01"
    );
    // Working at the division itself is not possible yet either, and says why.
    let d = index.check_capability(
        org.u("tdy"),
        org.n("North Patrol Division"),
        UsersView,
        Target::User(org.u("sam")),
        today(),
    );
    assert!(
        matches!(d.reason, Reason::PlacementNotInForce { .. }),
        "{d}"
    );
    // From its first day it grants.
    let d = index.check_capability(
        org.u("tdy"),
        org.n("Medical Center"),
        UsersView,
        Target::User(org.u("sam")),
        day("2026-07-01"),
    );
    assert!(d.allowed);
}

#[test]
fn an_ended_placement_grants_nothing_and_the_decision_says_when_it_ended() {
    let (org, index) = with_temporary_duty(
        also("North Patrol Division", "Division Administrator").until("2026-06-01"),
    );
    let d = index.check_capability(
        org.u("tdy"),
        org.n("Medical Center"),
        UsersEdit,
        Target::User(org.u("sam")),
        today(),
    );
    assert!(!d.allowed);
    assert_eq!(
        d.to_string(),
        "denied: the placement as Division Administrator at North Patrol Division ended on 2026-06-01"
    );
    assert!(
        index
            .administrators_of(org.u("sam"), today())
            .iter()
            .all(|(u, _, _)| *u != org.u("tdy"))
    );
}

#[test]
fn a_placement_in_force_grants_from_its_first_to_its_last_day_inclusive() {
    let (org, index) = with_temporary_duty(
        also("North Patrol Division", "Division Administrator")
            .from("2026-06-01")
            .until("2026-06-30"),
    );
    let on = |d: &str| {
        index
            .check_capability(
                org.u("tdy"),
                org.n("Medical Center"),
                UsersView,
                Target::User(org.u("sam")),
                day(d),
            )
            .allowed
    };
    assert!(!on("2026-05-31"));
    assert!(on("2026-06-01"));
    assert!(on("2026-06-15"));
    assert!(on("2026-06-30"));
    assert!(!on("2026-07-01"));
    let d = index.check_capability(
        org.u("tdy"),
        org.n("Medical Center"),
        UsersView,
        Target::User(org.u("sam")),
        today(),
    );
    assert_eq!(
        named_placement(&d.reason),
        (
            "Division Administrator".into(),
            "North Patrol Division".into()
        )
    );
}

#[test]
fn a_target_is_reached_through_any_placement_even_one_not_in_force() {
    let mut org = emtrack();
    org.user(
        "transfer",
        None,
        &[
            home("Harbor Clinic", "ED Normal"),
            also("Marsh County Hospital", "ED Normal").from("2026-09-01"),
        ],
    );
    let index = org.index();
    let d = index.check_capability(
        org.u("division_admin"),
        org.n("North Patrol Division"),
        UsersView,
        Target::User(org.u("transfer")),
        today(),
    );
    assert!(d.allowed, "{d}");
}

// ----- modules -----

#[test]
fn a_module_grant_covers_every_lower_level() {
    let org = emtrack();
    let index = org.index();
    let module = |user: &str, current: &str, level: &str| {
        index.check_module(org.u(user), org.n(current), "patients", level, today())
    };
    assert!(module("sam", "Medical Center", "view").allowed);
    assert!(module("sam", "Medical Center", "none").allowed);
    let edit = module("sam", "Medical Center", "edit");
    assert!(!edit.allowed);
    assert_eq!(
        edit.to_string(),
        "denied: no placement in force grants patients at edit"
    );
    assert!(module("division_admin", "Medical Center", "edit").allowed);
    assert!(module("division_admin", "Medical Center", "view").allowed);
    assert!(matches!(
        module("sam", "Harbor Clinic", "view").reason,
        Reason::NotAtCurrentLocation { .. }
    ));
}

#[test]
fn a_module_item_is_granted_only_when_the_role_covers_it_or_all_items() {
    let org = emtrack();
    let index = org.index();
    let item = |user: &str, current: &str, level: &str, item: &str| {
        index.check_module_item(
            org.u(user),
            org.n(current),
            "scheduling",
            level,
            item,
            today(),
        )
    };
    assert!(item("sam", "Medical Center", "view", "day_shift").allowed);
    let night = item("sam", "Medical Center", "view", "night_shift");
    assert!(!night.allowed);
    assert_eq!(
        night.to_string(),
        "denied: no placement in force grants scheduling at view for item night_shift"
    );
    assert!(item("regional", "North Region", "edit", "night_shift").allowed);
    assert!(
        !item(
            "division_admin",
            "North Patrol Division",
            "edit",
            "night_shift"
        )
        .allowed
    );
}

// ----- no escalation -----

#[test]
fn nobody_grants_a_role_with_a_capability_they_do_not_hold() {
    let org = emtrack();
    let index = org.index();
    let grant = |role: &str, node: &str| {
        index.can_grant_role(
            org.u("division_admin"),
            org.n("North Patrol Division"),
            org.r(role),
            org.n(node),
            today(),
        )
    };
    assert!(grant("ED Normal", "Marsh County Hospital").allowed);
    assert!(
        grant("Division Administrator", "Marsh County Hospital").allowed,
        "equal is not more"
    );
    let up = grant("Regional Administrator", "Medical Center");
    assert_eq!(
        up.reason,
        Reason::Escalation(Missing::Capability(UsersCreate))
    );
    assert_eq!(
        up.to_string(),
        "denied: the role would grant the capability users.create, which the grantor does not hold there"
    );
    let outside = grant("ED Normal", "Harbor Clinic");
    assert!(matches!(outside.reason, Reason::OutsideScope { .. }));
}

#[test]
fn nobody_grants_a_module_level_or_item_they_do_not_hold() {
    let org = emtrack();
    let index = org.index();
    let grant = |role: &str| {
        index.can_grant_role(
            org.u("division_admin"),
            org.n("North Patrol Division"),
            org.r(role),
            org.n("Medical Center"),
            today(),
        )
    };
    assert!(matches!(
        grant("Settings Owner").reason,
        Reason::Escalation(Missing::ModuleLevel { ref module, ref level })
            if &**module == "settings" && &**level == "super_admin"
    ));
    assert!(matches!(
        grant("Night Supervisor").reason,
        Reason::Escalation(Missing::ModuleItem { ref item, .. }) if &**item == "night_shift"
    ));
    assert!(matches!(
        grant("Roster Reader").reason,
        Reason::Escalation(Missing::ModuleItem { ref item, .. }) if &**item == "all"
    ));
    // The regional admin holds all of them.
    for role in ["Settings Owner", "Night Supervisor", "Roster Reader"] {
        let d = index.can_grant_role(
            org.u("regional"),
            org.n("North Region"),
            org.r(role),
            org.n("Medical Center"),
            today(),
        );
        assert!(d.allowed, "{role}: {d}");
    }
}

#[test]
fn a_placement_out_of_its_dates_does_not_count_towards_what_one_may_grant() {
    let (org, index) = with_temporary_duty(
        also("North Patrol Division", "Division Administrator").until("2026-06-01"),
    );
    let d = index.can_grant_role(
        org.u("tdy"),
        org.n("Medical Center"),
        org.r("Records Clerk"),
        org.n("Medical Center"),
        today(),
    );
    assert_eq!(d.reason, Reason::Escalation(Missing::Capability(UsersView)));
}

// ----- administrators of a user -----

#[test]
fn the_administrators_of_a_user_are_those_holding_users_capabilities_above_any_of_their_placements()
{
    let mut org = emtrack();
    org.user("chief", None, &[home("Harbor Clinic", "ED Normal")]);
    org.edit_user("chief", |u| u.is_org_admin = true);
    org.user(
        "south_admin",
        None,
        &[home("South Division", "Division Administrator")],
    );
    let index = org.index();
    let admins = index.administrators_of(org.u("sam"), today());
    let mut got: Vec<_> = admins
        .iter()
        .map(|(u, caps, r)| (*u, caps.clone(), r.clone()))
        .collect();
    got.sort_by_key(|(u, _, _)| *u);
    let find = |name: &str| got.iter().find(|(u, _, _)| *u == org.u(name)).cloned();
    assert_eq!(find("chief").unwrap().2, Reason::OrgAdmin);
    let (_, caps, reason) = find("regional").unwrap();
    assert_eq!(caps, [UsersView, UsersCreate, UsersEdit]);
    assert_eq!(
        named_placement(&reason),
        ("Regional Administrator".into(), "North Region".into())
    );
    let (_, caps, _) = find("division_admin").unwrap();
    assert_eq!(caps, [UsersView, UsersEdit]);
    assert!(find("south_admin").is_none());
    assert_eq!(got.len(), 3);
    // Blake also has a placement in the south: its administrator is theirs too.
    assert!(
        index
            .administrators_of(org.u("blake"), today())
            .iter()
            .any(|(u, _, _)| *u == org.u("south_admin"))
    );
}

// ----- the command hierarchy (the personnel privileges page) -----

/// Captain ─┬─ Lieutenant ─┬─ Sergeant ─── Officer
///          │              └─ Detective
///          ├─ Agencies
///          └─ Clerk
/// Dispatch (a second root group)
fn personnel() -> Org {
    use Access::{Edit, View};
    let mut org = Org::default();
    org.node("Harbor PD", "Organization", None)
        .node("Headquarters", "Location", Some("Harbor PD"))
        .role("Staff", &[], &[])
        .role("Records", &[UsersView], &[])
        .group(
            "Captain",
            None,
            &[privilege(Scope::All, View, Section::Demographics)],
        )
        .group(
            "Lieutenant",
            Some("Captain"),
            &[
                privilege(Scope::Direct, Edit, Section::Discipline),
                privilege(Scope::Indirect, View, Section::Discipline),
                privilege(Scope::Peers, View, Section::Photo),
                privilege(Scope::Own, View, Section::Commendations),
            ],
        )
        .group("Agencies", Some("Captain"), &[])
        .group("Clerk", Some("Captain"), &[])
        .group(
            "Sergeant",
            Some("Lieutenant"),
            &[privilege(Scope::Own, Edit, Section::Photo)],
        )
        .group("Detective", Some("Lieutenant"), &[])
        .group("Officer", Some("Sergeant"), &[])
        .group("Dispatch", None, &[]);
    let hq = || [home("Headquarters", "Staff")];
    for (user, group) in [
        ("captain", Some("Captain")),
        ("lt", Some("Lieutenant")),
        ("lt2", Some("Lieutenant")),
        ("sgt", Some("Sergeant")),
        ("detective", Some("Detective")),
        ("officer", Some("Officer")),
        ("clerk", Some("Clerk")),
        ("dispatcher", Some("Dispatch")),
        ("civilian", None),
    ] {
        org.user(user, group, &hq());
    }
    org.user("records", None, &[home("Headquarters", "Records")]);
    org.user("chief", None, &hq());
    org.edit_user("chief", |u| u.is_org_admin = true);
    org
}

#[test]
fn sergeant_is_direct_officer_indirect_and_clerk_a_peer_of_the_lieutenant() {
    let org = personnel();
    let index = org.index();
    let rel = |v: &str, t: &str| index.relation(org.u(v), org.u(t));
    assert_eq!(rel("lt", "sgt"), Relation::Direct);
    assert_eq!(rel("lt", "officer"), Relation::Indirect);
    assert_eq!(rel("lt", "clerk"), Relation::Peers);
    assert_eq!(
        rel("lt", "lt2"),
        Relation::Peers,
        "the same group counts as peers"
    );
    assert_eq!(rel("lt", "lt"), Relation::Own);
    assert_eq!(rel("captain", "lt"), Relation::Direct);
    assert_eq!(rel("captain", "officer"), Relation::Indirect);
    assert_eq!(
        rel("sgt", "lt"),
        Relation::None,
        "relations do not go upwards"
    );
    assert_eq!(rel("officer", "clerk"), Relation::None);
}

#[test]
fn root_groups_are_peers_of_each_other() {
    let org = personnel();
    let index = org.index();
    assert_eq!(
        index.relation(org.u("captain"), org.u("dispatcher")),
        Relation::Peers
    );
}

#[test]
fn a_user_without_a_group_relates_to_others_only_as_self() {
    let org = personnel();
    let index = org.index();
    assert_eq!(
        index.relation(org.u("civilian"), org.u("lt")),
        Relation::None
    );
    assert_eq!(
        index.relation(org.u("lt"), org.u("civilian")),
        Relation::None
    );
    assert_eq!(
        index.relation(org.u("civilian"), org.u("civilian")),
        Relation::Own
    );
}

#[test]
fn a_section_is_open_when_a_privilege_of_the_viewers_group_covers_the_relation() {
    let org = personnel();
    let index = org.index();
    let check = |v: &str, t: &str, section, access| {
        index.check_section(org.u(v), org.u(t), section, access)
    };
    let d = check("lt", "sgt", Section::Discipline, Access::Edit);
    assert!(d.allowed);
    assert!(matches!(
        &d.reason,
        Reason::Privilege { group, scope: Scope::Direct, access: Access::Edit, relation: Relation::Direct }
            if group.id == org.g("Lieutenant")
    ));
    assert_eq!(
        d.to_string(),
        "allowed by group Lieutenant's privilege to edit direct reports' records, the target being a direct report"
    );
    assert!(check("lt", "officer", Section::Discipline, Access::View).allowed);
    let edit = check("lt", "officer", Section::Discipline, Access::Edit);
    assert_eq!(
        edit.reason,
        Reason::NoPrivilege {
            section: Section::Discipline,
            access: Access::Edit,
            relation: Relation::Indirect
        }
    );
    assert!(check("lt", "clerk", Section::Photo, Access::View).allowed);
    assert!(!check("lt", "clerk", Section::Photo, Access::Edit).allowed);
    assert!(!check("lt", "clerk", Section::Discipline, Access::View).allowed);
    assert!(check("lt", "lt", Section::Commendations, Access::View).allowed);
    assert!(!check("lt", "sgt", Section::Commendations, Access::View).allowed);
    assert!(!check("sgt", "lt", Section::Discipline, Access::View).allowed);
}

#[test]
fn edit_implies_view() {
    let org = personnel();
    let index = org.index();
    let d = index.check_section(org.u("sgt"), org.u("sgt"), Section::Photo, Access::View);
    assert!(d.allowed);
    assert!(matches!(
        d.reason,
        Reason::Privilege {
            access: Access::Edit,
            scope: Scope::Own,
            ..
        }
    ));
}

#[test]
fn the_all_scope_covers_everyone_including_self_and_users_without_a_group() {
    let org = personnel();
    let index = org.index();
    for target in ["captain", "officer", "dispatcher", "civilian", "clerk"] {
        let d = index.check_section(
            org.u("captain"),
            org.u(target),
            Section::Demographics,
            Access::View,
        );
        assert!(d.allowed, "{target}: {d}");
        assert!(matches!(
            d.reason,
            Reason::Privilege {
                scope: Scope::All,
                ..
            }
        ));
    }
    assert!(
        !index
            .check_section(
                org.u("captain"),
                org.u("officer"),
                Section::Demographics,
                Access::Edit
            )
            .allowed
    );
}

#[test]
fn an_org_admin_may_access_every_section_and_a_user_without_a_group_none() {
    let org = personnel();
    let index = org.index();
    for section in Section::ALL {
        let d = index.check_section(org.u("chief"), org.u("officer"), *section, Access::Edit);
        assert_eq!(d.reason, Reason::OrgAdmin);
        assert!(
            !index
                .check_section(org.u("civilian"), org.u("civilian"), *section, Access::View)
                .allowed
        );
    }
}

#[test]
fn who_can_lists_every_viewer_of_a_section_with_why() {
    let org = personnel();
    let index = org.index();
    let names = |list: Vec<(muster_domain::UserId, Reason)>| {
        let mut names: Vec<&str> = [
            "captain", "lt", "lt2", "sgt", "officer", "clerk", "chief", "civilian",
        ]
        .into_iter()
        .filter(|n| list.iter().any(|(u, _)| *u == org.u(n)))
        .collect();
        names.sort_unstable();
        names
    };
    assert_eq!(
        names(index.who_can(org.u("sgt"), Section::Discipline, Access::Edit)),
        ["chief", "lt", "lt2"]
    );
    assert_eq!(
        names(index.who_can(org.u("officer"), Section::Discipline, Access::View)),
        ["chief", "lt", "lt2"]
    );
    assert_eq!(
        names(index.who_can(org.u("sgt"), Section::Photo, Access::View)),
        ["chief", "sgt"]
    );
    assert_eq!(
        names(index.who_can(org.u("lt"), Section::Photo, Access::View)),
        ["chief", "lt2"]
    );
    let everyone = index.who_can(org.u("civilian"), Section::Demographics, Access::View);
    assert_eq!(names(everyone), ["captain", "chief"]);
}

// ----- visibility -----

#[test]
fn a_profile_is_visible_to_oneself_through_users_view_or_through_any_privilege() {
    let org = personnel();
    let index = org.index();
    let see = |v: &str, t: &str| {
        index.can_see_profile(org.u(v), org.n("Headquarters"), org.u(t), today())
    };
    assert_eq!(see("civilian", "civilian").reason, Reason::SelfService);
    assert!(matches!(
        see("records", "officer").reason,
        Reason::Placement { .. }
    ));
    assert!(matches!(
        see("lt", "clerk").reason,
        Reason::Privilege {
            scope: Scope::Peers,
            ..
        }
    ));
    assert!(matches!(
        see("lt", "officer").reason,
        Reason::Privilege {
            scope: Scope::Indirect,
            ..
        }
    ));
    let hidden = see("sgt", "officer");
    assert_eq!(
        hidden.reason,
        Reason::NotVisible {
            relation: Relation::Direct
        }
    );
    assert!(!see("officer", "lt").allowed);
    assert_eq!(see("chief", "officer").reason, Reason::OrgAdmin);
}

// ----- directory -----

#[test]
fn the_directory_shows_whom_the_viewers_directory_access_chooses() {
    let mut org = personnel();
    org.node("Annex", "Location", Some("Harbor PD"));
    org.user("annex_clerk", Some("Clerk"), &[home("Annex", "Staff")]);
    org.user("gone", Some("Officer"), &[home("Headquarters", "Staff")]);
    org.edit_user("gone", |u| u.status = UserStatus::Separated);
    let mut with = |name: &str, access| {
        org.edit_user(name, |u| u.directory = access);
    };
    with("civilian", DirectoryAccess::None);
    with("clerk", DirectoryAccess::SharedLocations);
    with("sgt", DirectoryAccess::Hierarchy);
    let index = org.index();
    let sees = |v: &str, t: &str| index.directory_visible(org.u(v), org.u(t)).allowed;
    // none: nobody.
    assert!(!sees("civilian", "lt"));
    assert!(!sees("civilian", "civilian"));
    // everyone: every active user.
    assert!(sees("lt", "annex_clerk"));
    assert!(!sees("lt", "gone"));
    assert!(matches!(
        index.directory_visible(org.u("lt"), org.u("gone")).reason,
        Reason::TargetNotActive {
            status: UserStatus::Separated
        }
    ));
    // shared locations.
    assert!(sees("clerk", "officer"));
    assert!(!sees("clerk", "annex_clerk"));
    // hierarchy: parent group, own and peer groups, and every group below.
    assert!(sees("sgt", "lt"));
    assert!(sees("sgt", "detective"));
    assert!(sees("sgt", "officer"));
    assert!(sees("sgt", "sgt"));
    assert!(!sees("sgt", "captain"));
    assert!(!sees("sgt", "clerk"));
    assert!(!sees("sgt", "civilian"));
}

// ----- keeping the index current -----

#[test]
fn upserting_a_user_changes_their_decisions_without_a_rebuild() {
    let org = emtrack();
    let mut index = org.index();
    let reach = |index: &muster_access::OrgIndex| {
        index
            .check_capability(
                org.u("division_admin"),
                org.n("North Patrol Division"),
                UsersView,
                Target::User(org.u("casey")),
                today(),
            )
            .allowed
    };
    assert!(!reach(&index));
    let mut casey = org.user_facts("casey");
    casey.placements.push(muster_access::PlacementFacts {
        node: org.n("Marsh County Hospital"),
        role: org.r("ED Normal"),
        default: false,
        starts_on: None,
        ends_on: None,
    });
    index.upsert_user(&casey);
    assert!(reach(&index));
    let admins = |index: &muster_access::OrgIndex| {
        index
            .administrators_of(org.u("sam"), today())
            .into_iter()
            .map(|(u, _, _)| u)
            .collect::<Vec<_>>()
    };
    assert!(admins(&index).contains(&org.u("division_admin")));
    let mut demoted = org.user_facts("division_admin");
    demoted.placements[0].role = org.r("ED Normal");
    index.upsert_user(&demoted);
    assert!(!admins(&index).contains(&org.u("division_admin")));
}

#[test]
fn a_removed_user_is_unknown_and_their_slot_is_reused() {
    let org = emtrack();
    let mut index = org.index();
    let count = index.user_count();
    assert!(index.remove_user(org.u("sam")));
    assert!(!index.remove_user(org.u("sam")));
    assert_eq!(index.user_count(), count - 1);
    let d = index.check_capability(
        org.u("regional"),
        org.n("North Region"),
        UsersView,
        Target::User(org.u("sam")),
        today(),
    );
    assert_eq!(d.reason, Reason::UnknownUser(org.u("sam")));
    let mut newcomer = org.user_facts("sam");
    newcomer.id = muster_domain::UserId::new();
    index.upsert_user(&newcomer);
    assert_eq!(index.user_count(), count);
    assert!(
        index
            .check_capability(
                org.u("regional"),
                org.n("North Region"),
                UsersView,
                Target::User(newcomer.id),
                today()
            )
            .allowed
    );
}

#[test]
fn moving_a_user_to_another_group_changes_who_can_see_their_records() {
    let org = personnel();
    let mut index = org.index();
    let lt_can = |index: &muster_access::OrgIndex| {
        index
            .who_can(org.u("sgt"), Section::Discipline, Access::Edit)
            .iter()
            .any(|(u, _)| *u == org.u("lt"))
    };
    assert!(lt_can(&index));
    let mut sgt = org.user_facts("sgt");
    sgt.group = Some(org.g("Officer"));
    index.upsert_user(&sgt);
    assert!(!lt_can(&index));
    assert_eq!(
        index.relation(org.u("lt"), org.u("sgt")),
        Relation::Indirect
    );
}
