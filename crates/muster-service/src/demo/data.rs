//! The demo organization's fixed shape: its tree, roles, reference lists and command
//! hierarchy, as data.

use muster_domain::access::Capability;

/// The demo organization's name.
pub(super) const ORG_NAME: &str = "Harbor County Police";
/// Its sign-in handle (the slug of [`ORG_NAME`]).
pub(super) const ORG_SLUG: &str = "harbor-county-police";
/// Domain of every demo email address.
pub(super) const EMAIL_DOMAIN: &str = "harborcountypd.gov";
/// State of every demo address.
pub(super) const STATE: &str = "WA";

/// The regions, under the root.
pub(super) const REGIONS: [&str; 2] = ["North Region", "South Region"];

/// A division, under a region.
pub(super) struct Division {
    /// Index into [`REGIONS`].
    pub region: usize,
    /// Name, unique under its region.
    pub name: &'static str,
}

/// The divisions; the first one is the demo division administrator's.
pub(super) const DIVISIONS: [Division; 6] = [
    Division {
        region: 0,
        name: "North Patrol Division",
    },
    Division {
        region: 0,
        name: "North Investigations Division",
    },
    Division {
        region: 0,
        name: "North Support Division",
    },
    Division {
        region: 1,
        name: "South Patrol Division",
    },
    Division {
        region: 1,
        name: "South Investigations Division",
    },
    Division {
        region: 1,
        name: "South Support Division",
    },
];

/// A location (station, office, lab …), under a division, and who works there.
pub(super) struct Location {
    /// Index into [`DIVISIONS`].
    pub division: usize,
    /// Name, unique under its division.
    pub name: &'static str,
    /// Street and number.
    pub street: &'static str,
    /// City.
    pub city: &'static str,
    /// ZIP code.
    pub postal_code: &'static str,
    /// Units of the officers posted here (names in [`UNITS`]); the first is the main one.
    pub units: &'static [&'static str],
    /// Sergeants posted here (besides the one lieutenant every location has).
    pub sergeants: usize,
    /// Officers posted here.
    pub officers: usize,
    /// Civilian clerks posted here.
    pub clerks: usize,
    /// The clerks' title (a name in [`TITLES`]).
    pub clerk_title: &'static str,
    /// Whether the clerks here sign in with a PIN at shared consoles.
    pub clerks_use_pin: bool,
}

/// The locations. The demo officer works at the first one.
pub(super) const LOCATIONS: [Location; 20] = [
    Location {
        division: 0,
        name: "Bayview Station",
        street: "1200 Harbor View Drive",
        city: "Bayview",
        postal_code: "98201",
        units: &["Patrol", "K-9", "Traffic"],
        sergeants: 5,
        officers: 22,
        clerks: 1,
        clerk_title: "Administrative Assistant",
        clerks_use_pin: false,
    },
    Location {
        division: 0,
        name: "Cedar Falls Station",
        street: "455 Cedar Falls Road",
        city: "Cedar Falls",
        postal_code: "98204",
        units: &["Patrol", "Traffic"],
        sergeants: 4,
        officers: 19,
        clerks: 1,
        clerk_title: "Administrative Assistant",
        clerks_use_pin: false,
    },
    Location {
        division: 0,
        name: "Northgate Precinct Office",
        street: "88 Northgate Plaza",
        city: "Northgate",
        postal_code: "98208",
        units: &["Patrol"],
        sergeants: 3,
        officers: 14,
        clerks: 1,
        clerk_title: "Administrative Assistant",
        clerks_use_pin: false,
    },
    Location {
        division: 0,
        name: "Marina District Substation",
        street: "17 Pier Street",
        city: "Bayview",
        postal_code: "98201",
        units: &["Patrol", "K-9"],
        sergeants: 2,
        officers: 10,
        clerks: 0,
        clerk_title: "Administrative Assistant",
        clerks_use_pin: false,
    },
    Location {
        division: 1,
        name: "North Detective Bureau",
        street: "300 Commerce Street",
        city: "Bayview",
        postal_code: "98203",
        units: &["Investigations", "Major Crimes"],
        sergeants: 3,
        officers: 12,
        clerks: 1,
        clerk_title: "Administrative Assistant",
        clerks_use_pin: false,
    },
    Location {
        division: 1,
        name: "Narcotics Task Force Office",
        street: "2150 Industrial Way",
        city: "Northgate",
        postal_code: "98208",
        units: &["Narcotics"],
        sergeants: 2,
        officers: 8,
        clerks: 0,
        clerk_title: "Administrative Assistant",
        clerks_use_pin: false,
    },
    Location {
        division: 1,
        name: "Property Crimes Unit Office",
        street: "310 Commerce Street",
        city: "Bayview",
        postal_code: "98203",
        units: &["Property Crimes", "Investigations"],
        sergeants: 2,
        officers: 7,
        clerks: 0,
        clerk_title: "Administrative Assistant",
        clerks_use_pin: false,
    },
    Location {
        division: 2,
        name: "Emergency Communications Center",
        street: "900 Lighthouse Lane",
        city: "Bayview",
        postal_code: "98202",
        units: &["Communications"],
        sergeants: 2,
        officers: 4,
        clerks: 4,
        clerk_title: "Dispatcher",
        clerks_use_pin: true,
    },
    Location {
        division: 2,
        name: "Central Records Office",
        street: "1 County Plaza",
        city: "Bayview",
        postal_code: "98201",
        units: &["Records"],
        sergeants: 1,
        officers: 2,
        clerks: 3,
        clerk_title: "Records Clerk",
        clerks_use_pin: false,
    },
    Location {
        division: 2,
        name: "Evidence and Property Warehouse",
        street: "4700 Depot Road",
        city: "Cedar Falls",
        postal_code: "98205",
        units: &["Evidence"],
        sergeants: 1,
        officers: 3,
        clerks: 0,
        clerk_title: "Administrative Assistant",
        clerks_use_pin: false,
    },
    Location {
        division: 3,
        name: "Harbor City Station",
        street: "2400 Waterfront Boulevard",
        city: "Harbor City",
        postal_code: "98220",
        units: &["Patrol", "K-9", "Traffic"],
        sergeants: 5,
        officers: 22,
        clerks: 1,
        clerk_title: "Administrative Assistant",
        clerks_use_pin: false,
    },
    Location {
        division: 3,
        name: "Riverside Station",
        street: "615 River Road",
        city: "Riverside",
        postal_code: "98223",
        units: &["Patrol", "Traffic"],
        sergeants: 4,
        officers: 19,
        clerks: 0,
        clerk_title: "Administrative Assistant",
        clerks_use_pin: false,
    },
    Location {
        division: 3,
        name: "Southport Precinct Office",
        street: "1020 Southport Avenue",
        city: "Southport",
        postal_code: "98226",
        units: &["Patrol"],
        sergeants: 3,
        officers: 14,
        clerks: 0,
        clerk_title: "Administrative Assistant",
        clerks_use_pin: false,
    },
    Location {
        division: 3,
        name: "Lakeshore Substation",
        street: "75 Lakeshore Drive",
        city: "Lakeshore",
        postal_code: "98229",
        units: &["Patrol"],
        sergeants: 2,
        officers: 10,
        clerks: 0,
        clerk_title: "Administrative Assistant",
        clerks_use_pin: false,
    },
    Location {
        division: 4,
        name: "County Crime Laboratory",
        street: "3300 Science Park Drive",
        city: "Harbor City",
        postal_code: "98221",
        units: &["Forensics"],
        sergeants: 1,
        officers: 6,
        clerks: 1,
        clerk_title: "Laboratory Assistant",
        clerks_use_pin: false,
    },
    Location {
        division: 4,
        name: "South Detective Bureau",
        street: "2410 Waterfront Boulevard",
        city: "Harbor City",
        postal_code: "98220",
        units: &["Investigations", "Property Crimes"],
        sergeants: 3,
        officers: 11,
        clerks: 0,
        clerk_title: "Administrative Assistant",
        clerks_use_pin: false,
    },
    Location {
        division: 4,
        name: "Major Crimes Unit Office",
        street: "800 Justice Way",
        city: "Riverside",
        postal_code: "98223",
        units: &["Major Crimes", "Investigations"],
        sergeants: 2,
        officers: 7,
        clerks: 0,
        clerk_title: "Administrative Assistant",
        clerks_use_pin: false,
    },
    Location {
        division: 5,
        name: "Training Academy",
        street: "5100 Academy Road",
        city: "Southport",
        postal_code: "98227",
        units: &["Training"],
        sergeants: 2,
        officers: 6,
        clerks: 0,
        clerk_title: "Administrative Assistant",
        clerks_use_pin: false,
    },
    Location {
        division: 5,
        name: "Special Operations Center",
        street: "1800 Airfield Road",
        city: "Riverside",
        postal_code: "98224",
        units: &["SWAT", "K-9"],
        sergeants: 2,
        officers: 8,
        clerks: 0,
        clerk_title: "Administrative Assistant",
        clerks_use_pin: false,
    },
    Location {
        division: 5,
        name: "Fleet Services Garage",
        street: "4200 Motor Pool Drive",
        city: "Southport",
        postal_code: "98226",
        units: &["Fleet"],
        sergeants: 1,
        officers: 2,
        clerks: 0,
        clerk_title: "Administrative Assistant",
        clerks_use_pin: false,
    },
];

/// Units, each with the title its officers hold.
pub(super) const UNITS: [(&str, &str); 14] = [
    ("Patrol", "Patrol Officer"),
    ("K-9", "K-9 Handler"),
    ("Traffic", "Traffic Officer"),
    ("SWAT", "Tactical Officer"),
    ("Investigations", "Detective"),
    ("Major Crimes", "Detective"),
    ("Property Crimes", "Detective"),
    ("Narcotics", "Detective"),
    ("Forensics", "Crime Scene Technician"),
    ("Evidence", "Evidence Technician"),
    ("Communications", "Communications Officer"),
    ("Records", "Records Officer"),
    ("Training", "Training Officer"),
    ("Fleet", "Fleet Coordinator"),
];

/// Reference list `ranks`, highest first.
pub(super) const RANKS: [&str; 7] = [
    "Chief of Police",
    "Captain",
    "Lieutenant",
    "Sergeant",
    "Corporal",
    "Officer",
    "Civilian",
];

/// Reference list `titles`.
pub(super) const TITLES: [&str; 22] = [
    "Chief",
    "Commander",
    "Watch Commander",
    "Shift Supervisor",
    "Patrol Officer",
    "K-9 Handler",
    "Traffic Officer",
    "Tactical Officer",
    "Detective",
    "Crime Scene Technician",
    "Evidence Technician",
    "Communications Officer",
    "Records Officer",
    "Training Officer",
    "Fleet Coordinator",
    "Dispatcher",
    "Records Clerk",
    "Laboratory Assistant",
    "Administrative Assistant",
    "IT Administrator",
    "Personnel Coordinator",
    "School Resource Officer",
];

/// Reference list `specialties`.
pub(super) const SPECIALTIES: [&str; 10] = [
    "Crisis Negotiation",
    "Spanish Language",
    "Vietnamese Language",
    "American Sign Language",
    "EMT Certified",
    "Firearms Instructor",
    "Defensive Tactics Instructor",
    "Drone Pilot",
    "Accident Reconstruction",
    "Marine Patrol",
];

/// Reference list `separation_statuses`.
pub(super) const SEPARATION_STATUSES: [&str; 5] = [
    "Resigned",
    "Retired",
    "Terminated",
    "Deceased",
    "Transferred Out",
];

/// Reference list `assignment_types`.
pub(super) const ASSIGNMENT_TYPES: [&str; 4] =
    ["Permanent", "Temporary Duty", "Acting", "Light Duty"];

/// Every reference list the demo organization gets, by its list name.
pub(super) fn reference_lists() -> [(&'static str, Vec<&'static str>); 6] {
    [
        ("ranks", RANKS.to_vec()),
        ("titles", TITLES.to_vec()),
        ("units", UNITS.iter().map(|(unit, _)| *unit).collect()),
        ("specialties", SPECIALTIES.to_vec()),
        ("separation_statuses", SEPARATION_STATUSES.to_vec()),
        ("assignment_types", ASSIGNMENT_TYPES.to_vec()),
    ]
}

/// The title of officers of `unit`.
pub(super) fn officer_title(unit: &str) -> &'static str {
    UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map_or("Patrol Officer", |(_, title)| title)
}

/// The roles of the demo organization, besides the two every organization starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DemoRole {
    /// The default "Administrator" role (every capability).
    Administrator,
    /// The default "Employee" role (no capability).
    Employee,
    /// Administers the users of a region.
    RegionalAdministrator,
    /// Administers the users of a division.
    DivisionAdministrator,
    /// Sees the users of their division or location.
    Supervisor,
    /// Sworn officer: no administrative capability.
    Officer,
    /// Civilian clerk: sees the users of their location.
    Clerk,
}

/// A level of the tree below the root, in the order of the default node kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    /// A region.
    Region = 1,
    /// A division.
    Division = 2,
    /// A location.
    Location = 3,
}

/// A role the demo adds to the two default ones.
pub(super) struct RoleSpec {
    /// Which one.
    pub role: DemoRole,
    /// Name.
    pub name: &'static str,
    /// Module-level preset.
    pub preset: &'static str,
    /// Admin capabilities granted.
    pub capabilities: &'static [Capability],
    /// Levels it may be given at.
    pub assignable_at: &'static [Level],
}

/// The roles the demo adds.
pub(super) const ROLES: [RoleSpec; 5] = [
    RoleSpec {
        role: DemoRole::RegionalAdministrator,
        name: "Regional Administrator",
        preset: "custom",
        capabilities: &[
            Capability::UsersView,
            Capability::UsersCreate,
            Capability::UsersEdit,
            Capability::UsersLifecycle,
            Capability::UsersResetPassword,
            Capability::PlacementsAdd,
            Capability::PlacementsEditRole,
            Capability::PlacementsEditLocation,
            Capability::PlacementsDelete,
            Capability::PlacementsSetDefault,
            Capability::AuditView,
        ],
        assignable_at: &[Level::Region],
    },
    RoleSpec {
        role: DemoRole::DivisionAdministrator,
        name: "Division Administrator",
        preset: "custom",
        capabilities: &[
            Capability::UsersView,
            Capability::UsersCreate,
            Capability::UsersEdit,
            Capability::UsersResetPassword,
            Capability::PlacementsAdd,
            Capability::PlacementsEditRole,
            Capability::PlacementsSetDefault,
        ],
        assignable_at: &[Level::Division],
    },
    RoleSpec {
        role: DemoRole::Supervisor,
        name: "Supervisor",
        preset: "custom",
        capabilities: &[Capability::UsersView],
        assignable_at: &[Level::Division, Level::Location],
    },
    RoleSpec {
        role: DemoRole::Officer,
        name: "Officer",
        preset: "view_only",
        capabilities: &[],
        assignable_at: &[Level::Location],
    },
    RoleSpec {
        role: DemoRole::Clerk,
        name: "Clerk",
        preset: "custom",
        capabilities: &[Capability::UsersView],
        assignable_at: &[Level::Location],
    },
];

/// The command groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Group {
    /// The chief of police.
    Chief = 0,
    /// Division commanders.
    Captains = 1,
    /// Location commanders.
    Lieutenants = 2,
    /// Civilian clerks, beside the lieutenants.
    Clerks = 3,
    /// Shift supervisors.
    Sergeants = 4,
    /// Sworn officers.
    Officers = 5,
}

/// Sections of a personnel file, as privileges name them.
pub(super) const ALL_SECTIONS: [&str; 11] = [
    "audit_log",
    "commendations",
    "demographics",
    "discipline",
    "feedback_notes",
    "performance_reviews",
    "photo",
    "promotions",
    "related_reports",
    "service_history",
    "status",
];

/// Sections that can be edited (all but the read-only audit log and related reports).
pub(super) const EDITABLE_SECTIONS: [&str; 9] = [
    "commendations",
    "demographics",
    "discipline",
    "feedback_notes",
    "performance_reviews",
    "photo",
    "promotions",
    "service_history",
    "status",
];

/// Sections an employee may read in their own file.
const OWN_FILE: [&str; 5] = [
    "commendations",
    "feedback_notes",
    "performance_reviews",
    "promotions",
    "service_history",
];

/// `access` to `sections` of targets at each of `scopes`.
pub(super) struct Grant {
    /// Sections.
    pub sections: &'static [&'static str],
    /// Scopes (`all`, `direct`, `indirect`, `self`, `peers`).
    pub scopes: &'static [&'static str],
    /// `view` or `edit`.
    pub access: &'static str,
}

/// A command group, its parent and its privileges. Where grants overlap, `edit` wins.
pub(super) struct GroupSpec {
    /// Which one.
    pub group: Group,
    /// Name.
    pub name: &'static str,
    /// Parent group; `None` for the root.
    pub parent: Option<Group>,
    /// Privileges.
    pub grants: &'static [Grant],
}

/// Everyone sees the photos of their peers.
const PEER_PHOTOS: Grant = Grant {
    sections: &["photo"],
    scopes: &["peers"],
    access: "view",
};

/// Officers and clerks read their own file.
const OWN_FILE_VIEW: Grant = Grant {
    sections: &OWN_FILE,
    scopes: &["self"],
    access: "view",
};

/// The command hierarchy, parents before children.
pub(super) const GROUPS: [GroupSpec; 6] = [
    GroupSpec {
        group: Group::Chief,
        name: "Chief",
        parent: None,
        grants: &[
            Grant {
                sections: &ALL_SECTIONS,
                scopes: &["all"],
                access: "view",
            },
            Grant {
                sections: &EDITABLE_SECTIONS,
                scopes: &["all"],
                access: "edit",
            },
            PEER_PHOTOS,
        ],
    },
    GroupSpec {
        group: Group::Captains,
        name: "Captains",
        parent: Some(Group::Chief),
        grants: &[
            Grant {
                sections: &ALL_SECTIONS,
                scopes: &["direct", "indirect"],
                access: "view",
            },
            Grant {
                sections: &[
                    "commendations",
                    "discipline",
                    "feedback_notes",
                    "performance_reviews",
                    "promotions",
                    "service_history",
                    "status",
                ],
                scopes: &["direct", "indirect"],
                access: "edit",
            },
            PEER_PHOTOS,
        ],
    },
    GroupSpec {
        group: Group::Lieutenants,
        name: "Lieutenants",
        parent: Some(Group::Captains),
        grants: &[
            Grant {
                sections: &[
                    "commendations",
                    "discipline",
                    "feedback_notes",
                    "performance_reviews",
                    "promotions",
                    "service_history",
                    "photo",
                ],
                scopes: &["direct", "indirect"],
                access: "view",
            },
            Grant {
                sections: &["feedback_notes", "performance_reviews"],
                scopes: &["direct"],
                access: "edit",
            },
            PEER_PHOTOS,
        ],
    },
    GroupSpec {
        group: Group::Clerks,
        name: "Clerks",
        parent: Some(Group::Captains),
        grants: &[OWN_FILE_VIEW, PEER_PHOTOS],
    },
    GroupSpec {
        group: Group::Sergeants,
        name: "Sergeants",
        parent: Some(Group::Lieutenants),
        grants: &[
            Grant {
                sections: &["feedback_notes", "performance_reviews", "commendations"],
                scopes: &["direct"],
                access: "view",
            },
            Grant {
                sections: &["feedback_notes"],
                scopes: &["direct"],
                access: "edit",
            },
            PEER_PHOTOS,
        ],
    },
    GroupSpec {
        group: Group::Officers,
        name: "Officers",
        parent: Some(Group::Sergeants),
        grants: &[OWN_FILE_VIEW, PEER_PHOTOS],
    },
];
