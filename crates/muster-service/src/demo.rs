//! The demo organization `muster serve --demo` seeds into an empty database: Harbor County
//! Police, a county agency of two regions, six divisions and twenty locations, with its
//! roles, reference lists, command hierarchy and a roster of about 300 people.
//!
//! The roster is drawn from a seeded generator, so every run creates the same people (with
//! fresh ids). Four accounts have well-known passwords ([`DemoSummary::accounts`]).

mod apps;
mod data;
mod files;
mod generated;
mod names;
mod roster;
mod write;

use muster_domain::org::OrgName;
use muster_domain::{OrgId, ValidationErrors};
use muster_store::{DbTime, Store, orgs, people};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::Value;

use crate::audit::{self, Changes, Target};
use crate::{Ctx, Result, ServiceError, organizations, passwords, tokens};

use data::{ORG_NAME, ORG_SLUG};
pub use generated::{GenerateRequest, Generated, USERS_PER_TRANSACTION, generate};
use roster::{ADMIN, DIVISION_ADMIN, OFFICER, Person, REGION_ADMIN};

/// One ready-to-use demo account.
#[derive(Debug, Clone, Serialize)]
pub struct DemoAccount {
    /// Login.
    pub login: String,
    /// Its well-known demo password.
    pub password: String,
    /// Who this is ("Organization administrator", "Division administrator", …).
    pub description: String,
}

/// What the demo organization is and how to sign in to it.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    /// Organization name.
    pub org_name: String,
    /// Sign-in handle.
    pub org_slug: String,
    /// Number of users.
    pub users: i64,
    /// A well-known API token acting as the demo administrator (demo only).
    pub api_token: String,
    /// Accounts to try.
    pub accounts: Vec<DemoAccount>,
}

/// What `seed` did.
#[derive(Debug, Clone)]
pub enum DemoOutcome {
    /// The database was empty; the demo organization was created.
    Seeded(DemoSummary),
    /// The demo organization was already there; nothing changed.
    AlreadySeeded(DemoSummary),
    /// The database holds other organizations; nothing changed.
    NotEmpty,
}

/// Seeds the demo organization into an empty database. Changes nothing when the demo
/// organization is already there, or when the database holds other organizations.
pub async fn seed(store: &Store) -> Result<DemoOutcome> {
    if let Some(org) = orgs::find_by_slug(store, ORG_SLUG).await? {
        let users = people::count_users(store, OrgId::from_uuid(org.id)).await?;
        return Ok(DemoOutcome::AlreadySeeded(summary(users)));
    }
    if orgs::count(store).await? > 0 {
        return Ok(DemoOutcome::NotEmpty);
    }
    let users = create(store).await?;
    Ok(DemoOutcome::Seeded(summary(users)))
}

/// The summary of the demo organization with `users` users.
fn summary(users: i64) -> DemoSummary {
    let account = |login: &str, password: &str, description: String| DemoAccount {
        login: login.to_owned(),
        password: password.to_owned(),
        description,
    };
    DemoSummary {
        org_name: ORG_NAME.to_owned(),
        org_slug: ORG_SLUG.to_owned(),
        users,
        api_token: DEMO_TOKEN.to_owned(),
        accounts: vec![
            account(
                ADMIN.login,
                ADMIN.password,
                "Organization administrator".to_owned(),
            ),
            account(
                REGION_ADMIN.login,
                REGION_ADMIN.password,
                roster::region_admin_description(),
            ),
            account(
                DIVISION_ADMIN.login,
                DIVISION_ADMIN.password,
                roster::division_admin_description(),
            ),
            account(
                OFFICER.login,
                OFFICER.password,
                "Patrol officer (employee self-service)".to_owned(),
            ),
        ],
    }
}

/// A well-known API token of the demo administrator, so that the demo can be browsed
/// through the API at once. Demo only: it is printed at every start.
pub const DEMO_TOKEN: &str = "mst_demo_harbor_county_police_2026";

/// Creates the demo organization in one transaction; returns how many users it has.
async fn create(store: &Store) -> Result<i64> {
    let name = OrgName::parse(ORG_NAME)
        .map_err(|e| ServiceError::from(ValidationErrors::single(e.field, e.message)))?;
    let now = DbTime::now();
    let roster = roster::plan(now.get().date_naive());
    let hashes = hash_demo_passwords(&roster).await?;

    let mut tx = store.begin().await?;
    let skeleton = organizations::create_skeleton(&mut tx, &name, now).await?;
    let ids = write::structure(&mut tx, &skeleton, now).await?;
    provision_through_scim(&mut tx, skeleton.org, ids.scim_provisioning(), now).await?;
    let mut admin = None;
    for (person, hash) in roster.iter().zip(&hashes) {
        let id = write::person(&mut tx, &ids, person, hash.as_deref(), now).await?;
        if person.login == ADMIN.login {
            admin = Some(id);
        }
    }
    if let Some(admin) = admin {
        tokens::create_with_secret(
            &mut tx,
            skeleton.org,
            admin,
            "demo token",
            &SecretString::from(DEMO_TOKEN),
            now,
        )
        .await?;
    }
    let users = i64::try_from(roster.len()).unwrap_or(i64::MAX);
    let ctx = Ctx {
        now,
        ..Ctx::system(skeleton.org)
    };
    audit::record(
        &mut tx,
        &ctx,
        "organization.create",
        Target::object("organization", skeleton.org),
        &Changes::default()
            .with("name", Value::Null, name.as_str())
            .with("slug", Value::Null, &skeleton.slug)
            .with("demo_users", Value::Null, users),
    )
    .await?;
    tx.commit().await?;
    apps::add(store, skeleton.org).await?;
    files::add(store, skeleton.org).await?;
    tracing::info!(org_id = %skeleton.org, slug = %skeleton.slug, users, "demo organization seeded");
    Ok(users)
}

/// The agency's headquarters: the organization's address, which users and locations
/// without their own follow.
fn headquarters() -> muster_domain::org::Address {
    muster_domain::org::Address {
        street: Some("100 Harbor Plaza".to_owned()),
        street2: None,
        city: Some("Harbor City".to_owned()),
        region: Some(data::STATE.to_owned()),
        postal_code: Some("98520".to_owned()),
        country: Some("US".to_owned()),
    }
}

/// Lets identity providers create users through SCIM, and sets the headquarters'
/// address (the organization's settings).
async fn provision_through_scim(
    tx: &mut muster_store::Tx,
    org: muster_domain::OrgId,
    provisioning: muster_domain::settings::ScimProvisioning,
    now: DbTime,
) -> Result<()> {
    let row = muster_store::settings::get_tx(tx, org)
        .await?
        .ok_or(ServiceError::NotFound("organization"))?;
    let mut settings = row.settings.0.as_object().cloned().unwrap_or_default();
    settings.insert(
        "scim_provisioning".to_owned(),
        serde_json::to_value(provisioning).unwrap_or(Value::Null),
    );
    muster_store::settings::update(
        tx,
        org,
        row.version,
        &Value::Object(settings),
        &headquarters(),
        now,
    )
    .await?;
    Ok(())
}

/// The password hash of each person of the roster: only demo accounts have one.
async fn hash_demo_passwords(roster: &[Person]) -> Result<Vec<Option<String>>> {
    let mut hashes = Vec::with_capacity(roster.len());
    for person in roster {
        hashes.push(match person.password {
            Some(password) => Some(passwords::hash(SecretString::from(password)).await?),
            None => None,
        });
    }
    Ok(hashes)
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use muster_domain::user::{LoginKind, UserStatus};

    use super::data::{
        ALL_SECTIONS, EDITABLE_SECTIONS, GROUPS, LOCATIONS, RANKS, TITLES, UNITS, reference_lists,
    };
    use super::roster::Node;
    use super::*;
    use crate::organizations::NewOrganization;

    async fn fresh_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        (dir, store)
    }

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
    }

    #[tokio::test]
    async fn seeding_an_empty_database_creates_the_demo_organization() {
        let (_dir, store) = fresh_store().await;
        let DemoOutcome::Seeded(summary) = seed(&store).await.unwrap() else {
            panic!("expected Seeded");
        };
        assert_eq!(summary.org_slug, "harbor-county-police");
        assert!(
            (280..=320).contains(&summary.users),
            "{} users",
            summary.users
        );
        let logins: Vec<&str> = summary.accounts.iter().map(|a| a.login.as_str()).collect();
        assert_eq!(
            logins,
            ["admin", "north.admin", "division.admin", "officer"]
        );
        let org = orgs::find_by_slug(&store, ORG_SLUG).await.unwrap().unwrap();
        let users = people::count_users(&store, OrgId::from_uuid(org.id))
            .await
            .unwrap();
        assert_eq!(users, summary.users);
    }

    #[tokio::test]
    async fn seeding_twice_changes_nothing() {
        let (_dir, store) = fresh_store().await;
        let DemoOutcome::Seeded(first) = seed(&store).await.unwrap() else {
            panic!("expected Seeded");
        };
        let DemoOutcome::AlreadySeeded(second) = seed(&store).await.unwrap() else {
            panic!("expected AlreadySeeded");
        };
        assert_eq!(second.users, first.users);
        assert_eq!(orgs::count(&store).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn seeding_refuses_a_database_with_another_organization() {
        let (_dir, store) = fresh_store().await;
        let created = organizations::create(
            &store,
            NewOrganization {
                name: "Lakeside Fire District".to_owned(),
                admin_login: "chief".to_owned(),
                admin_password: Some(SecretString::from("lakeside-fire-2026")),
            },
        )
        .await
        .unwrap();
        assert!(matches!(seed(&store).await.unwrap(), DemoOutcome::NotEmpty));
        assert_eq!(orgs::count(&store).await.unwrap(), 1);
        let users = people::count_users(&store, created.org_id).await.unwrap();
        assert_eq!(users, 1);
    }

    #[test]
    fn the_demo_slug_is_the_slug_of_the_demo_name() {
        assert_eq!(OrgName::parse(ORG_NAME).unwrap().slug(), ORG_SLUG);
    }

    #[test]
    fn the_roster_is_the_same_on_every_run() {
        assert_eq!(roster::plan(today()), roster::plan(today()));
    }

    #[test]
    fn the_roster_has_the_planned_ranks_and_one_default_placement_each() {
        let roster = roster::plan(today());
        let mut ranks: HashMap<&str, usize> = HashMap::new();
        for person in &roster {
            *ranks.entry(person.rank).or_default() += 1;
            let defaults = person.placements.iter().filter(|p| p.is_default).count();
            assert_eq!(defaults, 1, "{}", person.login);
            let nodes: HashSet<Node> = person.placements.iter().map(|p| p.node).collect();
            assert_eq!(nodes.len(), person.placements.len(), "{}", person.login);
        }
        assert_eq!(ranks["Chief of Police"], 1);
        assert_eq!(ranks["Captain"], 6);
        assert_eq!(ranks["Lieutenant"], LOCATIONS.len());
        assert_eq!(ranks["Sergeant"], 50);
        assert_eq!(ranks["Civilian"], 3 + 13);
        let extra = roster.iter().filter(|p| p.placements.len() > 1).count();
        assert!((10..=35).contains(&extra), "{extra} second placements");
    }

    #[test]
    fn the_roster_has_unique_valid_logins_and_employee_numbers() {
        let roster = roster::plan(today());
        let logins: HashSet<&str> = roster.iter().map(|p| p.login.as_str()).collect();
        let numbers: HashSet<&str> = roster.iter().map(|p| p.employee_number.as_str()).collect();
        assert_eq!(logins.len(), roster.len());
        assert_eq!(numbers.len(), roster.len());
        for person in &roster {
            muster_domain::user::Login::parse(&person.login).unwrap();
            assert!(person.hire_date > person.date_of_birth);
        }
    }

    #[test]
    fn the_roster_has_people_in_every_lifecycle_state() {
        let roster = roster::plan(today());
        let count = |f: &dyn Fn(&Person) -> bool| roster.iter().filter(|p| f(p)).count();
        assert_eq!(count(&|p| p.status == UserStatus::Retired), 2);
        assert_eq!(count(&|p| p.status == UserStatus::Banned), 1);
        assert!(count(&|p| p.status == UserStatus::Inactive) >= 3);
        assert_eq!(count(&|p| p.login_kind == LoginKind::Pin), 4);
        assert_eq!(count(&|p| p.login_kind == LoginKind::None), 2);
        assert_eq!(count(&|p| p.password.is_some()), 4);
        assert_eq!(count(&|p| p.is_org_admin), 1);
    }

    #[test]
    fn every_name_the_roster_uses_is_in_its_reference_list() {
        let lists: HashMap<&str, Vec<&str>> = reference_lists().into_iter().collect();
        for person in roster::plan(today()) {
            assert!(RANKS.contains(&person.rank), "{}", person.rank);
            assert!(TITLES.contains(&person.title), "{}", person.title);
            if let Some(unit) = person.unit {
                assert!(lists["units"].contains(&unit), "{unit}");
            }
        }
        for (_, title) in UNITS {
            assert!(TITLES.contains(&title), "{title}");
        }
        for location in &LOCATIONS {
            assert!(TITLES.contains(&location.clerk_title));
        }
    }

    #[test]
    fn privileges_are_all_valid() {
        for group in &GROUPS {
            for ((section, scope), access) in write::privileges(group) {
                assert!(ALL_SECTIONS.contains(&section), "{section}");
                assert!(
                    ["all", "direct", "indirect", "self", "peers"].contains(&scope),
                    "{scope}"
                );
                if access == "edit" {
                    assert_ne!(scope, "peers", "{} {section}", group.name);
                    assert!(EDITABLE_SECTIONS.contains(&section), "{section}");
                }
            }
        }
    }
}
