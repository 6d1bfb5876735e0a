//! SQL of the SCIM 2.0 endpoint: its filters (RFC 7644 §3.4.2.2) run as queries, the
//! attributes identity providers keep that Muster's model has no field for, and group
//! membership.
//!
//! A filter arrives here as a [`Cond`] tree over a closed set of [`Field`]s: every field
//! maps to a fixed SQL expression written in this module, every value is bound, and
//! nothing a client sends is ever pasted into the statement. Multi-valued attributes
//! (emails, phone numbers, members) are small derived tables (`value`, `type`,
//! `is_primary`) tested with `EXISTS`, so `emails.value co "x"` and the value path
//! `emails[type eq "work" and value sw "j"]` are the same kind of query. The few
//! fragments the two databases spell differently (JSON arrays) are chosen per backend.

use std::fmt::Write as _;

use muster_domain::OrgId;
use uuid::Uuid;

use crate::db::{Backend, on_conn};
use crate::users::Scope;
use crate::{DbTime, Result, Store, Tx};

/// What a SCIM resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A user.
    User,
    /// A command group.
    Group,
}

impl Kind {
    const fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
        }
    }
}

/// What an identity provider keeps on a resource beyond Muster's own fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ScimAttributes {
    /// The provider's id of the resource (`externalId`).
    pub external_id: Option<String>,
    /// Enterprise extension `department`.
    pub department: Option<String>,
    /// Enterprise extension `division`.
    pub division: Option<String>,
    /// Enterprise extension `organization`.
    pub organization: Option<String>,
    /// Enterprise extension `costCenter`.
    pub cost_center: Option<String>,
    /// The number of the phone the provider marked primary.
    pub primary_phone: Option<String>,
}

const ATTRIBUTES: &str =
    "SELECT external_id, department, division, organization, cost_center, primary_phone
     FROM scim_attributes
     WHERE org_id = $1 AND resource_type = $2 AND resource_id = $3";

/// The SCIM attributes of a resource (empty when it has none).
pub async fn attributes(store: &Store, org: OrgId, kind: Kind, id: Uuid) -> Result<ScimAttributes> {
    let row: Option<ScimAttributes> = on_conn!(store store, c => sqlx::query_as(ATTRIBUTES)
        .bind(org.as_uuid())
        .bind(kind.as_str())
        .bind(id)
        .fetch_optional(c)
        .await)?;
    Ok(row.unwrap_or_default())
}

/// The SCIM attributes of a resource, read inside `tx`.
pub async fn attributes_tx(
    tx: &mut Tx,
    org: OrgId,
    kind: Kind,
    id: Uuid,
) -> Result<ScimAttributes> {
    let row: Option<ScimAttributes> = on_conn!(tx tx, c => sqlx::query_as(ATTRIBUTES)
        .bind(org.as_uuid())
        .bind(kind.as_str())
        .bind(id)
        .fetch_optional(c)
        .await)?;
    Ok(row.unwrap_or_default())
}

/// Writes the SCIM attributes of a resource (all of them).
pub async fn set_attributes(
    tx: &mut Tx,
    org: OrgId,
    kind: Kind,
    id: Uuid,
    attributes: &ScimAttributes,
) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO scim_attributes (resource_type, resource_id, org_id, external_id,
             department, division, organization, cost_center, primary_phone)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (resource_type, resource_id) DO UPDATE SET
             external_id = excluded.external_id, department = excluded.department,
             division = excluded.division, organization = excluded.organization,
             cost_center = excluded.cost_center, primary_phone = excluded.primary_phone")
        .bind(kind.as_str())
        .bind(id)
        .bind(org.as_uuid())
        .bind(attributes.external_id.as_deref())
        .bind(attributes.department.as_deref())
        .bind(attributes.division.as_deref())
        .bind(attributes.organization.as_deref())
        .bind(attributes.cost_center.as_deref())
        .bind(attributes.primary_phone.as_deref())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A command group's creation and last change times.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupTimes {
    /// Created.
    pub created_at: DbTime,
    /// Last changed.
    pub updated_at: DbTime,
}

/// When the live group `id` was created and last changed.
pub async fn group_times(store: &Store, org: OrgId, id: Uuid) -> Result<Option<GroupTimes>> {
    Ok(on_conn!(store store, c => sqlx::query_as(
        "SELECT created_at, updated_at FROM command_groups
         WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL")
        .bind(org.as_uuid())
        .bind(id)
        .fetch_optional(c)
        .await)?)
}

/// A member of a command group.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    /// The user.
    pub id: Uuid,
    /// Their login.
    pub login: String,
}

const MEMBERS: &str = "SELECT id, login FROM users
     WHERE org_id = $1 AND command_group_id = $2 AND status <> 'deleted' ORDER BY id";

/// The users (not deleted) in group `group`, by id.
pub async fn members(store: &Store, org: OrgId, group: Uuid) -> Result<Vec<Member>> {
    Ok(on_conn!(store store, c => sqlx::query_as(MEMBERS)
        .bind(org.as_uuid())
        .bind(group)
        .fetch_all(c)
        .await)?)
}

/// The users (not deleted) in group `group`, read inside `tx`.
pub async fn members_tx(tx: &mut Tx, org: OrgId, group: Uuid) -> Result<Vec<Member>> {
    Ok(on_conn!(tx tx, c => sqlx::query_as(MEMBERS)
        .bind(org.as_uuid())
        .bind(group)
        .fetch_all(c)
        .await)?)
}

/// Bumps a command group's version and change time (its members changed).
pub async fn touch_group(tx: &mut Tx, org: OrgId, group: Uuid, now: DbTime) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "UPDATE command_groups SET version = version + 1, updated_at = $3
         WHERE org_id = $1 AND id = $2")
        .bind(org.as_uuid())
        .bind(group)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Filters

/// An attribute a filter or a sort may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The user's or group's id.
    Id,
    /// `externalId`.
    ExternalId,
    /// `meta.created`.
    Created,
    /// `meta.lastModified`.
    LastModified,
    /// `meta.version` (the optimistic-concurrency version).
    Version,
    /// User `userName`.
    UserName,
    /// User `name.givenName`.
    GivenName,
    /// User `name.familyName`.
    FamilyName,
    /// User `name.formatted` (given and family name).
    FormattedName,
    /// User `displayName`.
    DisplayName,
    /// User `emails[primary eq true].value`: the primary email (for sorting).
    Email,
    /// User `active`.
    Active,
    /// Enterprise `employeeNumber`.
    EmployeeNumber,
    /// Enterprise `department`.
    Department,
    /// Enterprise `division`.
    Division,
    /// Enterprise `organization`.
    Organization,
    /// Enterprise `costCenter`.
    CostCenter,
    /// Enterprise `manager.value`.
    ManagerId,
    /// Muster extension `badgeNumber`.
    BadgeNumber,
    /// Muster extension `payrollId`.
    PayrollId,
    /// Muster extension `titleDesignation`.
    TitleDesignation,
    /// Muster extension `status`.
    Status,
    /// Muster extension `loginKind`.
    LoginKind,
    /// User `groups.value`: the user's command group.
    GroupId,
    /// Group `displayName`.
    GroupName,
    /// An element of a multi-valued attribute: its `value`.
    ItemValue,
    /// An element of a multi-valued attribute: its `type`.
    ItemType,
    /// An element of a multi-valued attribute: its `primary` flag.
    ItemPrimary,
}

/// How a field's values compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Text compared without regard to case.
    Text,
    /// A UUID: `eq`, `ne` and `pr` only.
    Id,
    /// A boolean: `eq`, `ne` and `pr` only.
    Bool,
    /// A time.
    Time,
    /// A whole number.
    Int,
}

/// A multi-valued attribute, tested element by element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiValued {
    /// User `emails`.
    Emails,
    /// User `phoneNumbers`.
    PhoneNumbers,
    /// Group `members`.
    Members,
}

/// A comparison operator of RFC 7644 §3.4.2.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `eq`.
    Eq,
    /// `ne`.
    Ne,
    /// `co`.
    Co,
    /// `sw`.
    Sw,
    /// `ew`.
    Ew,
    /// `gt`.
    Gt,
    /// `ge`.
    Ge,
    /// `lt`.
    Lt,
    /// `le`.
    Le,
}

/// A value compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string.
    Text(String),
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Int(i64),
    /// A time.
    Time(DbTime),
}

/// A filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// Every one holds.
    All(Vec<Cond>),
    /// At least one holds.
    Any(Vec<Cond>),
    /// It does not hold.
    Not(Box<Cond>),
    /// The field has a (non-empty) value.
    Present(Field),
    /// The field compares so with the value.
    Compare(Field, Op, Value),
    /// Some element of the multi-valued attribute satisfies the condition (over
    /// [`Field::ItemValue`], [`Field::ItemType`], [`Field::ItemPrimary`]).
    Some(MultiValued, Box<Cond>),
}

/// Why a filter cannot run (RFC 7644 §3.12 `invalidFilter`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub String);

/// A query of the SCIM list endpoints.
#[derive(Debug, Clone)]
pub struct Query {
    /// What to select (`None`: everything).
    pub filter: Option<Cond>,
    /// What to sort by, and whether descending (`None`: by creation).
    pub sort: Option<(Field, bool)>,
    /// How many matching rows to skip (`startIndex - 1`).
    pub offset: i64,
    /// How many rows to return.
    pub limit: i64,
}

/// One page of resource ids matching `query`, in its order, and how many match in all.
pub async fn search(
    store: &Store,
    org: OrgId,
    kind: Kind,
    query: &Query,
    scope: Option<&Scope>,
) -> Result<std::result::Result<(Vec<Uuid>, i64), FilterError>> {
    let mut sql = Sql::new(org, store.backend(), kind);
    if let Some(within) = scope.and_then(|s| s.within) {
        sql.push(
            "WITH RECURSIVE reach (id) AS (
                 SELECT id FROM nodes WHERE org_id = $1 AND deleted_at IS NULL AND id = ",
        );
        sql.arg(Arg::Uuid(within));
        sql.push(
            " UNION
                 SELECT n.id FROM nodes n JOIN reach ON n.parent_id = reach.id
                 WHERE n.deleted_at IS NULL) ",
        );
    }
    let prefix = sql.text.clone();
    sql.push(match kind {
        Kind::User => {
            "SELECT u.id FROM users u LEFT JOIN scim_attributes sa
                 ON sa.resource_type = 'User' AND sa.resource_id = u.id
             WHERE u.org_id = $1 AND u.status <> 'deleted'"
        }
        Kind::Group => {
            "SELECT u.id FROM command_groups u LEFT JOIN scim_attributes sa
                 ON sa.resource_type = 'Group' AND sa.resource_id = u.id
             WHERE u.org_id = $1 AND u.deleted_at IS NULL"
        }
    });
    if kind == Kind::User {
        scope_filter(&mut sql, scope);
    }
    if let Some(filter) = &query.filter {
        sql.push(" AND ");
        if let Err(e) = sql.cond(filter) {
            return Ok(Err(e));
        }
    }
    let where_end = sql.text.len();
    let where_args = sql.args.len();
    sql.push(" ORDER BY ");
    match query.sort {
        Some((field, descending)) => {
            let Some((expr, class)) = sql.column(field) else {
                return Ok(Err(FilterError(format!("{field:?} cannot be sorted by"))));
            };
            let expr = if class == Class::Text {
                format!("lower({expr})")
            } else {
                expr
            };
            let dir = if descending { "DESC" } else { "ASC" };
            write!(sql.text, "{expr} {dir} NULLS LAST, ").unwrap_or_default();
        }
        None => sql.push("u.created_at ASC, "),
    }
    sql.push("u.id ASC LIMIT ");
    sql.arg(Arg::Int(query.limit.max(0)));
    sql.push(" OFFSET ");
    sql.arg(Arg::Int(query.offset.max(0)));

    let ids: Vec<Uuid> = on_conn!(store store, c => bind_all!(
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql.text.clone())), &sql.args)
        .fetch_all(c)
        .await)?;
    let count_sql = format!(
        "{prefix}SELECT COUNT(*) FROM ({}) matching",
        &sql.text[prefix.len()..where_end]
    );
    let count_args = &sql.args[..where_args];
    let total: i64 = on_conn!(store store, c => bind_all!(
            sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql.clone())), count_args)
        .fetch_one(c)
        .await)?;
    Ok(Ok((ids, total)))
}

/// The access filter of the user list (the same rule as `users::list`): the caller,
/// placements within the scope's subtree or at its nodes, members of the scope's groups.
fn scope_filter(sql: &mut Sql, scope: Option<&Scope>) {
    let Some(scope) = scope else { return };
    sql.push(" AND (u.id = ");
    sql.arg(Arg::Uuid(scope.own));
    if scope.within.is_some() {
        sql.push(
            " OR EXISTS (SELECT 1 FROM placements rp JOIN reach ON reach.id = rp.node_id
                         WHERE rp.user_id = u.id)",
        );
    }
    for (column, ids) in [
        (
            "EXISTS (SELECT 1 FROM placements np WHERE np.user_id = u.id AND np.node_id IN (",
            &scope.nodes,
        ),
        ("(u.command_group_id IN (", &scope.groups),
    ] {
        if ids.is_empty() {
            continue;
        }
        write!(sql.text, " OR {column}").unwrap_or_default();
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.arg(Arg::Uuid(*id));
        }
        sql.push("))");
    }
    sql.push(")");
}

/// A value bound to the statement.
#[derive(Debug, Clone)]
enum Arg {
    Uuid(Uuid),
    Text(String),
    Time(DbTime),
    Int(i64),
    Bool(bool),
}

/// Binds every [`Arg`] to a query, in order.
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Uuid(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.clone()),
                Arg::Time(v) => query.bind(*v),
                Arg::Int(v) => query.bind(*v),
                Arg::Bool(v) => query.bind(*v),
            };
        }
        query
    }};
}
use bind_all;

/// A statement assembled from this module's fixed fragments; values are only ever bound.
/// `$1` is always the organization.
#[derive(Debug)]
struct Sql {
    text: String,
    args: Vec<Arg>,
    backend: Backend,
    kind: Kind,
    /// Inside `Cond::Some`: the derived table's alias holds the element fields.
    item: Option<MultiValued>,
}

impl Sql {
    fn new(org: OrgId, backend: Backend, kind: Kind) -> Self {
        Self {
            text: String::new(),
            args: vec![Arg::Uuid(org.as_uuid())],
            backend,
            kind,
            item: None,
        }
    }

    fn push(&mut self, fragment: &str) {
        self.text.push_str(fragment);
    }

    fn arg(&mut self, arg: Arg) {
        self.args.push(arg);
        write!(self.text, "${}", self.args.len()).unwrap_or_default();
    }

    /// The SQL expression of `field` and how it compares; `None` when the field does not
    /// belong to this resource (or element).
    fn column(&self, field: Field) -> Option<(String, Class)> {
        use Field as F;
        let user = self.kind == Kind::User;
        let group = self.kind == Kind::Group;
        let (expr, class) = match field {
            F::ItemValue | F::ItemType | F::ItemPrimary if self.item.is_none() => return None,
            F::ItemValue => (
                "it.value",
                if self.item == Some(MultiValued::Members) {
                    Class::Id
                } else {
                    Class::Text
                },
            ),
            F::ItemType => ("it.type", Class::Text),
            F::ItemPrimary => ("it.is_primary", Class::Bool),
            F::Id => ("u.id", Class::Id),
            F::ExternalId => ("sa.external_id", Class::Text),
            F::Created => ("u.created_at", Class::Time),
            F::LastModified => ("u.updated_at", Class::Time),
            F::Version => ("u.version", Class::Int),
            F::UserName if user => ("u.login", Class::Text),
            F::GivenName if user => ("u.first_name", Class::Text),
            F::FamilyName if user => ("u.last_name", Class::Text),
            F::FormattedName if user => ("(u.first_name || ' ' || u.last_name)", Class::Text),
            F::DisplayName if user => ("u.display_name", Class::Text),
            F::Email if user => ("u.email", Class::Text),
            F::Active if user => ("(u.status = 'active')", Class::Bool),
            F::EmployeeNumber if user => ("u.employee_number", Class::Text),
            F::Department if user => ("sa.department", Class::Text),
            F::Division if user => ("sa.division", Class::Text),
            F::Organization if user => ("sa.organization", Class::Text),
            F::CostCenter if user => ("sa.cost_center", Class::Text),
            F::ManagerId if user => ("u.reports_to_id", Class::Id),
            F::BadgeNumber if user => ("u.badge_number", Class::Text),
            F::PayrollId if user => ("u.payroll_id", Class::Text),
            F::TitleDesignation if user => ("u.title_designation", Class::Text),
            F::Status if user => ("u.status", Class::Text),
            F::LoginKind if user => ("u.login_kind", Class::Text),
            F::GroupId if user => ("u.command_group_id", Class::Id),
            F::GroupName if group => ("u.name", Class::Text),
            _ => return None,
        };
        Some((expr.to_owned(), class))
    }

    /// The derived table (`value`, `type`, `is_primary`) of a multi-valued attribute.
    fn items(&self, attribute: MultiValued) -> Option<&'static str> {
        let sqlite = self.backend == Backend::Sqlite;
        match (attribute, self.kind) {
            (MultiValued::Emails, Kind::User) => Some(if sqlite {
                "(SELECT u.email AS value, 'work' AS type, TRUE AS is_primary WHERE u.email IS NOT NULL
                  UNION ALL
                  SELECT je.value AS value, 'work' AS type, FALSE AS is_primary
                  FROM json_each(u.emails) je)"
            } else {
                "(SELECT u.email AS value, 'work' AS type, TRUE AS is_primary WHERE u.email IS NOT NULL
                  UNION ALL
                  SELECT je.value AS value, 'work' AS type, FALSE AS is_primary
                  FROM jsonb_array_elements_text(u.emails) je(value))"
            }),
            (MultiValued::PhoneNumbers, Kind::User) => Some(if sqlite {
                "(SELECT json_extract(jp.value, '$.number') AS value,
                         json_extract(jp.value, '$.kind') AS type,
                         (json_extract(jp.value, '$.number') = sa.primary_phone) AS is_primary
                  FROM json_each(u.phones) jp)"
            } else {
                "(SELECT jp.value ->> 'number' AS value, jp.value ->> 'kind' AS type,
                         (jp.value ->> 'number' = sa.primary_phone) AS is_primary
                  FROM jsonb_array_elements(u.phones) jp(value))"
            }),
            (MultiValued::Members, Kind::Group) => Some(
                "(SELECT m.id AS value, 'User' AS type, FALSE AS is_primary FROM users m
                  WHERE m.command_group_id = u.id AND m.status <> 'deleted')",
            ),
            _ => None,
        }
    }

    fn cond(&mut self, cond: &Cond) -> std::result::Result<(), FilterError> {
        match cond {
            Cond::All(items) | Cond::Any(items) => {
                let joiner = if matches!(cond, Cond::All(_)) {
                    " AND "
                } else {
                    " OR "
                };
                if items.is_empty() {
                    self.push(if joiner == " AND " {
                        "(1 = 1)"
                    } else {
                        "(1 = 0)"
                    });
                    return Ok(());
                }
                self.push("(");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.push(joiner);
                    }
                    self.cond(item)?;
                }
                self.push(")");
            }
            Cond::Not(inner) => {
                // `NOT` of an unknown (NULL) comparison is unknown: a missing value makes
                // neither `x eq 1` nor `not (x eq 1)` true, as RFC 7644 §3.4.2.2 reads.
                self.push("(NOT COALESCE(");
                self.cond(inner)?;
                self.push(", FALSE))");
            }
            Cond::Present(field) => {
                let (expr, class) = self.field(*field)?;
                if class == Class::Text {
                    write!(self.text, "({expr} IS NOT NULL AND {expr} <> '')")
                } else {
                    write!(self.text, "({expr} IS NOT NULL)")
                }
                .unwrap_or_default();
            }
            Cond::Compare(field, op, value) => self.compare(*field, *op, value)?,
            Cond::Some(attribute, inner) => {
                if self.item.is_some() {
                    return Err(FilterError("value paths cannot be nested".to_owned()));
                }
                let table = self.items(*attribute).ok_or_else(|| {
                    FilterError(format!(
                        "{attribute:?} is not an attribute of this resource"
                    ))
                })?;
                write!(self.text, "EXISTS (SELECT 1 FROM {table} it WHERE ").unwrap_or_default();
                self.item = Some(*attribute);
                let result = self.cond(inner);
                self.item = None;
                result?;
                self.push(")");
            }
        }
        Ok(())
    }

    fn field(&self, field: Field) -> std::result::Result<(String, Class), FilterError> {
        self.column(field)
            .ok_or_else(|| FilterError(format!("{field:?} is not an attribute here")))
    }

    fn compare(
        &mut self,
        field: Field,
        op: Op,
        value: &Value,
    ) -> std::result::Result<(), FilterError> {
        let (expr, class) = self.field(field)?;
        let refuse = |what: &str| {
            Err(FilterError(format!(
                "{what} cannot be compared with {op:?} to {value:?}"
            )))
        };
        let sql_op = match op {
            Op::Eq => "=",
            Op::Ne => "<>",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Co | Op::Sw | Op::Ew => "LIKE",
        };
        match (class, value) {
            (Class::Text, Value::Text(text)) => {
                if matches!(op, Op::Co | Op::Sw | Op::Ew) {
                    let escaped = text
                        .to_lowercase()
                        .replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_");
                    let pattern = match op {
                        Op::Co => format!("%{escaped}%"),
                        Op::Sw => format!("{escaped}%"),
                        _ => format!("%{escaped}"),
                    };
                    write!(self.text, "(lower({expr}) LIKE ").unwrap_or_default();
                    self.arg(Arg::Text(pattern));
                    self.push(" ESCAPE '\\')");
                } else if op == Op::Ne {
                    // A missing value is not equal to anything.
                    write!(self.text, "({expr} IS NULL OR lower({expr}) <> lower(")
                        .unwrap_or_default();
                    self.arg(Arg::Text(text.clone()));
                    self.push("))");
                } else {
                    write!(self.text, "(lower({expr}) {sql_op} lower(").unwrap_or_default();
                    self.arg(Arg::Text(text.clone()));
                    self.push("))");
                }
            }
            (Class::Id, Value::Text(text)) if matches!(op, Op::Eq | Op::Ne) => {
                match Uuid::parse_str(text) {
                    Ok(id) => {
                        if op == Op::Ne {
                            write!(self.text, "({expr} IS NULL OR {expr} <> ").unwrap_or_default();
                        } else {
                            write!(self.text, "({expr} = ").unwrap_or_default();
                        }
                        self.arg(Arg::Uuid(id));
                        self.push(")");
                    }
                    // No id is malformed: nothing equals it, everything differs from it.
                    Err(_) => self.push(if op == Op::Eq { "(1 = 0)" } else { "(1 = 1)" }),
                }
            }
            (Class::Bool, Value::Bool(b)) if matches!(op, Op::Eq | Op::Ne) => {
                let wanted = (op == Op::Eq) == *b;
                write!(self.text, "(COALESCE({expr}, FALSE) = ").unwrap_or_default();
                self.arg(Arg::Bool(wanted));
                self.push(")");
            }
            (Class::Time, Value::Time(at)) if !matches!(op, Op::Co | Op::Sw | Op::Ew) => {
                write!(self.text, "({expr} {sql_op} ").unwrap_or_default();
                self.arg(Arg::Time(*at));
                self.push(")");
            }
            (Class::Int, Value::Int(n)) if !matches!(op, Op::Co | Op::Sw | Op::Ew) => {
                write!(self.text, "({expr} {sql_op} ").unwrap_or_default();
                self.arg(Arg::Int(*n));
                self.push(")");
            }
            (Class::Id, _) => return refuse("an id"),
            (Class::Bool, _) => return refuse("a boolean"),
            (Class::Time, _) => return refuse("a time"),
            (Class::Int, _) => return refuse("a number"),
            (Class::Text, _) => return refuse("a string"),
        }
        Ok(())
    }
}
