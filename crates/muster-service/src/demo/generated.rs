//! Generated organizations of any size, for load tests and benchmarks (`muster dev seed`):
//! the demo's roles, reference lists and command hierarchy, a tree of regions, divisions,
//! areas and locations sized to the number of users, and a roster drawn at random.
//!
//! Users are written with multi-row statements ([`people::insert_users_bulk`]) in
//! transactions of [`USERS_PER_TRANSACTION`] users, every row as the service would write
//! it: a reserved login, one default placement with a role assignable at its node, a
//! command group. Administrators (the organization's, one per region, two per division)
//! share one generated password, hashed once.

use chrono::{Days, Duration, NaiveDate};
use muster_domain::org::OrgName;
use muster_domain::user::{DirectoryAccess, Login, LoginKind, Phone, UserStatus};
use muster_domain::{NodeId, NodeKindId, OrgId, UserId, ValidationErrors};
use muster_store::people::{self, BULK_ROWS, NewPlacement, NewUser};
use muster_store::structure::{self, NewNodeKind};
use muster_store::{DbTime, Store, Tx};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use secrecy::SecretString;
use serde_json::Value;

use super::data::{DemoRole, Group};
use super::names::{FEMALE_FIRST_NAMES, LAST_NAMES, MALE_FIRST_NAMES};
use super::write::{self, Ids};
use crate::audit::{self, Changes, Target};
use crate::{Ctx, Result, ServiceError, organizations, passwords, tokens};

/// Users written per transaction: large enough to amortize the commit, small enough to
/// keep the write-ahead log bounded.
pub const USERS_PER_TRANSACTION: u64 = 50_000;

/// Roughly how many users a location has.
const USERS_PER_LOCATION: u64 = 250;
/// Locations per area, areas per division, divisions per region.
const LOCATIONS_PER_AREA: u64 = 8;
const AREAS_PER_DIVISION: u64 = 5;
const DIVISIONS_PER_REGION: u64 = 10;

const REGION_NAMES: [&str; 12] = [
    "North", "South", "East", "West", "Central", "Coastal", "Mountain", "Valley", "Lakeside",
    "Prairie", "Harbor", "Forest",
];

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateRequest {
    /// The organization's name (its slug must be free).
    pub name: String,
    /// How many users, administrators included (at least 1).
    pub users: u64,
    /// Seed of the random roster: the same seed draws the same people.
    pub seed: u64,
}

/// What was generated.
#[derive(Debug)]
pub struct Generated {
    /// The organization.
    pub org_id: OrgId,
    /// Its sign-in handle.
    pub org_slug: String,
    /// Users by status, in [`UserStatus`] order, without the empty ones.
    pub users_by_status: Vec<(UserStatus, u64)>,
    /// Placements (one default per user, and some second ones).
    pub placements: u64,
    /// Regions, divisions, areas and locations.
    pub nodes: [u64; 4],
    /// The organization administrator's login.
    pub admin_login: String,
    /// The password every generated administrator signs in with.
    pub admin_password: SecretString,
    /// An API token of the organization administrator.
    pub admin_token: SecretString,
    /// The first division's administrator, if the organization is large enough to have
    /// one: login, token and the division.
    pub division_admin: Option<(String, SecretString, NodeId)>,
}

/// The tree, by level.
struct Tree {
    regions: Vec<NodeId>,
    divisions: Vec<NodeId>,
    areas: Vec<NodeId>,
    locations: Vec<NodeId>,
}

/// One account to write: who, where, with what role and group.
struct Job {
    login: Option<String>,
    node: NodeId,
    role: DemoRole,
    /// Command group; administrators have none (as in the demo), so their lists show
    /// what their placement reaches and nothing more.
    group: Option<Group>,
    admin: bool,
}

/// Generates an organization of `request.users` users; `progress` hears the number of
/// users written after each transaction.
pub async fn generate(
    store: &Store,
    request: &GenerateRequest,
    mut progress: impl FnMut(u64),
) -> Result<Generated> {
    let name = OrgName::parse(&request.name)
        .map_err(|e| ServiceError::from(ValidationErrors::single(e.field, e.message)))?;
    if request.users == 0 {
        return Err(ValidationErrors::single("users", "must be at least 1").into());
    }
    let now = DbTime::now();
    let mut rng = StdRng::seed_from_u64(request.seed);
    let password = passwords::generate();
    let hash = passwords::hash(password.clone()).await?;

    let mut tx = store.begin().await?;
    people::prepare_bulk_load(&mut tx).await?;
    let skeleton = organizations::create_skeleton(&mut tx, &name, now).await?;
    let ids = write::frame(&mut tx, &skeleton, now).await?;
    let tree = tree(&mut tx, &ids, skeleton.kinds, request.users, now).await?;

    let mut roster = Roster {
        ids: &ids,
        rng: &mut rng,
        hash: &hash,
        now,
        today: now.get().date_naive(),
        drawn: 0,
        written: 0,
        placements: 0,
        by_status: [0; 6],
    };
    let jobs = admin_jobs(&ids, &tree);
    let admins = jobs
        .len()
        .min(usize::try_from(request.users).unwrap_or(usize::MAX));
    let admin_ids = roster.write(&mut tx, &jobs[..admins], &tree).await?;
    // At least one user was asked for, and the organization administrator comes first.
    let admin = *admin_ids
        .first()
        .ok_or_else(|| ValidationErrors::single("users", "must be at least 1"))?;
    let admin_token = tokens::create_in(&mut tx, ids.org, admin, "muster dev seed", now).await?;
    let division_admin = match (
        jobs.iter()
            .position(|j| j.role == DemoRole::DivisionAdministrator),
        tree.divisions.first(),
    ) {
        (Some(i), Some(division)) if i < admins => {
            let token =
                tokens::create_in(&mut tx, ids.org, admin_ids[i], "muster dev seed", now).await?;
            Some((
                jobs[i].login.clone().unwrap_or_default(),
                token.secret,
                *division,
            ))
        }
        _ => None,
    };

    let staff = request.users - roster.written;
    let locations = tree.locations.len() as u64;
    let mut next = 0;
    while next < staff {
        let end = (next + USERS_PER_TRANSACTION).min(staff);
        let mut batch = Vec::with_capacity(BULK_ROWS);
        for k in next..end {
            batch.push(staff_job(&tree, k % locations, k / locations));
            if batch.len() == BULK_ROWS {
                roster.write(&mut tx, &batch, &tree).await?;
                batch.clear();
            }
        }
        roster.write(&mut tx, &batch, &tree).await?;
        tx.commit().await?;
        progress(roster.written);
        tx = store.begin().await?;
        next = end;
    }

    record_creation(&mut tx, ids.org, &name, &skeleton.slug, roster.written, now).await?;
    people::analyze(&mut tx).await?;
    tx.commit().await?;
    progress(roster.written);

    Ok(Generated {
        org_id: ids.org,
        org_slug: skeleton.slug,
        users_by_status: by_status(roster.by_status),
        placements: roster.placements,
        nodes: [
            tree.regions.len() as u64,
            tree.divisions.len() as u64,
            tree.areas.len() as u64,
            tree.locations.len() as u64,
        ],
        admin_login: "admin".to_owned(),
        admin_password: password,
        admin_token: admin_token.secret,
        division_admin,
    })
}

/// Audits the organization's creation, with how many users it was generated with.
async fn record_creation(
    tx: &mut Tx,
    org: OrgId,
    name: &OrgName,
    slug: &str,
    users: u64,
    now: DbTime,
) -> Result<()> {
    let ctx = Ctx {
        now,
        ..Ctx::system(org)
    };
    audit::record(
        tx,
        &ctx,
        "organization.create",
        Target::object("organization", org),
        &Changes::default()
            .with("name", Value::Null, name.as_str())
            .with("slug", Value::Null, slug)
            .with("generated_users", Value::Null, users),
    )
    .await?;
    Ok(())
}

/// The counts by status (in the order of [`status_index`]), without the empty ones.
fn by_status(counts: [u64; 6]) -> Vec<(UserStatus, u64)> {
    [
        UserStatus::Active,
        UserStatus::Inactive,
        UserStatus::Banned,
        UserStatus::Retired,
        UserStatus::Separated,
        UserStatus::Deleted,
    ]
    .into_iter()
    .zip(counts)
    .filter(|(_, n)| *n > 0)
    .collect()
}

/// Writes the tree: enough locations for about [`USERS_PER_LOCATION`] users each, grouped
/// into areas (a node kind of their own, added here), divisions and regions.
async fn tree(
    tx: &mut Tx,
    ids: &Ids,
    kinds: [NodeKindId; 4],
    users: u64,
    now: DbTime,
) -> Result<Tree> {
    let area_kind = NodeKindId::new();
    structure::insert_node_kind(
        tx,
        &NewNodeKind {
            id: area_kind,
            org: ids.org,
            name: "Area",
            position: 4,
            is_root: false,
            now,
        },
    )
    .await?;
    let locations = users.div_ceil(USERS_PER_LOCATION).max(1);
    let areas = locations.div_ceil(LOCATIONS_PER_AREA);
    let divisions = areas.div_ceil(AREAS_PER_DIVISION);
    let regions = divisions.div_ceil(DIVISIONS_PER_REGION);
    let mut tree = Tree {
        regions: Vec::new(),
        divisions: Vec::new(),
        areas: Vec::new(),
        locations: Vec::new(),
    };
    for r in 0..regions {
        let base = REGION_NAMES[usize::try_from(r).unwrap_or(0) % REGION_NAMES.len()];
        let round = r / REGION_NAMES.len() as u64;
        let name = if round == 0 {
            format!("{base} Region")
        } else {
            format!("{base} Region {}", round + 1)
        };
        let id = write::add_node(tx, ids.org, ids.root, kinds[1], &name, None, now).await?;
        tree.regions.push(id);
    }
    for d in 0..divisions {
        let parent = tree.regions[index(d / DIVISIONS_PER_REGION)];
        let name = format!("{} Division", place(d, 0));
        let id = write::add_node(tx, ids.org, parent, kinds[2], &name, None, now).await?;
        tree.divisions.push(id);
    }
    for a in 0..areas {
        let parent = tree.divisions[index(a / AREAS_PER_DIVISION)];
        let name = format!("{} Area", place(a, 37));
        let id = write::add_node(tx, ids.org, parent, area_kind, &name, None, now).await?;
        tree.areas.push(id);
    }
    for l in 0..locations {
        let parent = tree.areas[index(l / LOCATIONS_PER_AREA)];
        let name = format!("{} Station", place(l, 71));
        let id = write::add_node(tx, ids.org, parent, kinds[3], &name, None, now).await?;
        tree.locations.push(id);
    }
    Ok(tree)
}

fn index(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// A place name, unique per `n`: a family name, numbered after the first round.
fn place(n: u64, offset: u64) -> String {
    let count = LAST_NAMES.len() as u64;
    let base = LAST_NAMES[index((n + offset) % count)];
    match n / count {
        0 => base.to_owned(),
        round => format!("{base} {}", round + 1),
    }
}

/// The administrators: the organization's, one per region, two per division.
fn admin_jobs(ids: &Ids, tree: &Tree) -> Vec<Job> {
    let mut jobs = vec![Job {
        login: Some("admin".to_owned()),
        node: ids.root,
        role: DemoRole::Administrator,
        group: None,
        admin: true,
    }];
    for (r, region) in tree.regions.iter().enumerate() {
        jobs.push(Job {
            login: Some(format!("region{}.admin", r + 1)),
            node: *region,
            role: DemoRole::RegionalAdministrator,
            group: None,
            admin: true,
        });
    }
    for (d, division) in tree.divisions.iter().enumerate() {
        for n in 1..=2 {
            jobs.push(Job {
                login: Some(format!("division{}.admin{n}", d + 1)),
                node: *division,
                role: DemoRole::DivisionAdministrator,
                group: None,
                admin: true,
            });
        }
    }
    jobs
}

/// The `nth` person of location `location`: a lieutenant, two sergeants and a clerk, then
/// officers.
fn staff_job(tree: &Tree, location: u64, nth: u64) -> Job {
    let (role, group) = match nth {
        0 => (DemoRole::Supervisor, Group::Lieutenants),
        1 | 2 => (DemoRole::Supervisor, Group::Sergeants),
        3 => (DemoRole::Clerk, Group::Clerks),
        _ => (DemoRole::Officer, Group::Officers),
    };
    let group = Some(group);
    Job {
        login: None,
        node: tree.locations[index(location)],
        role,
        group,
        admin: false,
    }
}

/// Draws and writes people.
struct Roster<'a> {
    ids: &'a Ids,
    rng: &'a mut StdRng,
    hash: &'a str,
    now: DbTime,
    today: NaiveDate,
    drawn: u64,
    written: u64,
    placements: u64,
    by_status: [u64; 6],
}

/// The owned parts of one drawn person.
struct Drawn {
    id: UserId,
    login: Login,
    first_name: &'static str,
    last_name: &'static str,
    gender: &'static str,
    email: String,
    employee_number: String,
    phones: Vec<Phone>,
    status: UserStatus,
    hire_date: NaiveDate,
    date_of_birth: NaiveDate,
    created_at: DbTime,
    last_login_at: Option<DbTime>,
}

impl Roster<'_> {
    /// Writes one person per job (at most [`BULK_ROWS`]); returns their ids.
    async fn write(&mut self, tx: &mut Tx, jobs: &[Job], tree: &Tree) -> Result<Vec<UserId>> {
        let mut ids = Vec::with_capacity(jobs.len());
        for chunk in jobs.chunks(BULK_ROWS) {
            let drawn = chunk
                .iter()
                .map(|job| self.draw(job))
                .collect::<Result<Vec<Drawn>>>()?;
            let users: Vec<(NewUser<'_>, Option<DbTime>)> = chunk
                .iter()
                .zip(&drawn)
                .map(|(job, d)| self.new_user(job, d))
                .collect();
            people::insert_users_bulk(tx, &users).await?;
            let mut placements = Vec::with_capacity(chunk.len() + chunk.len() / 10);
            for (job, d) in chunk.iter().zip(&drawn) {
                placements.push(NewPlacement {
                    org: self.ids.org,
                    user: d.id,
                    node: job.node,
                    role: self.ids.roles.get(job.role),
                    is_default: true,
                    starts_on: None,
                    ends_on: None,
                    now: d.created_at,
                });
                // One officer in twenty also serves at a second location.
                if job.role == DemoRole::Officer
                    && tree.locations.len() > 1
                    && self.rng.random_ratio(1, 20)
                {
                    let other = *tree.locations.choose(self.rng).unwrap_or(&job.node);
                    if other != job.node {
                        placements.push(NewPlacement {
                            org: self.ids.org,
                            user: d.id,
                            node: other,
                            role: self.ids.roles.get(DemoRole::Officer),
                            is_default: false,
                            starts_on: Some(self.today - Days::new(30)),
                            ends_on: Some(self.today + Days::new(60)),
                            now: d.created_at,
                        });
                    }
                }
            }
            people::insert_placements(tx, &placements).await?;
            self.placements += placements.len() as u64;
            for d in &drawn {
                self.by_status[status_index(d.status)] += 1;
                ids.push(d.id);
            }
            self.written += drawn.len() as u64;
        }
        Ok(ids)
    }

    fn new_user<'d>(&'d self, job: &Job, d: &'d Drawn) -> (NewUser<'d>, Option<DbTime>) {
        let user = NewUser {
            id: d.id,
            org: self.ids.org,
            login: &d.login,
            first_name: d.first_name,
            last_name: d.last_name,
            employee_number: Some(&d.employee_number),
            badge_number: None,
            email: Some(&d.email),
            phones: &d.phones,
            title: None,
            rank: None,
            unit: None,
            hire_date: Some(d.hire_date),
            date_of_birth: Some(d.date_of_birth),
            gender: Some(d.gender),
            login_kind: LoginKind::Password,
            status: d.status,
            password_hash: job.admin.then_some(self.hash),
            must_change_password: false,
            is_org_admin: job.role == DemoRole::Administrator,
            command_group: job.group.map(|g| self.ids.groups[g as usize]),
            directory_access: DirectoryAccess::Everyone,
            now: d.created_at,
        };
        (user, d.last_login_at)
    }

    /// Draws the organization's next person, for `job`.
    fn draw(&mut self, job: &Job) -> Result<Drawn> {
        self.drawn += 1;
        let n = self.drawn;
        let female = self.rng.random_ratio(2, 5);
        let (first_names, gender) = if female {
            (FEMALE_FIRST_NAMES, "female")
        } else {
            (MALE_FIRST_NAMES, "male")
        };
        let first_name = first_names.choose(self.rng).copied().unwrap_or("Alex");
        let last_name = LAST_NAMES.choose(self.rng).copied().unwrap_or("Smith");
        let login = job
            .login
            .clone()
            .unwrap_or_else(|| format!("{}.{}.{n}", ascii(first_name), ascii(last_name)));
        let login = Login::parse(&login)
            .map_err(|e| ServiceError::from(ValidationErrors::single(e.field, e.message)))?;
        let status = if job.admin {
            UserStatus::Active
        } else {
            match self.rng.random_range(0..100) {
                0..4 => UserStatus::Inactive,
                4..6 => UserStatus::Banned,
                6..8 => UserStatus::Retired,
                8..9 => UserStatus::Separated,
                _ => UserStatus::Active,
            }
        };
        let age = self.rng.random_range(21..64_u64);
        let date_of_birth = self.today - Days::new(age * 365 + self.rng.random_range(0..365));
        let service = self.rng.random_range(0..(age - 20).min(35));
        let hire_date = self.today - Days::new(service * 365 + self.rng.random_range(0..365));
        // Created at some moment of the last ten years: the list's creation order and the
        // total's estimate see users spread over time, as a real organization's are.
        let created_at = DbTime::new(
            self.now.get() - Duration::seconds(self.rng.random_range(0..10 * 365 * 24 * 3600)),
        );
        let last_login_at = (status == UserStatus::Active && self.rng.random_ratio(7, 10))
            .then(|| {
                DbTime::new(
                    self.now.get() - Duration::seconds(self.rng.random_range(0..90 * 24 * 3600)),
                )
            })
            .filter(|at| *at > created_at);
        let phones = vec![Phone {
            kind: "work".to_owned(),
            number: format!(
                "(555) 01{}-{:04}",
                self.rng.random_range(0..10),
                self.rng.random_range(0..10_000)
            ),
            carrier: None,
            private: false,
        }];
        Ok(Drawn {
            id: UserId::new(),
            email: format!("{}@example.org", login.normalized()),
            login,
            first_name,
            last_name,
            gender,
            employee_number: format!("E{n:07}"),
            phones,
            status,
            hire_date,
            date_of_birth,
            created_at,
            last_login_at,
        })
    }
}

/// A name's ASCII letters and digits in lower case ("O'Neil" becomes "oneil"), for
/// logins and email addresses.
fn ascii(name: &str) -> String {
    let out: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if out.is_empty() { "x".to_owned() } else { out }
}

fn status_index(status: UserStatus) -> usize {
    match status {
        UserStatus::Active => 0,
        UserStatus::Inactive => 1,
        UserStatus::Banned => 2,
        UserStatus::Retired => 3,
        UserStatus::Separated => 4,
        UserStatus::Deleted => 5,
    }
}
