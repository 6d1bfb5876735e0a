//! The demo roster: who works where, planned deterministically from a seeded generator
//! before anything is written.

use std::collections::HashSet;

use chrono::{Days, Months, NaiveDate};
use muster_domain::user::{LoginKind, Phone, UserStatus};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};

use super::data::{
    DIVISIONS, DemoRole, EMAIL_DOMAIN, Group, LOCATIONS, Location, REGIONS, officer_title,
};
use super::names::{FEMALE_FIRST_NAMES, LAST_NAMES, MALE_FIRST_NAMES};

/// Seed of the generator: the same roster on every run.
const SEED: u64 = 0x4843_5044_2026;
/// The day ages and lengths of service are counted back from.
const REFERENCE_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2026, 1, 1) {
    Some(date) => date,
    None => NaiveDate::MIN,
};
/// Nobody is hired younger than this.
const MIN_HIRING_AGE: u32 = 21;
/// Nobody has served longer than this many years.
const MAX_SERVICE: u32 = 29;

/// Officers (counted in roster order from 0) who retired.
const RETIRED_OFFICERS: [usize; 2] = [17, 143];
/// The officer an administrator banned.
const BANNED_OFFICER: usize = 88;
/// Reserve officers who are on the roster but never sign in.
const NON_LOGIN_OFFICERS: [usize; 2] = [61, 190];

/// A demo account with a well-known password.
pub(super) struct Account {
    /// Login.
    pub login: &'static str,
    /// Password.
    pub password: &'static str,
    /// First name.
    pub first_name: &'static str,
    /// Last name.
    pub last_name: &'static str,
}

/// The organization administrator.
pub(super) const ADMIN: Account = Account {
    login: "admin",
    password: "harbor-admin-2026",
    first_name: "Dana",
    last_name: "Whitfield",
};
/// The administrator of the first region.
pub(super) const REGION_ADMIN: Account = Account {
    login: "north.admin",
    password: "harbor-north-2026",
    first_name: "Robin",
    last_name: "Castellano",
};
/// The administrator of the first division.
pub(super) const DIVISION_ADMIN: Account = Account {
    login: "division.admin",
    password: "harbor-division-2026",
    first_name: "Jordan",
    last_name: "Pike",
};
/// An officer of the first location.
pub(super) const OFFICER: Account = Account {
    login: "officer",
    password: "harbor-officer-2026",
    first_name: "Casey",
    last_name: "Holloway",
};

/// A node of the demo tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Node {
    /// The organization itself.
    Root,
    /// Index into `REGIONS`.
    Region(usize),
    /// Index into `DIVISIONS`.
    Division(usize),
    /// Index into `LOCATIONS`.
    Location(usize),
}

/// A planned placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Placement {
    /// Where.
    pub node: Node,
    /// With which role.
    pub role: DemoRole,
    /// Whether it is the default one.
    pub is_default: bool,
    /// First day in force, if bounded.
    pub starts_on: Option<NaiveDate>,
    /// Last day in force, if bounded.
    pub ends_on: Option<NaiveDate>,
}

impl Placement {
    fn default_at(node: Node, role: DemoRole) -> Self {
        Self {
            node,
            role,
            is_default: true,
            starts_on: None,
            ends_on: None,
        }
    }
}

/// A planned user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Person {
    /// First name.
    pub first_name: &'static str,
    /// Last name.
    pub last_name: &'static str,
    /// Login, unique in the roster.
    pub login: String,
    /// Email address.
    pub email: String,
    /// "HCP-00001".
    pub employee_number: String,
    /// Sworn staff only.
    pub badge_number: Option<String>,
    /// Phones.
    pub phones: Vec<Phone>,
    /// `female` or `male`.
    pub gender: &'static str,
    /// Name in the `ranks` list.
    pub rank: &'static str,
    /// Name in the `titles` list.
    pub title: &'static str,
    /// Name in the `units` list.
    pub unit: Option<&'static str>,
    /// Hire date.
    pub hire_date: NaiveDate,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// How they sign in.
    pub login_kind: LoginKind,
    /// Lifecycle status.
    pub status: UserStatus,
    /// The demo password, for demo accounts.
    pub password: Option<&'static str>,
    /// Organization administrator.
    pub is_org_admin: bool,
    /// Command group.
    pub group: Option<Group>,
    /// Placements; exactly one is the default.
    pub placements: Vec<Placement>,
}

/// What a new person's job makes of them; the rest is drawn at random.
struct Job {
    rank: &'static str,
    title: &'static str,
    unit: Option<&'static str>,
    group: Option<Group>,
    sworn: bool,
    /// Youngest and oldest age.
    ages: (u32, u32),
    /// Fewest and most years of service.
    service: (u32, u32),
    placement: Placement,
}

/// The whole roster. `today` anchors temporary duty assignments, so that some are in
/// force, some upcoming and some over whenever the demo is seeded.
pub(super) fn plan(today: NaiveDate) -> Vec<Person> {
    let mut roster = Roster::new(today);
    roster.demo_staff();
    roster.command_staff();
    for (index, location) in LOCATIONS.iter().enumerate() {
        roster.location_staff(index, location);
    }
    roster.officers();
    roster.people
}

struct Roster {
    rng: StdRng,
    today: NaiveDate,
    logins: HashSet<String>,
    badges: u32,
    people: Vec<Person>,
}

impl Roster {
    fn new(today: NaiveDate) -> Self {
        let logins = [ADMIN, REGION_ADMIN, DIVISION_ADMIN, OFFICER]
            .iter()
            .map(|a| a.login.to_owned())
            .collect();
        Self {
            rng: StdRng::seed_from_u64(SEED),
            today,
            logins,
            badges: 1000,
            people: Vec::new(),
        }
    }

    /// The three civilian demo administrators.
    fn demo_staff(&mut self) {
        let admins = [
            (
                ADMIN,
                "IT Administrator",
                Node::Root,
                DemoRole::Administrator,
            ),
            (
                REGION_ADMIN,
                "Personnel Coordinator",
                Node::Region(0),
                DemoRole::RegionalAdministrator,
            ),
            (
                DIVISION_ADMIN,
                "Personnel Coordinator",
                Node::Division(0),
                DemoRole::DivisionAdministrator,
            ),
        ];
        for (account, title, node, role) in admins {
            let job = Job {
                rank: "Civilian",
                title,
                unit: None,
                group: None,
                sworn: false,
                ages: (30, 55),
                service: (3, 15),
                placement: Placement::default_at(node, role),
            };
            let mut person = self.person(job);
            self.make_account(&mut person, &account);
            person.is_org_admin = role == DemoRole::Administrator;
            self.people.push(person);
        }
    }

    /// The chief and the captains.
    fn command_staff(&mut self) {
        let chief = Job {
            rank: "Chief of Police",
            title: "Chief",
            unit: None,
            group: Some(Group::Chief),
            sworn: true,
            ages: (50, 62),
            service: (22, MAX_SERVICE),
            placement: Placement::default_at(Node::Root, DemoRole::Administrator),
        };
        let person = self.person(chief);
        self.people.push(person);
        for (index, _) in DIVISIONS.iter().enumerate() {
            let captain = Job {
                rank: "Captain",
                title: "Commander",
                unit: None,
                group: Some(Group::Captains),
                sworn: true,
                ages: (42, 60),
                service: (15, 28),
                placement: Placement::default_at(
                    Node::Division(index),
                    DemoRole::DivisionAdministrator,
                ),
            };
            let person = self.person(captain);
            self.people.push(person);
        }
    }

    /// A location's lieutenant, sergeants and clerks.
    fn location_staff(&mut self, index: usize, location: &Location) {
        let node = Node::Location(index);
        let unit = location.units.first().copied();
        let lieutenant = Job {
            rank: "Lieutenant",
            title: "Watch Commander",
            unit,
            group: Some(Group::Lieutenants),
            sworn: true,
            ages: (35, 58),
            service: (10, 25),
            placement: Placement::default_at(node, DemoRole::Supervisor),
        };
        let person = self.person(lieutenant);
        self.people.push(person);
        for _ in 0..location.sergeants {
            let sergeant = Job {
                rank: "Sergeant",
                title: "Shift Supervisor",
                unit,
                group: Some(Group::Sergeants),
                sworn: true,
                ages: (29, 58),
                service: (6, 22),
                placement: Placement::default_at(node, DemoRole::Supervisor),
            };
            let person = self.person(sergeant);
            self.people.push(person);
        }
        for _ in 0..location.clerks {
            let clerk = Job {
                rank: "Civilian",
                title: location.clerk_title,
                unit,
                group: Some(Group::Clerks),
                sworn: false,
                ages: (21, 64),
                service: (0, 20),
                placement: Placement::default_at(node, DemoRole::Clerk),
            };
            let mut person = self.person(clerk);
            if location.clerks_use_pin {
                person.login_kind = LoginKind::Pin;
            }
            self.people.push(person);
        }
    }

    /// The demo officer, then every location's officers.
    fn officers(&mut self) {
        let demo = Job {
            rank: "Officer",
            ..self.officer(0, Some("Patrol"))
        };
        let mut person = self.person(demo);
        self.make_account(&mut person, &OFFICER);
        self.people.push(person);

        let mut number = 0;
        for (index, location) in LOCATIONS.iter().enumerate() {
            for _ in 0..location.officers {
                let unit = if self.rng.random_ratio(3, 4) {
                    location.units.first().copied()
                } else {
                    location.units.choose(&mut self.rng).copied()
                };
                let job = self.officer(index, unit);
                let mut person = self.person(job);
                self.officer_fate(number, &mut person);
                if person.status == UserStatus::Active && self.rng.random_ratio(1, 10) {
                    let extra = self.second_placement(index);
                    person.placements.push(extra);
                }
                self.people.push(person);
                number += 1;
            }
        }
    }

    fn officer(&mut self, location: usize, unit: Option<&'static str>) -> Job {
        let corporal = self.rng.random_ratio(3, 20);
        Job {
            rank: if corporal { "Corporal" } else { "Officer" },
            title: officer_title(unit.unwrap_or("Patrol")),
            unit,
            group: Some(Group::Officers),
            sworn: true,
            ages: (21, 60),
            service: (if corporal { 4 } else { 0 }, 25),
            placement: Placement::default_at(Node::Location(location), DemoRole::Officer),
        }
    }

    /// Retired, banned, non-login and switched-off officers.
    fn officer_fate(&mut self, number: usize, person: &mut Person) {
        if RETIRED_OFFICERS.contains(&number) {
            person.status = UserStatus::Retired;
            person.date_of_birth = self.birth_date(58, 64);
            person.hire_date = self.hire_date(person.date_of_birth, 25, MAX_SERVICE);
            if let Some(placement) = person.placements.first_mut() {
                placement.role = DemoRole::Employee;
            }
        } else if number == BANNED_OFFICER {
            person.status = UserStatus::Banned;
        } else if NON_LOGIN_OFFICERS.contains(&number) {
            person.login_kind = LoginKind::None;
        } else if self.rng.random_ratio(1, 20) {
            person.status = UserStatus::Inactive;
        }
    }

    /// A second, non-default placement at another location: a standing assignment or a
    /// temporary duty that is in force, upcoming or over.
    fn second_placement(&mut self, home: usize) -> Placement {
        let others: Vec<usize> = (0..LOCATIONS.len()).filter(|i| *i != home).collect();
        let node = Node::Location(others.choose(&mut self.rng).copied().unwrap_or(home));
        let today = self.today;
        let (starts_on, ends_on) = match self.rng.random_range(0..4) {
            0 => (None, None),
            1 => (Some(today - Days::new(14)), Some(today + Days::new(42))),
            2 => (Some(today + Days::new(14)), Some(today + Days::new(44))),
            _ => (Some(today - Days::new(90)), Some(today - Days::new(30))),
        };
        Placement {
            node,
            role: DemoRole::Officer,
            is_default: false,
            starts_on,
            ends_on,
        }
    }

    /// Draws a person for `job`.
    fn person(&mut self, job: Job) -> Person {
        let female = self.rng.random_ratio(if job.sworn { 3 } else { 6 }, 10);
        let (first_names, gender) = if female {
            (FEMALE_FIRST_NAMES, "female")
        } else {
            (MALE_FIRST_NAMES, "male")
        };
        let first_name = first_names.choose(&mut self.rng).copied().unwrap_or("Alex");
        let last_name = LAST_NAMES.choose(&mut self.rng).copied().unwrap_or("Smith");
        let login = self.unique_login(first_name, last_name);
        let date_of_birth = self.birth_date(job.ages.0, job.ages.1);
        let hire_date = self.hire_date(date_of_birth, job.service.0, job.service.1);
        let badge_number = job.sworn.then(|| {
            self.badges += 1;
            self.badges.to_string()
        });
        Person {
            first_name,
            last_name,
            email: format!("{login}@{EMAIL_DOMAIN}"),
            login,
            employee_number: format!("HCP-{:05}", self.people.len() + 1),
            badge_number,
            phones: self.phones(),
            gender,
            rank: job.rank,
            title: job.title,
            unit: job.unit,
            hire_date,
            date_of_birth,
            login_kind: LoginKind::Password,
            status: UserStatus::Active,
            password: None,
            is_org_admin: false,
            group: job.group,
            placements: vec![job.placement],
        }
    }

    /// Turns a drawn person into a demo account: its name, login and password.
    fn make_account(&mut self, person: &mut Person, account: &Account) {
        self.logins.remove(&person.login);
        person.first_name = account.first_name;
        person.last_name = account.last_name;
        account.login.clone_into(&mut person.login);
        person.email = format!("{}@{EMAIL_DOMAIN}", account.login);
        person.password = Some(account.password);
    }

    /// `jsmith`, or `jsmith2`, `jsmith3` … when taken.
    fn unique_login(&mut self, first_name: &str, last_name: &str) -> String {
        let base: String = first_name
            .chars()
            .take(1)
            .chain(last_name.chars())
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let mut login = base.clone();
        let mut suffix = 1;
        while self.logins.contains(&login) {
            suffix += 1;
            login = format!("{base}{suffix}");
        }
        self.logins.insert(login.clone());
        login
    }

    /// A birthday between `youngest` and `oldest` years before the reference date.
    fn birth_date(&mut self, youngest: u32, oldest: u32) -> NaiveDate {
        let age = self.rng.random_range(youngest..=oldest);
        REFERENCE_DATE - Months::new(12 * age) - Days::new(self.rng.random_range(1..365))
    }

    /// A hire date with `fewest` to `most` years of service, never before the minimum
    /// hiring age.
    fn hire_date(&mut self, date_of_birth: NaiveDate, fewest: u32, most: u32) -> NaiveDate {
        let earliest = date_of_birth + Months::new(12 * MIN_HIRING_AGE);
        let most = most.min(MAX_SERVICE);
        let years = self.rng.random_range(fewest.min(most)..=most);
        let drawn =
            REFERENCE_DATE - Months::new(12 * years) - Days::new(self.rng.random_range(1..365));
        drawn.max(earliest)
    }

    /// A work phone, and usually a mobile.
    fn phones(&mut self) -> Vec<Phone> {
        let mut phones = vec![Phone {
            kind: "work".to_owned(),
            number: self.phone_number(),
            carrier: None,
            private: false,
        }];
        if self.rng.random_ratio(17, 20) {
            let carrier = ["Verizon", "AT&T", "T-Mobile"]
                .choose(&mut self.rng)
                .map(|c| (*c).to_owned());
            phones.push(Phone {
                kind: "mobile".to_owned(),
                number: self.phone_number(),
                carrier,
                private: self.rng.random_ratio(1, 5),
            });
        }
        phones
    }

    /// "(555) 013-4821": the 555-01xx range is reserved for fiction.
    fn phone_number(&mut self) -> String {
        format!(
            "(555) 01{}-{:04}",
            self.rng.random_range(0..10),
            self.rng.random_range(0..10_000)
        )
    }
}

/// Description of the demo administrator of the first region.
pub(super) fn region_admin_description() -> String {
    format!("Regional administrator, {}", REGIONS[0])
}

/// Description of the demo administrator of the first division.
pub(super) fn division_admin_description() -> String {
    format!("Division administrator, {}", DIVISIONS[0].name)
}
