//! Modules of the organization's applications: list, read, create and change them.
//!
//! A module's levels and items are what roles grant; a change that would take away a level
//! or item some live role grants is refused, so that no role silently loses or changes its
//! meaning.

use muster_domain::modules::{self as domain, Module, ModulePatch, NewModule};
use muster_domain::paging::Page;
use muster_domain::{ModuleId, OrgId, ValidationErrors};
use muster_store::modules::{self as store_modules, ModuleFields, ModuleRow};
use muster_store::roles as store_roles;
use muster_store::{Store, StoreError, Tx};
use uuid::Uuid;

use crate::audit::{self, Changes, Target};
use crate::nodes::check_version;
use crate::paging::PageRequest;
use crate::{Ctx, Result, ServiceError, authz};
use muster_domain::access::Capability;

/// The API's view of a stored module.
pub(crate) fn to_module(row: ModuleRow) -> Module {
    Module {
        key: row.key,
        name: row.name,
        levels: row.levels.0,
        items: row.items.0,
        requires_items: row.requires_items,
        version: row.version,
    }
}

/// Every module of `org`, read inside `tx` (the definitions role grants are checked
/// against).
pub(crate) async fn definitions_tx(tx: &mut Tx, org: OrgId) -> Result<Vec<Module>> {
    Ok(store_modules::all_tx(tx, org)
        .await?
        .into_iter()
        .map(to_module)
        .collect())
}

/// Every module of `org`.
pub(crate) async fn definitions(store: &Store, org: OrgId) -> Result<Vec<Module>> {
    Ok(store_modules::all(store, org)
        .await?
        .into_iter()
        .map(to_module)
        .collect())
}

/// One page of the organization's modules, by name.
pub async fn list(store: &Store, ctx: &Ctx, page: &PageRequest) -> Result<Page<Module>> {
    let after = page.after::<(String, Uuid)>()?;
    let rows = store_modules::list(store, ctx.org, after, page.fetch_limit()).await?;
    let total = store_modules::count(store, ctx.org).await?;
    Ok(page.page(rows, total, |r| (r.sort_name.clone(), r.id), to_module))
}

/// One module, by key.
pub async fn get(store: &Store, ctx: &Ctx, key: &str) -> Result<Module> {
    store_modules::get(store, ctx.org, key)
        .await?
        .map(to_module)
        .ok_or(ServiceError::NotFound("module"))
}

fn key_taken() -> ServiceError {
    ServiceError::conflict("key", "another module already has this key")
}

/// Creates a module.
pub async fn create(store: &Store, ctx: &Ctx, request: NewModule) -> Result<Module> {
    authz::require_org_wide(ctx, Capability::OrgManage)?;
    let mut errors = ValidationErrors::new();
    let key = errors.check(domain::module_key(&request.key));
    let levels = request.levels.unwrap_or_else(|| {
        domain::DEFAULT_LEVELS
            .iter()
            .map(|l| (*l).to_owned())
            .collect()
    });
    let spec = match domain::validate_spec(
        &request.name,
        &levels,
        &request.items,
        request.requires_items,
    ) {
        Ok(spec) => Some(spec),
        Err(more) => {
            for e in more.errors() {
                errors.push(e.field.clone(), e.message.clone());
            }
            None
        }
    };
    errors.into_result()?;
    let (Some(key), Some(spec)) = (key, spec) else {
        return Err(ValidationErrors::single("key", "is invalid").into());
    };

    let mut tx = store.begin_in(ctx.org).await?;
    if store_modules::get_tx(&mut tx, ctx.org, &key)
        .await?
        .is_some()
    {
        return Err(key_taken());
    }
    let id = ModuleId::new();
    store_modules::insert(
        &mut tx,
        ctx.org,
        id,
        &key,
        &ModuleFields {
            name: &spec.name,
            levels: &spec.levels,
            items: &spec.items,
            requires_items: spec.requires_items,
        },
        ctx.now,
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => key_taken(),
        other => other.into(),
    })?;
    let module = spec.into_module(key, 1);
    audit::record(
        &mut tx,
        ctx,
        "module.create",
        Target::object("module", id),
        &Changes::created(&module),
    )
    .await?;
    tx.commit().await?;
    Ok(module)
}

/// Renames a module or changes its levels, items or item requirement. Refused (409) when
/// a live role grants a level or an item the change removes, or would no longer meet a new
/// item requirement.
pub async fn update(
    store: &Store,
    ctx: &Ctx,
    key: &str,
    if_match: Option<i64>,
    patch: ModulePatch,
) -> Result<Module> {
    authz::require_org_wide(ctx, Capability::OrgManage)?;
    let mut tx = store.begin_in(ctx.org).await?;
    let row = store_modules::get_tx(&mut tx, ctx.org, key)
        .await?
        .ok_or(ServiceError::NotFound("module"))?;
    let id = ModuleId::from_uuid(row.id);
    let before = to_module(row);
    check_version(if_match, before.version, "module")?;
    let spec = domain::validate_spec(
        patch.name.as_deref().unwrap_or(&before.name),
        patch.levels.as_deref().unwrap_or(&before.levels),
        patch.items.as_deref().unwrap_or(&before.items),
        patch.requires_items.unwrap_or(before.requires_items),
    )?;
    let roles = store_roles::all_tx(&mut tx, ctx.org).await?;
    domain::check_change(
        &before,
        &spec,
        roles.iter().map(|r| (r.name.as_str(), &r.modules.0)),
    )
    .map_err(|(field, message)| ServiceError::conflict(field, message))?;
    let written = store_modules::update(
        &mut tx,
        ctx.org,
        id,
        before.version,
        &ModuleFields {
            name: &spec.name,
            levels: &spec.levels,
            items: &spec.items,
            requires_items: spec.requires_items,
        },
        ctx.now,
    )
    .await?;
    if !written {
        return Err(ServiceError::Stale("module"));
    }
    let after = spec.into_module(before.key.clone(), before.version + 1);
    let changes = Changes::diff(&before, &after);
    if !changes.is_empty() {
        audit::record(
            &mut tx,
            ctx,
            "module.update",
            Target::object("module", id),
            &changes,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(after)
}
