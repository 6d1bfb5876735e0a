//! Creating organizations: the tenant, its root node, default node kinds and roles, and its
//! first administrator.

use muster_domain::access::Capability;
use muster_domain::org::{Address, DEFAULT_NODE_KINDS, OrgName, ROOT_NODE_KIND};
use muster_domain::user::{DirectoryAccess, Login, LoginKind, UserStatus};
use muster_domain::{NodeId, NodeKindId, OrgId, RoleId, UserId, ValidationErrors};
use muster_store::people::{self, NewPlacement, NewUser};
use muster_store::structure::{self, NewNode, NewNodeKind, NewRole};
use muster_store::{DbTime, Store, Tx, orgs};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use serde_json::Value;

use crate::audit::{self, Changes, Target};
use crate::{Ctx, Result, ServiceError, passwords, tokens};

/// Shortest password accepted until organizations set their own policy.
pub const MIN_PASSWORD_LENGTH: usize = 10;

/// Name of the role every new organization gets with all administrative capabilities.
pub const ADMIN_ROLE: &str = "Administrator";
/// Name of the role every new organization gets with no administrative capability.
pub const EMPLOYEE_ROLE: &str = "Employee";

/// What `muster init` asks for.
#[derive(Debug)]
pub struct NewOrganization {
    /// The organization's name.
    pub name: String,
    /// Login of its first administrator.
    pub admin_login: String,
    /// The administrator's password; `None` generates one that must be changed at first
    /// sign-in.
    pub admin_password: Option<SecretString>,
}

/// What was created, with the one-time secrets.
#[derive(Debug, Serialize)]
pub struct CreatedOrganization {
    /// The organization.
    pub org_id: OrgId,
    /// Its name.
    pub org_name: String,
    /// Its sign-in handle.
    pub org_slug: String,
    /// Its root node.
    pub root_node_id: NodeId,
    /// The administrator.
    pub admin_user_id: UserId,
    /// The administrator's login.
    pub admin_login: String,
    /// The generated password, when none was given; shown once, never stored in clear.
    #[serde(serialize_with = "expose_optional_secret")]
    pub admin_password: Option<SecretString>,
    /// Whether the administrator must change the password at first sign-in.
    pub must_change_password: bool,
    /// An API token acting as the administrator; shown once, stored only as a hash.
    #[serde(serialize_with = "expose_secret")]
    pub api_token: SecretString,
}

fn expose_secret<S: serde::Serializer>(
    secret: &SecretString,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose_secret())
}

#[allow(clippy::ref_option)] // serde's `serialize_with` passes `&Option<T>`.
fn expose_optional_secret<S: serde::Serializer>(
    secret: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(s) => serializer.serialize_some(s.expose_secret()),
        None => serializer.serialize_none(),
    }
}

/// The pieces every organization is made of, as created by [`create_skeleton`].
#[derive(Debug, Clone)]
pub(crate) struct Skeleton {
    pub org: OrgId,
    pub slug: String,
    pub root: NodeId,
    /// Node kinds from the root's down: Organization, Region, Division, Location.
    pub kinds: [NodeKindId; 4],
    pub admin_role: RoleId,
    pub employee_role: RoleId,
}

/// Creates an organization and its first administrator, all or nothing.
pub async fn create(store: &Store, request: NewOrganization) -> Result<CreatedOrganization> {
    let (name, login) = validate(&request)?;
    let generated = request.admin_password.is_none().then(passwords::generate);
    let password = request
        .admin_password
        .or_else(|| generated.clone())
        .unwrap_or_else(passwords::generate);
    let password_hash = passwords::hash(password).await?;
    let must_change_password = generated.is_some();

    let now = DbTime::now();
    let mut tx = store.begin().await?;
    let skeleton = create_skeleton(&mut tx, &name, now).await?;
    let admin = UserId::new();
    people::insert_user(
        &mut tx,
        &NewUser {
            id: admin,
            org: skeleton.org,
            login: &login,
            first_name: "Organization",
            last_name: "Administrator",
            employee_number: None,
            badge_number: None,
            email: login.as_str().contains('@').then_some(login.as_str()),
            phones: &[],
            title: None,
            rank: None,
            unit: None,
            hire_date: None,
            date_of_birth: None,
            gender: None,
            login_kind: LoginKind::Password,
            status: UserStatus::Active,
            password_hash: Some(&password_hash),
            must_change_password,
            is_org_admin: true,
            command_group: None,
            directory_access: DirectoryAccess::Everyone,
            now,
        },
    )
    .await?;
    people::insert_placement(
        &mut tx,
        &NewPlacement {
            org: skeleton.org,
            user: admin,
            node: skeleton.root,
            role: skeleton.admin_role,
            is_default: true,
            starts_on: None,
            ends_on: None,
            now,
        },
    )
    .await?;
    let token =
        tokens::create_in(&mut tx, skeleton.org, admin, "created by muster init", now).await?;
    let ctx = Ctx {
        now,
        ..Ctx::system(skeleton.org)
    };
    audit_creation(
        &mut tx,
        &ctx,
        &skeleton,
        &name,
        &login,
        admin,
        must_change_password,
        &token,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(org_id = %skeleton.org, slug = %skeleton.slug, "organization created");

    Ok(CreatedOrganization {
        org_id: skeleton.org,
        org_name: name.as_str().to_owned(),
        org_slug: skeleton.slug,
        root_node_id: skeleton.root,
        admin_user_id: admin,
        admin_login: login.as_str().to_owned(),
        admin_password: generated,
        must_change_password,
        api_token: token.secret,
    })
}

/// Inserts the organization, its root node, the default node kinds and the two default
/// roles. Refuses a name whose slug is already taken.
pub(crate) async fn create_skeleton(tx: &mut Tx, name: &OrgName, now: DbTime) -> Result<Skeleton> {
    let slug = name.slug();
    if orgs::find_by_slug_tx(tx, &slug).await?.is_some() {
        return Err(ServiceError::conflict(
            "org_name",
            format!("an organization named {:?} already exists", name.as_str()),
        ));
    }
    let org = OrgId::new();
    orgs::insert(
        tx,
        &orgs::NewOrg {
            id: org,
            name: name.as_str(),
            slug: &slug,
            address: &Address::default(),
            now,
        },
    )
    .await?;

    let kinds = [
        NodeKindId::new(),
        NodeKindId::new(),
        NodeKindId::new(),
        NodeKindId::new(),
    ];
    let kind_names = std::iter::once(ROOT_NODE_KIND).chain(DEFAULT_NODE_KINDS);
    for (position, (id, kind_name)) in kinds.iter().zip(kind_names).enumerate() {
        structure::insert_node_kind(
            tx,
            &NewNodeKind {
                id: *id,
                org,
                name: kind_name,
                position: i64::try_from(position).unwrap_or(i64::MAX),
                is_root: position == 0,
                now,
            },
        )
        .await?;
    }

    let root = NodeId::new();
    structure::insert_node(
        tx,
        &NewNode {
            id: root,
            org,
            parent: None,
            kind: kinds[0],
            name: name.as_str(),
            address: None,
            now,
        },
    )
    .await?;

    let all_capabilities: Vec<&str> = Capability::ALL.iter().map(|c| c.as_str()).collect();
    let admin_role = RoleId::new();
    structure::insert_role(
        tx,
        &NewRole {
            id: admin_role,
            org,
            name: ADMIN_ROLE,
            preset: "admin",
            capabilities: &all_capabilities,
            assignable_at: &kinds,
            now,
        },
    )
    .await?;
    let employee_role = RoleId::new();
    structure::insert_role(
        tx,
        &NewRole {
            id: employee_role,
            org,
            name: EMPLOYEE_ROLE,
            preset: "custom",
            capabilities: &[],
            assignable_at: &kinds,
            now,
        },
    )
    .await?;

    Ok(Skeleton {
        org,
        slug,
        root,
        kinds,
        admin_role,
        employee_role,
    })
}

/// Records the organization, its administrator and the token in the new audit chain.
#[allow(clippy::too_many_arguments)] // One call site; a struct would only rename them.
async fn audit_creation(
    tx: &mut Tx,
    ctx: &Ctx,
    skeleton: &Skeleton,
    name: &OrgName,
    login: &Login,
    admin: UserId,
    must_change_password: bool,
    token: &tokens::CreatedToken,
) -> Result<()> {
    audit::record(
        tx,
        ctx,
        "organization.create",
        Target::object("organization", skeleton.org),
        &Changes::default()
            .with("name", Value::Null, name.as_str())
            .with("slug", Value::Null, &skeleton.slug),
    )
    .await?;
    audit::record(
        tx,
        ctx,
        "user.create",
        Target::of_user("user", admin, admin),
        &Changes::default()
            .with("login", Value::Null, login.as_str())
            .with("is_org_admin", Value::Null, true)
            .with("must_change_password", Value::Null, must_change_password),
    )
    .await?;
    audit::record(
        tx,
        ctx,
        "token.create",
        Target::of_user("token", token.id, admin),
        &Changes::default().with("name", Value::Null, "created by muster init"),
    )
    .await?;
    Ok(())
}

/// Checks the name, the administrator's login and a given password.
fn validate(request: &NewOrganization) -> Result<(OrgName, Login)> {
    let mut errors = ValidationErrors::new();
    let name = errors.check(OrgName::parse(&request.name));
    let login = errors.check(Login::parse(&request.admin_login).map_err(|mut e| {
        e.field = "admin_login".into();
        e
    }));
    if let (Some(password), Some(login)) = (&request.admin_password, &login) {
        let pw = password.expose_secret();
        if pw.chars().count() < MIN_PASSWORD_LENGTH {
            errors.push(
                "admin_password",
                format!("must be at least {MIN_PASSWORD_LENGTH} characters"),
            );
        } else if pw.eq_ignore_ascii_case(login.as_str()) {
            errors.push("admin_password", "must not be the login");
        }
    }
    errors.into_result()?;
    match (name, login) {
        (Some(name), Some(login)) => Ok((name, login)),
        _ => Err(ValidationErrors::single("org_name", "is invalid").into()),
    }
}
