//! Modules of the organization's applications, and the grants roles give in them.
//!
//! Modules are data, not code: each has a key, a name and its ordered levels, lowest first
//! (`none < view < edit` by default; a map may allow only `none, view`; a settings module
//! `none, view, edit, super_admin`; a switch `off, on`). A module may list items (the
//! calendars of scheduling, the vehicles of the map); a role's grant in it then names the
//! items it covers, or `"all"` of them (including items added later). A module may require
//! that a role granting anything above its lowest level select at least one item.
//!
//! A role's grants are kept *sparse*: only grants above a module's lowest level are
//! stored, and [`full_grants`] fills in every other module at its lowest level. That way a
//! module added later, or a renamed lowest level, needs no change to existing roles.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Deref, DerefMut};

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use utoipa::ToSchema;

use crate::validation::{FieldError, ValidationErrors, text};

/// Longest module key, level name or item key.
pub const KEY_MAX: usize = 40;
/// Longest module or item name.
pub const NAME_MAX: usize = 100;
/// Fewest levels a module may have.
pub const LEVELS_MIN: usize = 2;
/// Most levels a module may have.
pub const LEVELS_MAX: usize = 10;
/// Most items a module may list.
pub const ITEMS_MAX: usize = 1000;
/// The levels of a module created without any: `none < view < edit`.
pub const DEFAULT_LEVELS: [&str; 3] = ["none", "view", "edit"];

/// One item of a module (a calendar, a vehicle).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModuleItem {
    /// Key, unique within the module: lowercase letters, digits and `_`, 1–40.
    pub key: String,
    /// Display name, 1–100 characters.
    pub name: String,
}

/// A module of the organization's applications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Module {
    /// Key, unique in the organization: lowercase letters, digits and `_`, 1–40. Never
    /// changes.
    pub key: String,
    /// Display name.
    pub name: String,
    /// The levels a role may grant, lowest first.
    pub levels: Vec<String>,
    /// The items a grant covers; empty when the module has none.
    pub items: Vec<ModuleItem>,
    /// Whether a role granting more than the lowest level must select at least one item.
    pub requires_items: bool,
    /// Version for optimistic concurrency; also sent as the `ETag`.
    pub version: i64,
}

impl Module {
    /// The lowest level (no access).
    #[must_use]
    pub fn lowest(&self) -> &str {
        self.levels.first().map_or("", String::as_str)
    }

    /// The highest level.
    #[must_use]
    pub fn top(&self) -> &str {
        self.levels.last().map_or("", String::as_str)
    }

    /// Whether `level` is one of the module's levels.
    #[must_use]
    pub fn has_level(&self, level: &str) -> bool {
        self.levels.iter().any(|l| l == level)
    }

    /// Whether the module lists items.
    #[must_use]
    pub fn has_items(&self) -> bool {
        !self.items.is_empty()
    }

    /// The grant of `level` covering `items`, in its canonical form: a bare level for a
    /// module without items; `{level, items}` otherwise, with no items at the lowest level
    /// and listed items in the module's order.
    #[must_use]
    pub fn grant(&self, level: &str, items: GrantItems) -> ModuleGrant {
        if !self.has_items() {
            return ModuleGrant::Level(level.to_owned());
        }
        let items = match items {
            _ if level == self.lowest() => GrantItems::Keys(Vec::new()),
            GrantItems::All => GrantItems::All,
            GrantItems::Keys(keys) => GrantItems::Keys(
                self.items
                    .iter()
                    .filter(|i| keys.contains(&i.key))
                    .map(|i| i.key.clone())
                    .collect(),
            ),
        };
        ModuleGrant::Items {
            level: level.to_owned(),
            items,
        }
    }
}

/// `POST /modules`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewModule {
    /// Key: lowercase letters, digits and `_`, 1–40, unique in the organization.
    pub key: String,
    /// Display name, 1–100 characters.
    pub name: String,
    /// Levels, lowest first: 2–10 distinct lowercase names. Default `["none", "view",
    /// "edit"]`.
    #[serde(default)]
    pub levels: Option<Vec<String>>,
    /// Items grants may cover.
    #[serde(default)]
    pub items: Vec<ModuleItem>,
    /// Whether a role granting more than the lowest level must select an item.
    #[serde(default)]
    pub requires_items: bool,
}

/// `PATCH /modules/{key}` (JSON merge patch). Levels and items that a live role grants
/// cannot be removed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModulePatch {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New levels, lowest first (the whole list).
    #[serde(default)]
    pub levels: Option<Vec<String>>,
    /// New items (the whole list).
    #[serde(default)]
    pub items: Option<Vec<ModuleItem>>,
    /// New requirement.
    #[serde(default)]
    pub requires_items: Option<bool>,
}

/// A validated module definition (everything but the key and version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleSpec {
    /// Display name, trimmed.
    pub name: String,
    /// Levels, lowest first.
    pub levels: Vec<String>,
    /// Items.
    pub items: Vec<ModuleItem>,
    /// Item requirement.
    pub requires_items: bool,
}

impl ModuleSpec {
    /// The module this spec defines, with `key` and `version`.
    #[must_use]
    pub fn into_module(self, key: String, version: i64) -> Module {
        Module {
            key,
            name: self.name,
            levels: self.levels,
            items: self.items,
            requires_items: self.requires_items,
            version,
        }
    }
}

/// Checks a key-like name: lowercase ASCII letters, digits and `_`, 1–40 characters.
fn key_like(field: &str, raw: &str) -> Result<String, FieldError> {
    if raw.is_empty() || raw.len() > KEY_MAX {
        return Err(FieldError::new(
            field,
            format!("must be 1–{KEY_MAX} characters"),
        ));
    }
    if !raw
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(FieldError::new(
            field,
            "must use only lowercase letters, digits and _",
        ));
    }
    Ok(raw.to_owned())
}

/// Validates a module key.
pub fn module_key(raw: &str) -> Result<String, FieldError> {
    key_like("key", raw)
}

/// Validates a module's definition, collecting every error.
pub fn validate_spec(
    name: &str,
    levels: &[String],
    items: &[ModuleItem],
    requires_items: bool,
) -> Result<ModuleSpec, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let name = errors.check(text("name", name, NAME_MAX));
    if !(LEVELS_MIN..=LEVELS_MAX).contains(&levels.len()) {
        errors.push(
            "levels",
            format!("must list {LEVELS_MIN}–{LEVELS_MAX} levels, lowest first"),
        );
    }
    for (i, level) in levels.iter().enumerate() {
        let field = format!("levels[{i}]");
        if errors.check(key_like(&field, level)).is_some() && levels[..i].contains(level) {
            errors.push(field, format!("{level:?} is listed twice"));
        }
    }
    if items.len() > ITEMS_MAX {
        errors.push("items", format!("must list at most {ITEMS_MAX} items"));
    }
    let mut clean_items = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let key = errors.check(key_like(&format!("items[{i}].key"), &item.key));
        if key.is_some() && items[..i].iter().any(|o| o.key == item.key) {
            errors.push(
                format!("items[{i}].key"),
                format!("{:?} is listed twice", item.key),
            );
        }
        let item_name = errors.check(text(&format!("items[{i}].name"), &item.name, NAME_MAX));
        if let (Some(key), Some(name)) = (key, item_name) {
            clean_items.push(ModuleItem { key, name });
        }
    }
    if requires_items && items.is_empty() {
        errors.push(
            "requires_items",
            "a module without items cannot require them",
        );
    }
    errors.into_result()?;
    Ok(ModuleSpec {
        name: name.unwrap_or_default(),
        levels: levels.to_vec(),
        items: clean_items,
        requires_items,
    })
}

/// The items a grant covers: all of the module's (present and future), or the listed ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantItems {
    /// Every item of the module, including items added later (`"all"`).
    All,
    /// The listed item keys.
    Keys(Vec<String>),
}

impl GrantItems {
    /// Whether no item is covered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Keys(keys) if keys.is_empty())
    }
}

impl Serialize for GrantItems {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::All => serializer.serialize_str("all"),
            Self::Keys(keys) => keys.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for GrantItems {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        grant_items(Value::deserialize(deserializer)?).map_err(de::Error::custom)
    }
}

fn grant_items(value: Value) -> Result<GrantItems, String> {
    const EXPECTED: &str = "must be \"all\" or a list of item keys";
    match value {
        Value::String(s) if s == "all" => Ok(GrantItems::All),
        Value::Array(values) => values
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(EXPECTED.to_owned()),
            })
            .collect::<Result<_, _>>()
            .map(GrantItems::Keys),
        _ => Err(EXPECTED.to_owned()),
    }
}

fn grant_items_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(
            ArrayBuilder::new()
                .items(ObjectBuilder::new().schema_type(Type::String))
                .description(Some("the item keys covered")),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["all"]))
                .description(Some("every item, including items added later")),
        )
        .build()
        .into()
}

/// What a role grants in one module: a level, or for modules with items
/// `{level, items: [key] | "all"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ModuleGrant {
    /// A level of a module without items.
    Level(String),
    /// A level of a module with items, and the items it covers.
    Items {
        /// The level.
        level: String,
        /// The items covered: a list of item keys, or `"all"`.
        #[schema(schema_with = grant_items_schema)]
        items: GrantItems,
    },
}

impl ModuleGrant {
    /// The level granted.
    #[must_use]
    pub fn level(&self) -> &str {
        match self {
            Self::Level(level) | Self::Items { level, .. } => level,
        }
    }

    /// The items covered, when given.
    #[must_use]
    pub fn items(&self) -> Option<&GrantItems> {
        match self {
            Self::Level(_) => None,
            Self::Items { items, .. } => Some(items),
        }
    }
}

impl<'de> Deserialize<'de> for ModuleGrant {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const EXPECTED: &str =
            "must be a level name, or {\"level\": …, \"items\": [item keys] or \"all\"}";
        match Value::deserialize(deserializer)? {
            Value::String(level) => Ok(Self::Level(level)),
            Value::Object(mut fields) => {
                let Some(Value::String(level)) = fields.remove("level") else {
                    return Err(de::Error::custom(EXPECTED));
                };
                let items = match fields.remove("items") {
                    None => GrantItems::Keys(Vec::new()),
                    Some(items) => grant_items(items).map_err(de::Error::custom)?,
                };
                if let Some(unknown) = fields.keys().next() {
                    return Err(de::Error::custom(format!(
                        "unknown field `{unknown}`: {EXPECTED}"
                    )));
                }
                Ok(Self::Items { level, items })
            }
            _ => Err(de::Error::custom(EXPECTED)),
        }
    }
}

impl fmt::Display for ModuleGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.level())
    }
}

/// A role's grants, by module key: `{key: level | {level, items}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct Grants(BTreeMap<String, ModuleGrant>);

impl Grants {
    /// No grants.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

impl Deref for Grants {
    type Target = BTreeMap<String, ModuleGrant>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for Grants {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl FromIterator<(String, ModuleGrant)> for Grants {
    fn from_iter<I: IntoIterator<Item = (String, ModuleGrant)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// Checks a role's requested grants against the organization's `modules` and returns them
/// in full canonical form (every module; those not mentioned at their lowest level).
/// Errors name `modules.<key>` (unknown module, unknown level), `modules.<key>.level`,
/// `modules.<key>.items` (required items missing, items on a module without any) and
/// `modules.<key>.items[i]` (unknown item).
pub fn validate_grants(requested: &Grants, modules: &[Module]) -> Result<Grants, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    for key in requested.keys() {
        if !modules.iter().any(|m| &m.key == key) {
            errors.push(format!("modules.{key}"), "no module has this key");
        }
    }
    let mut grants = Grants::new();
    for module in modules {
        let key = &module.key;
        let Some(grant) = requested.get(key) else {
            grants.insert(key.clone(), module.grant(module.lowest(), GrantItems::All));
            continue;
        };
        let level = grant.level();
        if !module.has_level(level) {
            let field = match grant {
                ModuleGrant::Level(_) => format!("modules.{key}"),
                ModuleGrant::Items { .. } => format!("modules.{key}.level"),
            };
            errors.push(
                field,
                format!(
                    "{level:?} is not a level of {:?}; use one of: {}",
                    module.name,
                    module.levels.join(", ")
                ),
            );
            continue;
        }
        let items = grant
            .items()
            .cloned()
            .unwrap_or(GrantItems::Keys(Vec::new()));
        if let GrantItems::Keys(keys) = &items {
            if !module.has_items() && !keys.is_empty() {
                errors.push(
                    format!("modules.{key}.items"),
                    format!("{:?} has no items; give only a level", module.name),
                );
                continue;
            }
            let mut bad = false;
            for (i, item) in keys.iter().enumerate() {
                if !module.items.iter().any(|it| &it.key == item) {
                    errors.push(
                        format!("modules.{key}.items[{i}]"),
                        format!("{:?} has no item {item:?}", module.name),
                    );
                    bad = true;
                }
            }
            if bad {
                continue;
            }
        }
        let grant = module.grant(level, items);
        if module.requires_items
            && level != module.lowest()
            && grant.items().is_some_and(GrantItems::is_empty)
        {
            errors.push(
                format!("modules.{key}.items"),
                format!(
                    "select at least one item of {:?} (or \"all\") to grant {level:?}",
                    module.name
                ),
            );
            continue;
        }
        grants.insert(key.clone(), grant);
    }
    errors.into_result()?;
    Ok(grants)
}

/// A role's grants in full canonical form from what is stored: every module, at the
/// stored level if it is still one of the module's, else at its lowest; items no longer
/// listed are dropped.
#[must_use]
pub fn full_grants(stored: &Grants, modules: &[Module]) -> Grants {
    modules
        .iter()
        .map(|module| {
            let grant = stored
                .get(&module.key)
                .filter(|g| module.has_level(g.level()))
                .map_or_else(
                    || module.grant(module.lowest(), GrantItems::All),
                    |g| {
                        let items = g.items().cloned().unwrap_or(GrantItems::Keys(Vec::new()));
                        module.grant(g.level(), items)
                    },
                );
            (module.key.clone(), grant)
        })
        .collect()
}

/// The grants worth storing: those above their module's lowest level.
#[must_use]
pub fn sparse_grants(full: &Grants, modules: &[Module]) -> Grants {
    full.iter()
        .filter(|(key, grant)| {
            modules
                .iter()
                .find(|m| &m.key == *key)
                .is_some_and(|m| grant.level() != m.lowest())
        })
        .map(|(k, g)| (k.clone(), g.clone()))
        .collect()
}

/// "Enable all": map-like modules (levels exactly `none, view`) at `view`, modules with a
/// `super_admin` level (settings) at their top, every other module at `edit` where it has
/// that level, else at its top; all items.
#[must_use]
pub fn enable_all_grants(modules: &[Module]) -> Grants {
    modules
        .iter()
        .map(|m| {
            let level = if m.levels == ["none", "view"] {
                "view"
            } else if m.has_level("super_admin") || !m.has_level("edit") {
                m.top()
            } else {
                "edit"
            };
            (m.key.clone(), m.grant(level, GrantItems::All))
        })
        .collect()
}

/// Why a module definition change is refused: the field and the message.
pub type ChangeConflict = (&'static str, String);

/// Checks that changing `before` into `after` takes away nothing a live role grants:
/// every level a role grants above the lowest must remain, every item a role lists must
/// remain, and a new item requirement must already be met. `roles` are (role name, stored
/// grants).
pub fn check_change<'a>(
    before: &Module,
    after: &ModuleSpec,
    roles: impl IntoIterator<Item = (&'a str, &'a Grants)>,
) -> Result<(), ChangeConflict> {
    for (role, grants) in roles {
        let Some(grant) = grants.get(&before.key) else {
            continue;
        };
        let level = grant.level();
        if level == before.lowest() || !before.has_level(level) {
            continue;
        }
        if !after.levels.iter().any(|l| l == level) {
            return Err((
                "levels",
                format!(
                    "role {role:?} grants level {level:?}; change the role before removing the level"
                ),
            ));
        }
        let covered = grant.items().and_then(|items| match items {
            GrantItems::Keys(keys) => Some(keys),
            GrantItems::All => None,
        });
        if let Some(keys) = covered {
            let live: Vec<&String> = keys
                .iter()
                .filter(|k| before.items.iter().any(|i| &i.key == *k))
                .collect();
            if let Some(gone) = live
                .iter()
                .find(|k| !after.items.iter().any(|i| &i.key == **k))
            {
                return Err((
                    "items",
                    format!(
                        "role {role:?} covers item {gone:?}; change the role before removing the item"
                    ),
                ));
            }
            let is_lowest_after = after.levels.first().is_some_and(|l| l == level);
            if after.requires_items && !before.requires_items && live.is_empty() && !is_lowest_after
            {
                return Err((
                    "requires_items",
                    format!("role {role:?} grants {level:?} without selecting an item"),
                ));
            }
        } else if grant.items().is_none()
            && after.requires_items
            && !before.requires_items
            && after.levels.first().is_none_or(|l| l != level)
        {
            return Err((
                "requires_items",
                format!("role {role:?} grants {level:?} without selecting an item"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn module(key: &str, levels: &[&str], items: &[&str], requires: bool) -> Module {
        Module {
            key: key.to_owned(),
            name: key.to_owned(),
            levels: levels.iter().map(|l| (*l).to_owned()).collect(),
            items: items
                .iter()
                .map(|i| ModuleItem {
                    key: (*i).to_owned(),
                    name: i.to_uppercase(),
                })
                .collect(),
            requires_items: requires,
            version: 1,
        }
    }

    fn grants(json: serde_json::Value) -> Grants {
        serde_json::from_value(json).unwrap()
    }

    fn fields(errors: &ValidationErrors) -> Vec<&str> {
        errors.errors().iter().map(|e| e.field.as_str()).collect()
    }

    fn org_modules() -> Vec<Module> {
        vec![
            module(
                "scheduling",
                &["none", "view", "edit"],
                &["delivery", "service"],
                true,
            ),
            module("map", &["none", "view"], &["truck_1"], false),
            module("timesheet", &["none", "view", "edit"], &[], false),
            module(
                "settings",
                &["none", "view", "edit", "super_admin"],
                &[],
                false,
            ),
            module("vehicle_tracking", &["off", "on"], &[], false),
        ]
    }

    #[test]
    fn keys_and_levels_are_lowercase_words() {
        assert!(module_key("scheduling").is_ok());
        assert!(module_key("qb_integration2").is_ok());
        assert!(module_key("Scheduling").is_err());
        assert!(module_key("").is_err());
        assert!(module_key("a-b").is_err());
        assert!(module_key(&"a".repeat(41)).is_err());
    }

    #[test]
    fn a_spec_needs_two_to_ten_distinct_levels_and_unique_items() {
        let levels = |ls: &[&str]| ls.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>();
        assert!(validate_spec("Map", &levels(&["none", "view"]), &[], false).is_ok());
        let one = validate_spec("Map", &levels(&["none"]), &[], false).unwrap_err();
        assert_eq!(fields(&one), ["levels"]);
        let twice =
            validate_spec("Map", &levels(&["none", "view", "none"]), &[], false).unwrap_err();
        assert_eq!(fields(&twice), ["levels[2]"]);
        let upper = validate_spec("Map", &levels(&["none", "View"]), &[], false).unwrap_err();
        assert_eq!(fields(&upper), ["levels[1]"]);
        let item = |k: &str| ModuleItem {
            key: k.to_owned(),
            name: k.to_owned(),
        };
        let dup = validate_spec(
            "Map",
            &levels(&["none", "view"]),
            &[item("a"), item("a")],
            false,
        )
        .unwrap_err();
        assert_eq!(fields(&dup), ["items[1].key"]);
        let needs = validate_spec("Map", &levels(&["none", "view"]), &[], true).unwrap_err();
        assert_eq!(fields(&needs), ["requires_items"]);
    }

    #[test]
    fn grants_parse_from_a_level_or_an_object_with_items() {
        let g = grants(serde_json::json!({
            "a": "view",
            "b": {"level": "edit", "items": "all"},
            "c": {"level": "edit", "items": ["x"]},
            "d": {"level": "none"},
        }));
        assert_eq!(g["a"], ModuleGrant::Level("view".into()));
        assert_eq!(g["b"].items(), Some(&GrantItems::All));
        assert_eq!(g["c"].items(), Some(&GrantItems::Keys(vec!["x".into()])));
        assert_eq!(g["d"].items(), Some(&GrantItems::Keys(vec![])));
        assert!(serde_json::from_value::<Grants>(serde_json::json!({"a": 3})).is_err());
        assert!(
            serde_json::from_value::<Grants>(serde_json::json!({"a": {"level": "v", "x": 1}}))
                .is_err()
        );
        assert!(
            serde_json::from_value::<Grants>(
                serde_json::json!({"a": {"level": "v", "items": "some"}})
            )
            .is_err()
        );
        assert_eq!(
            serde_json::to_value(&g["b"]).unwrap(),
            serde_json::json!({"level": "edit", "items": "all"})
        );
    }

    #[test]
    fn validated_grants_cover_every_module_in_canonical_form() {
        let modules = org_modules();
        let requested = grants(serde_json::json!({
            "scheduling": {"level": "view", "items": ["service", "delivery", "service"]},
            "timesheet": "edit",
        }));
        let full = validate_grants(&requested, &modules).unwrap();
        assert_eq!(
            serde_json::to_value(&full).unwrap(),
            serde_json::json!({
                "scheduling": {"level": "view", "items": ["delivery", "service"]},
                "map": {"level": "none", "items": []},
                "timesheet": "edit",
                "settings": "none",
                "vehicle_tracking": "off",
            })
        );
        assert_eq!(
            serde_json::to_value(sparse_grants(&full, &modules)).unwrap(),
            serde_json::json!({
                "scheduling": {"level": "view", "items": ["delivery", "service"]},
                "timesheet": "edit",
            })
        );
    }

    #[test]
    fn invalid_grants_name_the_module_field() {
        let modules = org_modules();
        let cases = [
            (serde_json::json!({"payroll": "view"}), "modules.payroll"),
            (serde_json::json!({"map": "edit"}), "modules.map"),
            (
                serde_json::json!({"map": {"level": "edit", "items": "all"}}),
                "modules.map.level",
            ),
            (
                serde_json::json!({"scheduling": "view"}),
                "modules.scheduling.items",
            ),
            (
                serde_json::json!({"scheduling": {"level": "edit", "items": []}}),
                "modules.scheduling.items",
            ),
            (
                serde_json::json!({"scheduling": {"level": "edit", "items": ["delivery", "nope"]}}),
                "modules.scheduling.items[1]",
            ),
            (
                serde_json::json!({"timesheet": {"level": "edit", "items": ["x"]}}),
                "modules.timesheet.items",
            ),
        ];
        for (json, field) in cases {
            let errors = validate_grants(&grants(json.clone()), &modules).unwrap_err();
            assert_eq!(fields(&errors), [field], "{json}");
        }
        // The lowest level needs no items, and "all" satisfies the requirement.
        assert!(
            validate_grants(&grants(serde_json::json!({"scheduling": "none"})), &modules).is_ok()
        );
        assert!(
            validate_grants(
                &grants(serde_json::json!({"scheduling": {"level": "edit", "items": "all"}})),
                &modules
            )
            .is_ok()
        );
    }

    #[test]
    fn enable_all_gives_map_view_settings_top_and_edit_elsewhere() {
        let g = enable_all_grants(&org_modules());
        assert_eq!(
            serde_json::to_value(&g).unwrap(),
            serde_json::json!({
                "scheduling": {"level": "edit", "items": "all"},
                "map": {"level": "view", "items": "all"},
                "timesheet": "edit",
                "settings": "super_admin",
                "vehicle_tracking": "on",
            })
        );
    }

    #[test]
    fn stored_grants_survive_module_changes_gracefully() {
        let mut modules = org_modules();
        let stored = grants(serde_json::json!({
            "scheduling": {"level": "edit", "items": ["delivery"]},
            "timesheet": "edit",
            "gone": "view",
        }));
        modules[2].levels = vec!["none".into(), "view".into()];
        let full = full_grants(&stored, &modules);
        assert_eq!(full["timesheet"], ModuleGrant::Level("none".into()));
        assert_eq!(full.len(), 5);
        assert!(!full.contains_key("gone"));
    }

    #[test]
    fn a_module_keeps_the_levels_and_items_roles_grant() {
        let modules = org_modules();
        let scheduling = &modules[0];
        let role = grants(serde_json::json!({
            "scheduling": {"level": "view", "items": ["delivery"]},
        }));
        let spec = |levels: &[&str], items: &[&str], requires: bool| ModuleSpec {
            name: "Scheduling".into(),
            levels: levels.iter().map(|l| (*l).to_owned()).collect(),
            items: items
                .iter()
                .map(|i| ModuleItem {
                    key: (*i).to_owned(),
                    name: (*i).to_owned(),
                })
                .collect(),
            requires_items: requires,
        };
        let roles = [("Dispatcher", &role)];
        assert!(
            check_change(
                scheduling,
                &spec(&["none", "view"], &["delivery"], true),
                roles
            )
            .is_ok()
        );
        assert_eq!(
            check_change(
                scheduling,
                &spec(&["none", "edit"], &["delivery"], true),
                roles
            )
            .unwrap_err()
            .0,
            "levels"
        );
        assert_eq!(
            check_change(
                scheduling,
                &spec(&["none", "view", "edit"], &["service"], true),
                roles
            )
            .unwrap_err()
            .0,
            "items"
        );
        let timesheet_role = grants(serde_json::json!({"timesheet": "view"}));
        let timesheet = &modules[2];
        assert_eq!(
            check_change(
                timesheet,
                &spec(&["none", "view", "edit"], &["a"], true),
                [("Clerk", &timesheet_role)]
            )
            .unwrap_err()
            .0,
            "requires_items"
        );
    }
}
