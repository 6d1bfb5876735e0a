//! What the console's forms share: reading submitted text leniently into the API's
//! request types, the option lists of selects (reference lists, locations, roles, command
//! groups), and turning a service's refusal into inline field errors or one message.
//!
//! Forms never decide anything: they build the same request the JSON API takes and hand
//! it to the same service function, so a refusal is the service's, word for word.

use axum::Form;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use muster_domain::hierarchy::CommandGroup;
use muster_domain::nodes::Node;
use muster_domain::reference::{ReferenceItem, ReferenceList};
use muster_domain::roles::Role;
use muster_service::paging::PageRequest;
use muster_service::{Ctx, ServiceError, hierarchy, nodes, reference, roles};

use super::page::{FieldErrors, capitalize};
use crate::AppState;
use crate::problem::Problem;

/// One option of a select, or one box of a group of checkboxes.
#[derive(Debug, Clone)]
pub(crate) struct Choice {
    /// The submitted value.
    pub(crate) value: String,
    /// What the user reads.
    pub(crate) label: String,
    /// Whether it is chosen.
    pub(crate) selected: bool,
}

impl Choice {
    /// A choice of `value` labelled `label`, selected when `value` is among `chosen`.
    pub(crate) fn new(
        value: impl Into<String>,
        label: impl Into<String>,
        chosen: &[String],
    ) -> Self {
        let value = value.into();
        let selected = chosen.contains(&value);
        Self {
            value,
            label: label.into(),
            selected,
        }
    }
}

/// The choices of `items` (`(value, label)`), with `chosen` selected, after an empty
/// "— none —" choice when `blank` is given.
pub(crate) fn choices<'a>(
    items: impl IntoIterator<Item = (String, &'a str)>,
    chosen: &[String],
    blank: Option<&str>,
) -> Vec<Choice> {
    let mut out: Vec<Choice> = blank
        .map(|label| Choice::new("", label, chosen))
        .into_iter()
        .collect();
    out.extend(
        items
            .into_iter()
            .map(|(value, label)| Choice::new(value, label, chosen)),
    );
    out
}

/// The organization's lists a user form offers: reference lists, locations, roles and
/// command groups, each in display order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lookups {
    /// Titles.
    pub(crate) titles: Vec<ReferenceItem>,
    /// Ranks.
    pub(crate) ranks: Vec<ReferenceItem>,
    /// Units.
    pub(crate) units: Vec<ReferenceItem>,
    /// Specialties.
    pub(crate) specialties: Vec<ReferenceItem>,
    /// Separation statuses.
    pub(crate) separation_statuses: Vec<ReferenceItem>,
    /// The tree's nodes, depth first in name order, with their depth.
    pub(crate) nodes: Vec<(Node, usize)>,
    /// Roles.
    pub(crate) roles: Vec<Role>,
    /// Command groups, depth first, with their depth.
    pub(crate) groups: Vec<(CommandGroup, usize)>,
}

/// The most items of one list a form offers.
const LIST_MAX: u32 = 500;

impl Lookups {
    /// Loads every list (each readable by any member of the organization).
    pub(crate) async fn load(state: &AppState, ctx: &Ctx) -> Result<Self, ServiceError> {
        let page = PageRequest::first(LIST_MAX);
        let list = |which| reference::list(&state.store, ctx, which, &page);
        let titles = list(ReferenceList::Titles).await?.items;
        let ranks = list(ReferenceList::Ranks).await?.items;
        let units = list(ReferenceList::Units).await?.items;
        let specialties = list(ReferenceList::Specialties).await?.items;
        let separation_statuses = list(ReferenceList::SeparationStatuses).await?.items;
        let all_nodes = nodes::list(&state.store, ctx, &page).await?.items;
        let mut roles = roles::list(&state.store, ctx, &page).await?.items;
        roles.sort_by_key(|r| r.name.to_lowercase());
        let all_groups = hierarchy::list(&state.store, ctx, &page).await?.items;
        Ok(Self {
            titles,
            ranks,
            units,
            specialties,
            separation_statuses,
            nodes: depth_first(all_nodes, |n| n.id, |n| n.parent_id, |n| n.name.clone()),
            roles,
            groups: depth_first(all_groups, |g| g.id, |g| g.parent_id, |g| g.name.clone()),
        })
    }

    /// The choices of a reference list.
    pub(crate) fn reference(
        items: &[ReferenceItem],
        chosen: &[String],
        blank: &str,
    ) -> Vec<Choice> {
        choices(
            items.iter().map(|i| (i.id.to_string(), i.name.as_str())),
            chosen,
            Some(blank),
        )
    }

    /// The nodes at and below `within` (every node when `None`), indented by depth
    /// relative to it: where the caller can place people.
    pub(crate) fn node_choices_within(
        &self,
        within: Option<muster_domain::NodeId>,
        chosen: &[String],
    ) -> Vec<Choice> {
        let start = within.and_then(|w| self.nodes.iter().position(|(n, _)| n.id == w));
        let subtree: Vec<(String, String)> = match start {
            None => self
                .nodes
                .iter()
                .map(|(n, depth)| (n.id.to_string(), indent(&n.name, *depth)))
                .collect(),
            Some(start) => {
                let top = self.nodes[start].1;
                self.nodes[start..]
                    .iter()
                    .enumerate()
                    .take_while(|(i, (_, depth))| *i == 0 || *depth > top)
                    .map(|(_, (n, depth))| (n.id.to_string(), indent(&n.name, depth - top)))
                    .collect()
            }
        };
        choices(
            subtree.iter().map(|(v, l)| (v.clone(), l.as_str())),
            chosen,
            Some("— choose a location —"),
        )
    }

    /// Every role.
    pub(crate) fn role_choices(&self, chosen: &[String], blank: Option<&str>) -> Vec<Choice> {
        choices(
            self.roles
                .iter()
                .map(|r| (r.id.to_string(), r.name.as_str())),
            chosen,
            blank,
        )
    }

    /// Every command group, indented by depth.
    pub(crate) fn group_choices(&self, chosen: &[String]) -> Vec<Choice> {
        let labels: Vec<(String, String)> = self
            .groups
            .iter()
            .map(|(g, depth)| (g.id.to_string(), indent(&g.name, *depth)))
            .collect();
        choices(
            labels.iter().map(|(v, l)| (v.clone(), l.as_str())),
            chosen,
            Some("— none —"),
        )
    }

    /// The name of reference item `id` in `items`.
    pub(crate) fn name_in(items: &[ReferenceItem], id: Option<uuid::Uuid>) -> String {
        id.and_then(|id| items.iter().find(|i| i.id == id))
            .map(|i| i.name.clone())
            .unwrap_or_default()
    }

    /// The name of command group `id`.
    pub(crate) fn group_name(&self, id: Option<muster_domain::CommandGroupId>) -> String {
        id.and_then(|id| self.groups.iter().find(|(g, _)| g.id == id))
            .map(|(g, _)| g.name.clone())
            .unwrap_or_default()
    }
}

/// `name` indented by `depth` non-breaking spaces (selects cannot be styled per option).
fn indent(name: &str, depth: usize) -> String {
    format!("{}{name}", "\u{a0}\u{a0}\u{a0}".repeat(depth))
}

/// `items` of a tree in depth-first order (children by name), each with its depth.
fn depth_first<T, I: PartialEq + Copy>(
    items: Vec<T>,
    id: impl Fn(&T) -> I,
    parent: impl Fn(&T) -> Option<I>,
    name: impl Fn(&T) -> String,
) -> Vec<(T, usize)> {
    let mut rest: Vec<Option<T>> = items.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(rest.len());
    // Roots first; an item whose parent is missing is treated as a root.
    let ids: Vec<I> = rest.iter().flatten().map(&id).collect();
    let mut stack: Vec<(usize, usize)> = Vec::new();
    let mut roots: Vec<usize> = rest
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            t.as_ref()
                .is_some_and(|t| parent(t).is_none_or(|p| !ids.contains(&p)))
        })
        .map(|(i, _)| i)
        .collect();
    let key = |rest: &[Option<T>], i: usize| rest[i].as_ref().map(&name).unwrap_or_default();
    roots.sort_by_key(|&i| std::cmp::Reverse(key(&rest, i).to_lowercase()));
    stack.extend(roots.into_iter().map(|i| (i, 0)));
    while let Some((i, depth)) = stack.pop() {
        let Some(item) = rest[i].take() else { continue };
        let me = id(&item);
        let mut children: Vec<usize> = rest
            .iter()
            .enumerate()
            .filter(|(_, t)| t.as_ref().is_some_and(|t| parent(t) == Some(me)))
            .map(|(i, _)| i)
            .collect();
        children.sort_by_key(|&c| std::cmp::Reverse(key(&rest, c).to_lowercase()));
        stack.extend(children.into_iter().map(|c| (c, depth + 1)));
        out.push((item, depth));
    }
    out
}

/// Submitted text, trimmed; `None` when empty.
pub(crate) fn present(value: &str) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// A submitted date (`YYYY-MM-DD`, as date inputs send it); an error on `field` when it
/// is not one.
pub(crate) fn date(errors: &mut FieldErrors, field: &str, value: &str) -> Option<NaiveDate> {
    let value = present(value)?;
    let parsed = NaiveDate::parse_from_str(&value, "%Y-%m-%d").ok();
    if parsed.is_none() {
        errors.push(field, "enter a date like 2026-12-31");
    }
    parsed
}

/// A submitted id; an error on `field` when it is not one.
pub(crate) fn parse_id<T: From<uuid::Uuid>>(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
) -> Option<T> {
    let value = present(value)?;
    let parsed = uuid::Uuid::parse_str(&value).ok().map(T::from);
    if parsed.is_none() {
        errors.push(field, "choose one of the options");
    }
    parsed
}

/// Whether a checkbox was ticked.
pub(crate) fn ticked(value: Option<&String>) -> bool {
    value.is_some_and(|v| matches!(v.as_str(), "1" | "on" | "true" | "yes"))
}

/// A refusal shown on a form: the message above it, and the fields at fault. `rename`
/// maps the API's field names to the form's.
#[derive(Debug, Clone, Default)]
pub(crate) struct Refusal {
    /// The message above the form.
    pub(crate) message: Option<String>,
    /// Errors next to fields.
    pub(crate) fields: FieldErrors,
    /// Whether the multi-location confirmation was asked for.
    pub(crate) confirm: bool,
    /// The HTTP status of the refusal (the problem's; 422 for the form's own findings).
    code: u16,
}

impl Refusal {
    /// The refusal of a service error.
    pub(crate) fn of(error: ServiceError, rename: &dyn Fn(&str) -> String) -> Self {
        if let ServiceError::ConfirmationRequired(why) = &error {
            // The console asks in a dialog rather than with `confirm=true`.
            return Self {
                message: Some(capitalize(why)),
                fields: FieldErrors::default(),
                confirm: true,
                code: 200,
            };
        }
        Self::of_problem(&Problem::from(error), rename)
    }

    /// The refusal of a problem the web layer answered itself (an upload too large or
    /// malformed) or a service's, as the API would send it.
    pub(crate) fn of_problem(problem: &Problem, rename: &dyn Fn(&str) -> String) -> Self {
        let fields = FieldErrors::from_problem(problem, rename);
        let message = if fields.is_empty() || problem.status != 422 {
            Some(capitalize(&problem.detail))
        } else {
            Some("Some fields need your attention.".to_owned())
        };
        Self {
            message,
            fields,
            confirm: false,
            code: problem.status,
        }
    }

    /// A refusal made of field errors the form found itself.
    pub(crate) fn fields(fields: FieldErrors) -> Self {
        Self {
            message: Some("Some fields need your attention.".to_owned()),
            fields,
            confirm: false,
            code: 422,
        }
    }

    /// The status of the page that shows this refusal: 200 when there is none (or only
    /// the confirmation to ask), else the refusal's own.
    pub(crate) fn status(&self) -> axum::http::StatusCode {
        if self.message.is_none() || self.confirm {
            axum::http::StatusCode::OK
        } else {
            axum::http::StatusCode::from_u16(self.code)
                .unwrap_or(axum::http::StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

/// The API's field names as the forms name them: `placements[0].node_id` → `node_id`,
/// `address.city` → `address_city`, `phones[1].number` → `phone1_number`.
pub(crate) fn form_field(api: &str) -> String {
    if let Some(rest) = api.strip_prefix("placements[0].") {
        return rest.to_owned();
    }
    if let Some(rest) = api.strip_prefix("phones[")
        && let Some((index, field)) = rest.split_once("].")
    {
        return format!("phone{index}_{field}");
    }
    api.replace('.', "_")
}

/// A submitted form, as its name–value pairs (a name may repeat: groups of checkboxes).
#[derive(Debug, Clone, Default)]
pub(crate) struct Submitted(Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for Submitted {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Form(pairs) = Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self(pairs))
    }
}

impl Submitted {
    /// The pairs of a form body.
    #[cfg(test)]
    pub(crate) fn new(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    /// Every name–value pair, in order.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// The first value of `name`, or "" when the form has none.
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Whether the form has a field `name` at all (disabled fields are not sent).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    /// Every value of `name`.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether checkbox `name` was ticked.
    pub(crate) fn ticked(&self, name: &str) -> bool {
        ticked(self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v))
    }

    /// A checkbox (or group of checkboxes) the form showed enabled: whether `name` was
    /// ticked; `None` when the form did not offer it (see `macros.html`).
    pub(crate) fn flag(&self, name: &str) -> Option<bool> {
        self.has(&format!("{name}__present"))
            .then(|| self.ticked(name))
    }

    /// `present(get(name))`.
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        present(self.get(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_fields_map_to_form_fields() {
        assert_eq!(form_field("placements[0].node_id"), "node_id");
        assert_eq!(form_field("phones[1].number"), "phone1_number");
        assert_eq!(form_field("address.city"), "address_city");
        assert_eq!(form_field("login"), "login");
    }

    #[test]
    fn trees_are_listed_depth_first_in_name_order() {
        let items = vec![
            (1, None, "Root"),
            (3, Some(1), "b child"),
            (2, Some(1), "A child"),
            (4, Some(2), "grandchild"),
            (5, Some(9), "orphan"),
        ];
        let ordered = depth_first(items, |t| t.0, |t| t.1, |t| t.2.to_owned());
        let names: Vec<(&str, usize)> = ordered.iter().map(|(t, d)| (t.2, *d)).collect();
        assert_eq!(
            names,
            [
                ("orphan", 0),
                ("Root", 0),
                ("A child", 1),
                ("grandchild", 2),
                ("b child", 1)
            ]
        );
    }

    #[test]
    fn dates_and_ids_are_read_leniently_with_field_errors() {
        let mut errors = FieldErrors::default();
        assert_eq!(date(&mut errors, "hire_date", " "), None);
        assert!(errors.is_empty());
        assert_eq!(
            date(&mut errors, "hire_date", "2026-02-03"),
            NaiveDate::from_ymd_opt(2026, 2, 3)
        );
        assert_eq!(date(&mut errors, "hire_date", "03/02/2026"), None);
        assert!(errors.has("hire_date"));
        let parsed: Option<uuid::Uuid> = parse_id(&mut errors, "rank_id", "nope");
        assert_eq!(parsed, None);
        assert!(errors.has("rank_id"));
    }
}
