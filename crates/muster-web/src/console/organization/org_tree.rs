//! The organization tree editor (`/console/org/tree`): the tree on the left, the chosen
//! node on the right — rename it, change its kind, move it under another parent, give it
//! an address, add a child below it, delete it when empty. Every change goes through
//! `muster_service::nodes`, the functions behind `/api/v1/nodes`; which nodes offer
//! their forms is asked of `muster_service::authz`.

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use muster_domain::NodeId;
use muster_domain::access::Capability;
use muster_domain::nodes::{NewNode, Node, NodePatch};
use muster_domain::org::Address;
use muster_domain::reference::{ReferenceItem, ReferenceList};
use muster_service::{authz, nodes, reference};
use serde::Deserialize;

use super::{FormFields, Refusal, collect_all};
use crate::AppState;
use crate::console::page::{Chrome, Console, FieldErrors, not_found, redirect_with, service_page};

/// The address parts, as (name, label).
const ADDRESS_PARTS: [(&str, &str); 6] = [
    ("street", "Street and number"),
    ("street2", "Suite, building"),
    ("city", "City"),
    ("region", "State or region"),
    ("postal_code", "Postal code"),
    ("country", "Country"),
];

/// One node in the drawn tree.
struct TreeRow {
    id: String,
    name: String,
    kind: String,
    selected: bool,
    has_children: bool,
    /// Levels that end after this row (each closes a `<ul></li>`).
    closes: Vec<()>,
}

/// A choice of a select.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// An address input.
struct Part {
    key: &'static str,
    label: &'static str,
    value: String,
}

impl Part {
    /// The form field's name.
    fn field(&self) -> String {
        format!("address.{}", self.key)
    }
}

/// The chosen node and its forms.
struct Selected {
    id: String,
    name: String,
    kind: String,
    version: i64,
    is_root: bool,
    /// Its ancestors, root first: (id, name).
    path: Vec<(String, String)>,
    children: usize,
    editable: bool,
    /// The edit form's values.
    form_name: String,
    kinds: Vec<Choice>,
    parents: Vec<Choice>,
    address: Vec<Part>,
    /// The add-child form's values.
    new_name: String,
    new_kinds: Vec<Choice>,
}

#[derive(Template, WebTemplate)]
#[template(path = "org_tree.html")]
struct TreePage {
    chrome: Chrome,
    rows: Vec<TreeRow>,
    total: usize,
    node: Option<Selected>,
    errors: FieldErrors,
    new_errors: FieldErrors,
    confirm_delete: bool,
    alert: Option<String>,
}

/// `?node=` of the page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TreeQuery {
    node: Option<String>,
}

/// What the page shows besides the tree: submitted values and errors of a refused form.
#[derive(Default)]
struct Shown {
    edit: Option<FormFields>,
    add: Option<FormFields>,
    errors: FieldErrors,
    new_errors: FieldErrors,
    confirm_delete: bool,
    alert: Option<String>,
    status: Option<StatusCode>,
}

/// Opens the editor: `org.manage` over the caller's current location (asked of authz);
/// otherwise the refusal page saying why.
fn refuse_unless_manager(console: &Console) -> Option<Response> {
    let ctx = &console.ctx;
    match authz::current_location(ctx) {
        Some(current) => authz::require_on_node(ctx, Capability::OrgManage, current),
        None => authz::require_org_wide(ctx, Capability::OrgManage),
    }
    .err()
    .map(service_page)
}

/// `GET /console/org/tree`.
pub(crate) async fn page(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<TreeQuery>,
) -> Response {
    if let Some(refused) = refuse_unless_manager(&console) {
        return refused;
    }
    let chosen = query.node.and_then(|n| n.parse().ok());
    render(&state, console, chosen, Shown::default()).await
}

async fn render(
    state: &AppState,
    console: Console,
    chosen: Option<NodeId>,
    shown: Shown,
) -> Response {
    let (store, ctx) = (&state.store, &console.ctx);
    let all = match collect_all(|page| async move { nodes::list(store, ctx, &page).await }).await {
        Ok(all) => all,
        Err(error) => return service_page(error),
    };
    let kinds = match collect_all(|page| async move {
        reference::list(store, ctx, ReferenceList::NodeKinds, &page).await
    })
    .await
    {
        Ok(kinds) => kinds,
        Err(error) => return service_page(error),
    };
    let by_id: HashMap<NodeId, &Node> = all.iter().map(|n| (n.id, n)).collect();
    let root = all.iter().find(|n| n.parent_id.is_none()).map(|n| n.id);
    let chosen = chosen
        .filter(|id| by_id.contains_key(id))
        .or_else(|| authz::current_location(ctx).filter(|id| by_id.contains_key(id)))
        .or(root);
    let order = tree_order(&all);
    let rows = tree_rows(&order, chosen);
    let node = chosen
        .and_then(|id| by_id.get(&id))
        .map(|n| selected(ctx, n, &order, &by_id, &kinds, &shown));
    let page = TreePage {
        chrome: console.chrome.clone().page("tree", "Locations"),
        total: all.len(),
        rows,
        node,
        errors: shown.errors,
        new_errors: shown.new_errors,
        confirm_delete: shown.confirm_delete,
        alert: shown.alert,
    };
    (shown.status.unwrap_or(StatusCode::OK), page).into_response()
}

/// The nodes depth first, children by name: (node, depth).
fn tree_order(all: &[Node]) -> Vec<(&Node, usize)> {
    let mut children: HashMap<Option<NodeId>, Vec<&Node>> = HashMap::new();
    for node in all {
        children.entry(node.parent_id).or_default().push(node);
    }
    for list in children.values_mut() {
        list.sort_by_key(|g| std::cmp::Reverse(g.name.to_lowercase()));
    }
    let mut out = Vec::with_capacity(all.len());
    let mut stack: Vec<(&Node, usize)> = children
        .get(&None)
        .map(|roots| roots.iter().map(|n| (*n, 0)).collect())
        .unwrap_or_default();
    while let Some((node, depth)) = stack.pop() {
        out.push((node, depth));
        if let Some(below) = children.get(&Some(node.id)) {
            stack.extend(below.iter().map(|n| (*n, depth + 1)));
        }
    }
    out
}

fn tree_rows(order: &[(&Node, usize)], chosen: Option<NodeId>) -> Vec<TreeRow> {
    order
        .iter()
        .enumerate()
        .map(|(i, (node, depth))| {
            let next = order.get(i + 1).map_or(0, |(_, d)| *d);
            let has_children = next > *depth;
            let closes = if has_children {
                0
            } else {
                depth.saturating_sub(next)
            };
            TreeRow {
                id: node.id.to_string(),
                name: node.name.clone(),
                kind: node.kind.clone(),
                selected: Some(node.id) == chosen,
                has_children,
                closes: vec![(); closes],
            }
        })
        .collect()
}

/// The chosen node's panel, with the submitted values of a refused form if any.
fn selected(
    ctx: &muster_service::Ctx,
    node: &Node,
    order: &[(&Node, usize)],
    by_id: &HashMap<NodeId, &Node>,
    kinds: &[ReferenceItem],
    shown: &Shown,
) -> Selected {
    let mut path = Vec::new();
    let mut at = node.parent_id;
    while let Some(id) = at {
        let Some(parent) = by_id.get(&id) else { break };
        path.push((parent.id.to_string(), parent.name.clone()));
        at = parent.parent_id;
    }
    path.reverse();
    // The node and everything below it: never a new parent.
    let mut below: BTreeSet<NodeId> = BTreeSet::from([node.id]);
    for (n, _) in order {
        if n.parent_id.is_some_and(|p| below.contains(&p)) {
            below.insert(n.id);
        }
    }
    let edit = shown.edit.as_ref();
    let value = |name: &str, stored: &str| edit.map_or_else(|| stored.to_owned(), |f| f.text(name));
    let kind_value = value("kind", &node.kind);
    let parent_value = value(
        "parent_id",
        &node.parent_id.map(|p| p.to_string()).unwrap_or_default(),
    );
    let non_root_kinds = || kinds.iter().filter(|k| k.is_root != Some(true));
    let stored_address = node.address.clone().unwrap_or_default();
    let address = ADDRESS_PARTS
        .iter()
        .map(|&(key, label)| Part {
            key,
            label,
            value: value(
                &format!("address.{key}"),
                &address_part(&stored_address, key),
            ),
        })
        .collect();
    // A new child's kind: the one after this node's kind in the list, else the same.
    let position = kinds.iter().position(|k| k.name == node.kind);
    let suggested = position
        .and_then(|p| kinds.get(p + 1))
        .map_or_else(|| node.kind.clone(), |k| k.name.clone());
    let new_kind = shown.add.as_ref().map_or(suggested, |f| f.text("kind"));
    Selected {
        id: node.id.to_string(),
        name: node.name.clone(),
        kind: node.kind.clone(),
        version: node.version,
        is_root: node.parent_id.is_none(),
        path,
        children: order
            .iter()
            .filter(|(n, _)| n.parent_id == Some(node.id))
            .count(),
        editable: authz::can_on_node(ctx, Capability::OrgManage, node.id),
        form_name: value("name", &node.name),
        kinds: non_root_kinds()
            .map(|k| Choice {
                value: k.name.clone(),
                label: k.name.clone(),
                selected: k.name == kind_value,
            })
            .collect(),
        parents: order
            .iter()
            .filter(|(n, _)| !below.contains(&n.id))
            .map(|(n, depth)| Choice {
                value: n.id.to_string(),
                label: format!("{}{}", "\u{a0}\u{a0}\u{a0}".repeat(*depth), n.name),
                selected: n.id.to_string() == parent_value,
            })
            .collect(),
        address,
        new_name: shown
            .add
            .as_ref()
            .map(|f| f.text("name"))
            .unwrap_or_default(),
        new_kinds: non_root_kinds()
            .map(|k| Choice {
                value: k.name.clone(),
                label: k.name.clone(),
                selected: k.name == new_kind,
            })
            .collect(),
    }
}

fn address_part(address: &Address, key: &str) -> String {
    match key {
        "street" => address.street.clone(),
        "street2" => address.street2.clone(),
        "city" => address.city.clone(),
        "region" => address.region.clone(),
        "postal_code" => address.postal_code.clone(),
        _ => address.country.clone(),
    }
    .unwrap_or_default()
}

/// The address of a form: `None` when every part is empty (the organization's applies).
fn address_of(form: &FormFields) -> Option<Address> {
    let part = |key: &str| {
        let text = form.text(&format!("address.{key}"));
        (!text.is_empty()).then_some(text)
    };
    let address = Address {
        street: part("street"),
        street2: part("street2"),
        city: part("city"),
        region: part("region"),
        postal_code: part("postal_code"),
        country: part("country"),
    };
    (address != Address::default()).then_some(address)
}

fn tree_at(id: NodeId) -> String {
    format!("/console/org/tree?node={id}")
}

/// `POST /console/org/tree/nodes`: adds a child (`POST /api/v1/nodes`).
pub(crate) async fn create(
    State(state): State<AppState>,
    console: Console,
    form: FormFields,
) -> Response {
    let Ok(parent) = form.get("parent_id").parse::<NodeId>() else {
        return not_found().await;
    };
    let request = NewNode {
        name: form.text("name"),
        kind: form.text("kind"),
        parent_id: parent,
        address: None,
    };
    match nodes::create(&state.store, &console.ctx, request).await {
        Ok(node) => redirect_with(
            &tree_at(node.id),
            "success",
            &format!("Added {} \u{201c}{}\u{201d}.", node.kind, node.name),
        ),
        Err(error) => {
            let refusal = Refusal::of(error, &|f| {
                if f == "parent_id" {
                    "name".to_owned()
                } else {
                    f.to_owned()
                }
            });
            let shown = Shown {
                new_errors: refusal.errors.clone(),
                alert: refusal.alert.clone(),
                status: Some(refusal.status()),
                add: Some(form),
                ..Shown::default()
            };
            render(&state, console, Some(parent), shown).await
        }
    }
}

/// `POST /console/org/tree/nodes/{id}`: renames, re-kinds, moves or re-addresses a node
/// (`PATCH /api/v1/nodes/{id}`); only what changed is sent, so that an unchanged parent
/// is not re-checked.
pub(crate) async fn update(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    form: FormFields,
) -> Response {
    let Ok(id) = id.parse::<NodeId>() else {
        return not_found().await;
    };
    let before = match nodes::get(&state.store, &console.ctx, id).await {
        Ok(node) => node,
        Err(error) => return service_page(error),
    };
    let mut errors = FieldErrors::default();
    let kind = form.text("kind");
    let parent = form.text("parent_id");
    let new_parent = if before.parent_id.is_none() || parent.is_empty() {
        None
    } else if let Ok(p) = parent.parse::<NodeId>() {
        (Some(p) != before.parent_id).then_some(p)
    } else {
        errors.push("parent_id", "choose a parent");
        None
    };
    let patch = NodePatch {
        name: Some(form.text("name")),
        kind: (before.parent_id.is_some() && !kind.is_empty() && kind != before.kind)
            .then_some(kind),
        parent_id: new_parent,
        address: Some(address_of(&form)),
    };
    let result = if errors.is_empty() {
        nodes::update(&state.store, &console.ctx, id, form.version(), patch)
            .await
            .map_err(|e| Refusal::of(e, &str::to_owned))
    } else {
        Err(Refusal {
            status: StatusCode::UNPROCESSABLE_ENTITY.as_u16(),
            alert: None,
            errors,
        })
    };
    match result {
        Ok(node) => redirect_with(
            &tree_at(node.id),
            "success",
            &format!("Saved \u{201c}{}\u{201d}.", node.name),
        ),
        Err(refusal) => {
            let shown = Shown {
                errors: refusal.errors.clone(),
                alert: refusal.alert.clone(),
                status: Some(refusal.status()),
                edit: Some(form),
                ..Shown::default()
            };
            render(&state, console, Some(id), shown).await
        }
    }
}

/// `POST /console/org/tree/nodes/{id}/delete`: deletes an empty node once confirmed
/// (`DELETE /api/v1/nodes/{id}`).
pub(crate) async fn delete(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    form: FormFields,
) -> Response {
    let Ok(id) = id.parse::<NodeId>() else {
        return not_found().await;
    };
    if !form.has("confirm") {
        if let Some(refused) = refuse_unless_manager(&console) {
            return refused;
        }
        let shown = Shown {
            confirm_delete: true,
            ..Shown::default()
        };
        return render(&state, console, Some(id), shown).await;
    }
    let parent = nodes::get(&state.store, &console.ctx, id)
        .await
        .ok()
        .and_then(|n| n.parent_id);
    match nodes::delete(&state.store, &console.ctx, id, form.version()).await {
        Ok(()) => redirect_with(
            &parent.map_or_else(|| "/console/org/tree".to_owned(), tree_at),
            "success",
            "Deleted. The audit log keeps its history.",
        ),
        Err(error) => {
            let refusal = Refusal::of(error, &str::to_owned);
            let alert = refusal
                .alert
                .clone()
                .or_else(|| refusal.errors.get("id").map(|m| format!("{m}.")));
            let shown = Shown {
                alert,
                status: Some(refusal.status()),
                ..Shown::default()
            };
            render(&state, console, Some(id), shown).await
        }
    }
}
