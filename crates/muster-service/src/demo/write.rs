//! Writing the demo organization's structure and roster inside one transaction.

use std::collections::{BTreeMap, HashMap};

use muster_domain::org::Address;
use muster_domain::user::{DirectoryAccess, Login};
use muster_domain::{
    CommandGroupId, NodeId, NodeKindId, OrgId, ReferenceItemId, RoleId, UserId, ValidationErrors,
};
use muster_store::people::{self, NewPlacement, NewUser};
use muster_store::structure::{self, NewNode, NewRole};
use muster_store::{DbTime, Tx};

use super::data::{
    DIVISIONS, DemoRole, GROUPS, GroupSpec, LOCATIONS, Level, Location, REGIONS, ROLES, STATE,
    reference_lists,
};
use super::roster::{Node, Person};
use crate::organizations::Skeleton;
use crate::{Result, ServiceError};

/// The ids of everything the roster refers to.
pub(super) struct Ids {
    pub(super) org: OrgId,
    pub(super) root: NodeId,
    regions: Vec<NodeId>,
    divisions: Vec<NodeId>,
    locations: Vec<NodeId>,
    pub(super) roles: RoleIds,
    pub(super) groups: [CommandGroupId; GROUPS.len()],
    items: HashMap<(&'static str, &'static str), ReferenceItemId>,
}

impl Ids {
    /// Where users provisioned through SCIM land: the organization, as employees.
    pub(super) fn scim_provisioning(&self) -> muster_domain::settings::ScimProvisioning {
        muster_domain::settings::ScimProvisioning {
            node_id: self.root,
            role_id: self.roles.employee,
        }
    }

    fn node(&self, node: Node) -> NodeId {
        match node {
            Node::Root => self.root,
            Node::Region(i) => self.regions[i],
            Node::Division(i) => self.divisions[i],
            Node::Location(i) => self.locations[i],
        }
    }

    pub(super) fn item(
        &self,
        list: &'static str,
        name: Option<&'static str>,
    ) -> Option<ReferenceItemId> {
        name.and_then(|name| self.items.get(&(list, name)).copied())
    }
}

/// One id per role, drawn before the roles are written.
pub(super) struct RoleIds {
    administrator: RoleId,
    employee: RoleId,
    regional_administrator: RoleId,
    division_administrator: RoleId,
    supervisor: RoleId,
    officer: RoleId,
    clerk: RoleId,
}

impl RoleIds {
    pub(super) fn get(&self, role: DemoRole) -> RoleId {
        match role {
            DemoRole::Administrator => self.administrator,
            DemoRole::Employee => self.employee,
            DemoRole::RegionalAdministrator => self.regional_administrator,
            DemoRole::DivisionAdministrator => self.division_administrator,
            DemoRole::Supervisor => self.supervisor,
            DemoRole::Officer => self.officer,
            DemoRole::Clerk => self.clerk,
        }
    }
}

/// Writes the tree, the roles, the reference lists and the command hierarchy.
pub(super) async fn structure(tx: &mut Tx, skeleton: &Skeleton, now: DbTime) -> Result<Ids> {
    let mut ids = frame(tx, skeleton, now).await?;
    tree(tx, &mut ids, skeleton.kinds, now).await?;
    Ok(ids)
}

/// Writes the roles, the reference lists and the command hierarchy, but no tree below the
/// root.
pub(super) async fn frame(tx: &mut Tx, skeleton: &Skeleton, now: DbTime) -> Result<Ids> {
    let mut ids = Ids {
        org: skeleton.org,
        root: skeleton.root,
        regions: Vec::new(),
        divisions: Vec::new(),
        locations: Vec::new(),
        roles: RoleIds {
            administrator: skeleton.admin_role,
            employee: skeleton.employee_role,
            regional_administrator: RoleId::new(),
            division_administrator: RoleId::new(),
            supervisor: RoleId::new(),
            officer: RoleId::new(),
            clerk: RoleId::new(),
        },
        groups: GROUPS.map(|_| CommandGroupId::new()),
        items: HashMap::new(),
    };
    roles(tx, &ids, skeleton.kinds, now).await?;
    ids.items = lists(tx, ids.org, now).await?;
    hierarchy(tx, &ids, now).await?;
    Ok(ids)
}

async fn tree(tx: &mut Tx, ids: &mut Ids, kinds: [NodeKindId; 4], now: DbTime) -> Result<()> {
    for name in REGIONS {
        let kind = kinds[Level::Region as usize];
        let id = add_node(tx, ids.org, ids.root, kind, name, None, now).await?;
        ids.regions.push(id);
    }
    for division in &DIVISIONS {
        let parent = ids.regions[division.region];
        let kind = kinds[Level::Division as usize];
        let id = add_node(tx, ids.org, parent, kind, division.name, None, now).await?;
        ids.divisions.push(id);
    }
    for location in &LOCATIONS {
        let parent = ids.divisions[location.division];
        let kind = kinds[Level::Location as usize];
        let address = address(location);
        let id = add_node(
            tx,
            ids.org,
            parent,
            kind,
            location.name,
            Some(&address),
            now,
        )
        .await?;
        ids.locations.push(id);
    }
    Ok(())
}

/// Adds a node below `parent`.
pub(super) async fn add_node(
    tx: &mut Tx,
    org: OrgId,
    parent: NodeId,
    kind: NodeKindId,
    name: &str,
    address: Option<&Address>,
    now: DbTime,
) -> Result<NodeId> {
    let id = NodeId::new();
    structure::insert_node(
        tx,
        &NewNode {
            id,
            org,
            parent: Some(parent),
            kind,
            name,
            address,
            now,
        },
    )
    .await?;
    Ok(id)
}

fn address(location: &Location) -> Address {
    Address {
        street: Some(location.street.to_owned()),
        street2: None,
        city: Some(location.city.to_owned()),
        region: Some(STATE.to_owned()),
        postal_code: Some(location.postal_code.to_owned()),
        country: Some("US".to_owned()),
    }
}

async fn roles(tx: &mut Tx, ids: &Ids, kinds: [NodeKindId; 4], now: DbTime) -> Result<()> {
    for spec in &ROLES {
        let capabilities: Vec<&str> = spec.capabilities.iter().map(|c| c.as_str()).collect();
        let assignable_at: Vec<NodeKindId> = spec
            .assignable_at
            .iter()
            .map(|level| kinds[*level as usize])
            .collect();
        structure::insert_role(
            tx,
            &NewRole {
                id: ids.roles.get(spec.role),
                org: ids.org,
                name: spec.name,
                preset: spec.preset,
                capabilities: &capabilities,
                assignable_at: &assignable_at,
                now,
            },
        )
        .await?;
    }
    Ok(())
}

async fn lists(
    tx: &mut Tx,
    org: OrgId,
    now: DbTime,
) -> Result<HashMap<(&'static str, &'static str), ReferenceItemId>> {
    let mut items = HashMap::new();
    for (list, names) in reference_lists() {
        for (position, name) in (0_i64..).zip(names) {
            let id = ReferenceItemId::new();
            structure::insert_reference_item(tx, org, id, list, name, position, now).await?;
            items.insert((list, name), id);
        }
    }
    Ok(items)
}

async fn hierarchy(tx: &mut Tx, ids: &Ids, now: DbTime) -> Result<()> {
    for spec in &GROUPS {
        let id = ids.groups[spec.group as usize];
        let parent = spec.parent.map(|p| ids.groups[p as usize]);
        structure::insert_command_group(tx, ids.org, id, parent, spec.name, now).await?;
        for ((section, scope), access) in privileges(spec) {
            structure::insert_privilege(tx, id, section, scope, access).await?;
        }
    }
    Ok(())
}

/// A group's privileges, one per section and scope: where grants overlap, `edit` wins.
pub(super) fn privileges(spec: &GroupSpec) -> BTreeMap<(&'static str, &'static str), &'static str> {
    let mut privileges = BTreeMap::new();
    for grant in spec.grants {
        for section in grant.sections {
            for scope in grant.scopes {
                let access = privileges.entry((*section, *scope)).or_insert(grant.access);
                if grant.access == "edit" {
                    *access = "edit";
                }
            }
        }
    }
    privileges
}

/// Writes one person and their placements.
pub(super) async fn person(
    tx: &mut Tx,
    ids: &Ids,
    person: &Person,
    password_hash: Option<&str>,
    now: DbTime,
) -> Result<UserId> {
    let login = Login::parse(&person.login)
        .map_err(|e| ServiceError::from(ValidationErrors::single(e.field, e.message)))?;
    let id = UserId::new();
    people::insert_user(
        tx,
        &NewUser {
            id,
            org: ids.org,
            login: &login,
            first_name: person.first_name,
            last_name: person.last_name,
            employee_number: Some(&person.employee_number),
            badge_number: person.badge_number.as_deref(),
            email: Some(&person.email),
            phones: &person.phones,
            title: ids.item("titles", Some(person.title)),
            rank: ids.item("ranks", Some(person.rank)),
            unit: ids.item("units", person.unit),
            hire_date: Some(person.hire_date),
            date_of_birth: Some(person.date_of_birth),
            gender: Some(person.gender),
            login_kind: person.login_kind,
            status: person.status,
            password_hash,
            must_change_password: false,
            is_org_admin: person.is_org_admin,
            command_group: person.group.map(|g| ids.groups[g as usize]),
            directory_access: DirectoryAccess::Everyone,
            now,
        },
    )
    .await?;
    for placement in &person.placements {
        people::insert_placement(
            tx,
            &NewPlacement {
                org: ids.org,
                user: id,
                node: ids.node(placement.node),
                role: ids.roles.get(placement.role),
                is_default: placement.is_default,
                starts_on: placement.starts_on,
                ends_on: placement.ends_on,
                now,
            },
        )
        .await?;
    }
    Ok(id)
}
