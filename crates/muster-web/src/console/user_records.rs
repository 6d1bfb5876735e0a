//! The user page's personnel-record tabs: "Assignments & promotions" (promotions with
//! rank, unit and assignment, and service history) and "Records" (commendations,
//! discipline, feedback notes, performance reviews, related reports).
//!
//! One page serves every section: what it lists and which fields its form has come from
//! the section itself ([`RecordSection::uses`], the domain's own answer), so a section
//! added to the domain shows up here without a copy of its rules. Reads and writes are the
//! calls behind `/api/v1/users/{id}/records/{section}` (`muster_service::records`): a
//! section the caller may not view is absent (403 when asked for), one they may only view
//! is shown without forms, and a refused form comes back with the service's words next to
//! its fields.

use askama::Template;
use askama_web::WebTemplate;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use muster_domain::RecordId;
use muster_domain::records::{NewRecord, PersonnelRecord, RecordPatch, RecordSection};
use muster_domain::reference::{ReferenceItem, ReferenceList};
use muster_domain::user::User;
use muster_service::paging::PageRequest;
use muster_service::{Ctx, ServiceError, records, reference};
use serde::Deserialize;

use super::forms::{Choice, Lookups, Refusal, Submitted, choices, date, parse_id, present};
use super::page::{
    Chrome, Console, FieldErrors, error_response, redirect_with, see_other, service_page,
};
use super::user_page::{UserFrame, Viewed};
use crate::AppState;

/// Records listed per page.
const PAGE_SIZE: u32 = 50;

/// The sections of the "Assignments & promotions" tab.
const CAREER: [RecordSection; 2] = [RecordSection::Promotions, RecordSection::ServiceHistory];

/// A tab of the user page that holds record sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordTab {
    /// Promotions and service history: the history of a career.
    Career,
    /// Commendations, discipline, feedback, reviews and related reports.
    Records,
}

impl RecordTab {
    /// Every record tab, in the order the user page shows them.
    pub(crate) const ALL: [Self; 2] = [Self::Career, Self::Records];

    /// Its address below the user page.
    pub(crate) const fn key(self) -> &'static str {
        match self {
            Self::Career => "promotions",
            Self::Records => "records",
        }
    }

    /// Its label.
    pub(crate) const fn label(self) -> &'static str {
        match self {
            Self::Career => "Assignments & promotions",
            Self::Records => "Records",
        }
    }

    /// The sections it holds, in the order shown: the career's, and every other section
    /// the domain has under Records (so a new section appears without a change here).
    fn sections(self) -> impl Iterator<Item = RecordSection> {
        RecordSection::ALL
            .iter()
            .copied()
            .filter(move |s| Self::of(*s) == self)
    }

    /// The tab that holds `section`.
    fn of(section: RecordSection) -> Self {
        if CAREER.contains(&section) {
            Self::Career
        } else {
            Self::Records
        }
    }

    /// The first of its sections the caller may view on `user`'s page, if any.
    pub(crate) fn first_viewable(
        self,
        ctx: &Ctx,
        user: muster_domain::UserId,
    ) -> Option<RecordSection> {
        self.sections()
            .find(|s| records::may_view(ctx, user, *s).is_ok())
    }
}

/// How a section names itself and its fields.
struct Words {
    /// The sub-tab's label.
    label: &'static str,
    /// One record ("Add a …").
    noun: &'static str,
    /// The date's label.
    date: &'static str,
    /// The last day's label.
    ends_on: &'static str,
    /// The title's label.
    title: &'static str,
    /// The category's hint.
    category_hint: &'static str,
}

const fn words(section: RecordSection) -> Words {
    let plain = Words {
        label: "",
        noun: "",
        date: "Date",
        ends_on: "Last day",
        title: "Title",
        category_hint: "",
    };
    match section {
        RecordSection::Promotions => Words {
            label: "Promotions & assignments",
            noun: "promotion or assignment",
            date: "Effective date",
            title: "Title or order",
            ..plain
        },
        RecordSection::ServiceHistory => Words {
            label: "Service history",
            noun: "position",
            date: "Started",
            ends_on: "Ended",
            title: "Position and agency",
            ..plain
        },
        RecordSection::Commendations => Words {
            label: "Commendations & awards",
            noun: "commendation or award",
            title: "Award",
            category_hint: "Letter of appreciation, medal, unit citation…",
            ..plain
        },
        RecordSection::Discipline => Words {
            label: "Discipline",
            noun: "disciplinary action",
            ends_on: "Ends on",
            category_hint: "Verbal warning, written reprimand, suspension…",
            ..plain
        },
        RecordSection::FeedbackNotes => Words {
            label: "Feedback notes",
            noun: "feedback note",
            category_hint: "Praise, coaching, concern…",
            ..plain
        },
        RecordSection::PerformanceReviews => Words {
            label: "Performance reviews",
            noun: "performance review",
            category_hint: "Annual, probationary, mid-year…",
            ..plain
        },
        RecordSection::RelatedReports => Words {
            label: "Related reports",
            noun: "related report",
            ..plain
        },
    }
}

/// One sub-tab of a record tab.
struct SubTab {
    label: &'static str,
    href: String,
    current: bool,
}

/// A record as the list shows it.
struct RecordRow {
    id: String,
    version: i64,
    when: String,
    title: String,
    category: String,
    /// Section-specific values ("Rank: Sergeant").
    facts: Vec<(&'static str, String)>,
    notes: String,
    url: String,
    applied: bool,
}

/// The record form, as submitted or as drawn from a record.
#[derive(Debug, Clone, Default)]
struct RecordForm {
    /// Empty for a new record.
    id: String,
    version: i64,
    date: String,
    ends_on: String,
    title: String,
    category: String,
    notes: String,
    rating: String,
    rank_id: String,
    unit_id: String,
    assignment_type_id: String,
    apply: bool,
    /// When the promotion was applied (its date, rank and unit are then kept).
    applied_on: String,
    system: String,
    reference: String,
    url: String,
}

fn id_text<T: ToString>(id: Option<T>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

impl RecordForm {
    fn of(r: &PersonnelRecord) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            id: r.id.to_string(),
            version: r.version,
            date: r.date.to_string(),
            ends_on: id_text(r.ends_on),
            title: text(&r.title),
            category: text(&r.category),
            notes: text(&r.notes),
            rating: id_text(r.rating),
            rank_id: id_text(r.rank_id),
            unit_id: id_text(r.unit_id),
            assignment_type_id: id_text(r.assignment_type_id),
            apply: false,
            applied_on: r
                .applied_at
                .map(|a| a.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            system: text(&r.system),
            reference: text(&r.reference),
            url: text(&r.url),
        }
    }

    fn submitted(form: &Submitted) -> Self {
        let get = |name: &str| form.get(name).to_owned();
        Self {
            id: get("record_id"),
            version: form.get("version").parse().unwrap_or_default(),
            date: get("date"),
            ends_on: get("ends_on"),
            title: get("title"),
            category: get("category"),
            notes: get("notes"),
            rating: get("rating"),
            rank_id: get("rank_id"),
            unit_id: get("unit_id"),
            assignment_type_id: get("assignment_type_id"),
            apply: form.ticked("apply"),
            applied_on: String::new(),
            system: get("system"),
            reference: get("reference"),
            url: get("url"),
        }
    }
}

/// A form's content, read into the API's types; only the fields the section uses are
/// read, so a field of another section cannot be slipped in.
struct Parsed {
    date: Option<chrono::NaiveDate>,
    ends_on: Option<chrono::NaiveDate>,
    rating: Option<i64>,
    rank_id: Option<muster_domain::ReferenceItemId>,
    unit_id: Option<muster_domain::ReferenceItemId>,
    assignment_type_id: Option<muster_domain::ReferenceItemId>,
    text: [Option<String>; 6],
}

impl Parsed {
    fn read(section: RecordSection, form: &RecordForm, errors: &mut FieldErrors) -> Self {
        let date_of = |errors: &mut FieldErrors, field: &str, value: &str| {
            if section.uses(field) {
                date(errors, field, value)
            } else {
                None
            }
        };
        let id_of = |errors: &mut FieldErrors, field: &str, value: &str| {
            if section.uses(field) {
                parse_id(errors, field, value)
            } else {
                None
            }
        };
        let text_of = |field: &str, value: &str| {
            if section.uses(field) {
                present(value)
            } else {
                None
            }
        };
        let date_value = date(errors, "date", &form.date);
        if date_value.is_none() && !errors.has("date") {
            errors.push("date", "is required");
        }
        let rating = if section.uses("rating") {
            present(&form.rating).and_then(|r| {
                let parsed = r.parse().ok();
                if parsed.is_none() {
                    errors.push("rating", "choose a rating from 1 to 5");
                }
                parsed
            })
        } else {
            None
        };
        Self {
            date: date_value,
            ends_on: date_of(errors, "ends_on", &form.ends_on),
            rating,
            rank_id: id_of(errors, "rank_id", &form.rank_id),
            unit_id: id_of(errors, "unit_id", &form.unit_id),
            assignment_type_id: id_of(errors, "assignment_type_id", &form.assignment_type_id),
            text: [
                present(&form.title),
                text_of("category", &form.category),
                present(&form.notes),
                text_of("system", &form.system),
                text_of("reference", &form.reference),
                text_of("url", &form.url),
            ],
        }
    }

    fn new_record(self, apply: bool) -> NewRecord {
        let [title, category, notes, system, reference, url] = self.text;
        NewRecord {
            date: self.date,
            title,
            category,
            notes,
            ends_on: self.ends_on,
            rating: self.rating,
            rank_id: self.rank_id,
            unit_id: self.unit_id,
            assignment_type_id: self.assignment_type_id,
            apply,
            system,
            reference,
            url,
        }
    }

    /// A merge patch setting every field the section uses (blank ones cleared).
    fn patch(self, section: RecordSection, apply: bool) -> RecordPatch {
        let [title, category, notes, system, reference, url] = self.text;
        let used = |field: &str| section.uses(field);
        RecordPatch {
            date: Some(self.date),
            title: Some(title),
            category: set(used("category"), category),
            notes: Some(notes),
            ends_on: set(used("ends_on"), self.ends_on),
            rating: set(used("rating"), self.rating),
            rank_id: set(used("rank_id"), self.rank_id),
            unit_id: set(used("unit_id"), self.unit_id),
            assignment_type_id: set(used("assignment_type_id"), self.assignment_type_id),
            apply: apply.then_some(true),
            system: set(used("system"), system),
            reference: set(used("reference"), reference),
            url: set(used("url"), url),
        }
    }
}

/// A merge patch's value for a field: set (or cleared) when the section uses it, absent
/// otherwise.
#[allow(clippy::option_option)] // A merge patch's field: absent, null, or a value.
fn set<T>(used: bool, value: Option<T>) -> Option<Option<T>> {
    used.then_some(value)
}

/// The reference lists a record form offers.
struct Lists {
    ranks: Vec<ReferenceItem>,
    units: Vec<ReferenceItem>,
    assignment_types: Vec<ReferenceItem>,
}

impl Lists {
    async fn load(
        state: &AppState,
        ctx: &Ctx,
        section: RecordSection,
    ) -> Result<Self, ServiceError> {
        if !section.uses("rank_id") {
            return Ok(Self {
                ranks: Vec::new(),
                units: Vec::new(),
                assignment_types: Vec::new(),
            });
        }
        let lookups = Lookups::load(state, ctx).await?;
        let assignment_types = reference::list(
            &state.store,
            ctx,
            ReferenceList::AssignmentTypes,
            &PageRequest::first(500),
        )
        .await?
        .items;
        Ok(Self {
            ranks: lookups.ranks,
            units: lookups.units,
            assignment_types,
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "user_records.html")]
struct RecordsPage {
    chrome: Chrome,
    frame: UserFrame,
    section: &'static str,
    words: Words,
    sub_tabs: Vec<SubTab>,
    rows: Vec<RecordRow>,
    total: i64,
    next: String,
    can_edit: bool,
    form: RecordForm,
    /// Whether the form edits a record (else it adds one).
    editing: bool,
    errors: FieldErrors,
    refusal: Refusal,
    ranks: Vec<Choice>,
    units: Vec<Choice>,
    assignment_types: Vec<Choice>,
    ratings: Vec<Choice>,
    kind: RecordSection,
}

impl RecordsPage {
    /// Whether the section uses `field`.
    fn uses(&self, field: &str) -> bool {
        self.kind.uses(field)
    }

    /// The category's hint.
    fn category_hint(&self) -> &str {
        self.words.category_hint
    }

    /// Whether the section needs a title.
    fn title_required(&self) -> bool {
        self.kind.requires_title()
    }

    /// Whether the edited record is an applied promotion (date, rank and unit kept).
    fn applied(&self) -> bool {
        !self.form.applied_on.is_empty()
    }
}

fn row(section: RecordSection, record: &PersonnelRecord, lists: &Lists) -> RecordRow {
    let name = |items: &[ReferenceItem], id: Option<muster_domain::ReferenceItemId>| {
        Lookups::name_in(items, id.map(|i| i.as_uuid()))
    };
    let mut facts = Vec::new();
    if section.uses("rank_id") {
        facts.push(("Rank", name(&lists.ranks, record.rank_id)));
        facts.push(("Unit", name(&lists.units, record.unit_id)));
        facts.push((
            "Assignment",
            name(&lists.assignment_types, record.assignment_type_id),
        ));
    }
    if section.uses("rating") {
        facts.push((
            "Rating",
            record
                .rating
                .map(|r| format!("{r} of 5"))
                .unwrap_or_default(),
        ));
    }
    if section.uses("system") {
        facts.push(("System", record.system.clone().unwrap_or_default()));
        facts.push(("Reference", record.reference.clone().unwrap_or_default()));
    }
    facts.retain(|(_, v)| !v.is_empty());
    let when = match record.ends_on {
        Some(end) => format!("{} – {end}", record.date),
        None if section == RecordSection::ServiceHistory => format!("{} – present", record.date),
        None => record.date.to_string(),
    };
    RecordRow {
        id: record.id.to_string(),
        version: record.version,
        when,
        title: record.title.clone().unwrap_or_default(),
        category: record.category.clone().unwrap_or_default(),
        facts,
        notes: record.notes.clone().unwrap_or_default(),
        url: record.url.clone().unwrap_or_default(),
        applied: record.applied_at.is_some(),
    }
}

/// `?edit=` (the record whose form to open) and `?cursor=`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RecordsQuery {
    #[serde(default)]
    edit: String,
    #[serde(default)]
    cursor: String,
}

/// The section named in a path, if it is one.
fn section_of(raw: &str) -> Option<RecordSection> {
    raw.parse().ok()
}

/// The page for a section that does not exist.
fn no_such_section() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no such section of a person's file.",
    )
}

/// Renders `section` of `user`'s file, with `form` in the add or edit form.
#[allow(clippy::too_many_arguments)] // The page's subject, its form and where the list is.
async fn render(
    state: &AppState,
    console: Console,
    user: &User,
    section: RecordSection,
    form: Option<RecordForm>,
    query: &RecordsQuery,
    refusal: Refusal,
    submitted: Option<&Submitted>,
) -> Response {
    let (edit, cursor) = (query.edit.as_str(), query.cursor.as_str());
    let ctx = &console.ctx;
    let request = match PageRequest::new(Some(PAGE_SIZE), present(cursor)) {
        Ok(request) => request,
        Err(error) => return service_page(error.into()),
    };
    let page = match records::list(&state.store, ctx, user.id, section, &request).await {
        Ok(page) => page,
        Err(error) => return service_page(error),
    };
    let lists = match Lists::load(state, ctx, section).await {
        Ok(lists) => lists,
        Err(error) => return service_page(error),
    };
    let can_edit = records::can_edit(ctx, user.id, section);
    let form = match form {
        Some(form) => form,
        None if !edit.is_empty() => {
            let Ok(id) = edit.parse::<uuid::Uuid>() else {
                return service_page(ServiceError::NotFound("record"));
            };
            match records::get(&state.store, ctx, user.id, section, RecordId::from_uuid(id)).await {
                Ok(record) => RecordForm::of(&record),
                Err(error) => return service_page(error),
            }
        }
        None => RecordForm::default(),
    };
    let tab = RecordTab::of(section);
    let base = format!("/console/users/{}/records", user.id);
    let sub_tabs = tab
        .sections()
        .filter(|s| records::may_view(ctx, user.id, *s).is_ok())
        .map(|s| SubTab {
            label: words(s).label,
            href: format!("{base}/{s}"),
            current: s == section,
        })
        .collect();
    let next = page.next_cursor.map_or_else(String::new, |c| {
        let c: String = form_urlencoded::byte_serialize(c.as_bytes()).collect();
        format!("{base}/{section}?cursor={c}")
    });
    let reference_choices = |items: &[ReferenceItem], chosen: &str| {
        Lookups::reference(items, &[chosen.to_owned()], "— none —")
    };
    let action = format!("{base}/{section}");
    let frame = UserFrame::load(state, ctx, user, tab.key()).await;
    let frame = match submitted {
        Some(submitted) => frame.confirming(&refusal, &action, submitted),
        None => frame,
    };
    let status = refusal.status();
    let page = RecordsPage {
        frame,
        section: section.as_str(),
        words: words(section),
        sub_tabs,
        rows: page.items.iter().map(|r| row(section, r, &lists)).collect(),
        total: page.total,
        next,
        can_edit,
        editing: !form.id.is_empty(),
        ranks: reference_choices(&lists.ranks, &form.rank_id),
        units: reference_choices(&lists.units, &form.unit_id),
        assignment_types: reference_choices(&lists.assignment_types, &form.assignment_type_id),
        ratings: choices(
            (1..=5)
                .zip(RATINGS)
                .map(|(r, label)| (r.to_string(), label)),
            std::slice::from_ref(&form.rating),
            Some("— no rating —"),
        ),
        form,
        errors: refusal.fields.clone(),
        refusal: if refusal.confirm {
            Refusal::default()
        } else {
            refusal
        },
        kind: section,
        chrome: console.chrome.page("users", words(section).label),
    };
    (status, page).into_response()
}

/// The ratings offered, from 1 to 5.
const RATINGS: [&str; 5] = [
    "1 — unsatisfactory",
    "2 — needs improvement",
    "3 — meets expectations",
    "4 — exceeds expectations",
    "5 — outstanding",
];

/// `GET /console/users/{id}/promotions`: the "Assignments & promotions" tab.
pub(crate) async fn career(viewed: Viewed) -> Response {
    open_tab(&viewed, RecordTab::Career)
}

/// `GET /console/users/{id}/records`: the "Records" tab.
pub(crate) async fn records_tab(viewed: Viewed) -> Response {
    open_tab(&viewed, RecordTab::Records)
}

/// The tab's first section the caller may view (403 when there is none).
fn open_tab(viewed: &Viewed, tab: RecordTab) -> Response {
    let user = viewed.user.id;
    match tab.first_viewable(&viewed.console.ctx, user) {
        Some(section) => see_other(&format!("/console/users/{user}/records/{section}")),
        None => error_response(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "Your command group holds no privilege to view these sections of this person's \
             file.",
        ),
    }
}

/// `GET /console/users/{id}/records/{section}`: the section's records; `?edit=` opens
/// one in the form.
pub(crate) async fn section(
    State(state): State<AppState>,
    Viewed { console, user }: Viewed,
    Path((_, raw)): Path<(String, String)>,
    Query(query): Query<RecordsQuery>,
) -> Response {
    let Some(section) = section_of(&raw) else {
        return no_such_section();
    };
    render(
        &state,
        console,
        &user,
        section,
        None,
        &query,
        Refusal::default(),
        None,
    )
    .await
}

/// `POST /console/users/{id}/records/{section}`: adds a record (no `record_id`), saves
/// one, or removes it (`action=delete`).
pub(crate) async fn save(
    State(state): State<AppState>,
    viewed: Viewed,
    Path((_, raw)): Path<(String, String)>,
    submitted: Submitted,
) -> Response {
    let Some(section) = section_of(&raw) else {
        return no_such_section();
    };
    let Viewed { console, user } = viewed.confirming(&submitted);
    let ctx = &console.ctx;
    let store = &state.store;
    let back = format!("/console/users/{}/records/{section}", user.id);
    let mut errors = FieldErrors::default();
    let record: Option<RecordId> = parse_id(&mut errors, "record_id", submitted.get("record_id"));
    let version = submitted.get("version").parse().ok().filter(|v| *v > 0);
    let noun = words(section).noun;
    if let (Some(id), "delete") = (record, submitted.get("action")) {
        return remove(&state, console, &user, section, id, &submitted).await;
    }
    // An applied promotion keeps its date, rank and unit: its form shows them locked
    // (and so does not send them), and they stay as they are.
    let applied = match record {
        Some(id) => records::get(store, ctx, user.id, section, id)
            .await
            .ok()
            .filter(|r| r.applied_at.is_some()),
        None => None,
    };
    let mut form = RecordForm::submitted(&submitted);
    if let Some(kept) = applied.as_ref().map(RecordForm::of) {
        form.applied_on = kept.applied_on;
        form.date = kept.date;
        form.rank_id = kept.rank_id;
        form.unit_id = kept.unit_id;
    }
    let parsed = Parsed::read(section, &form, &mut errors);
    let apply = section.uses("apply") && form.apply;
    let query = RecordsQuery::default();
    if !errors.is_empty() {
        return render(
            &state,
            console,
            &user,
            section,
            Some(form),
            &query,
            Refusal::fields(errors),
            None,
        )
        .await;
    }
    let result = match record {
        Some(id) => records::update(
            store,
            ctx,
            user.id,
            section,
            id,
            version,
            parsed.patch(section, apply),
        )
        .await
        .map(|_| format!("The {noun} was saved.")),
        None => records::create(store, ctx, user.id, section, parsed.new_record(apply))
            .await
            .map(|_| format!("The {noun} was added.")),
    };
    match result {
        Ok(note) if apply => redirect_with(
            &back,
            "success",
            &format!("{note} It is now their current rank and unit."),
        ),
        Ok(note) => redirect_with(&back, "success", &note),
        Err(error) => {
            let refusal = Refusal::of(error, &|f| f.to_owned());
            render(
                &state,
                console,
                &user,
                section,
                Some(form),
                &query,
                refusal,
                Some(&submitted),
            )
            .await
        }
    }
}

/// Removes record `id` (the `action=delete` of a row's form), back on the section with a
/// toast; the multi-location confirmation is asked as a dialog.
async fn remove(
    state: &AppState,
    console: Console,
    user: &User,
    section: RecordSection,
    id: RecordId,
    submitted: &Submitted,
) -> Response {
    let back = format!("/console/users/{}/records/{section}", user.id);
    let version = submitted.get("version").parse().ok().filter(|v| *v > 0);
    let noun = words(section).noun;
    match records::delete(&state.store, &console.ctx, user.id, section, id, version).await {
        Ok(()) => redirect_with(&back, "success", &format!("The {noun} was removed.")),
        Err(error) => {
            let refusal = Refusal::of(error, &|f| f.to_owned());
            if refusal.confirm {
                let query = RecordsQuery::default();
                return render(
                    state,
                    console,
                    user,
                    section,
                    None,
                    &query,
                    refusal,
                    Some(submitted),
                )
                .await;
            }
            redirect_with(&back, "error", &refusal.message.unwrap_or_default())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_is_on_exactly_one_tab_and_named() {
        for section in RecordSection::ALL {
            let tabs = RecordTab::ALL
                .iter()
                .filter(|t| t.sections().any(|s| s == *section))
                .count();
            assert_eq!(tabs, 1, "{section}");
            assert!(!words(*section).label.is_empty(), "{section}");
            assert!(!words(*section).noun.is_empty(), "{section}");
        }
        assert_eq!(
            RecordTab::Career.sections().collect::<Vec<_>>(),
            CAREER.to_vec()
        );
    }

    #[test]
    fn a_patch_sets_only_the_fields_the_section_uses() {
        let mut errors = FieldErrors::default();
        let form = RecordForm {
            date: "2025-01-02".to_owned(),
            title: "Reprimand".to_owned(),
            rating: "4".to_owned(),
            ends_on: "2025-02-01".to_owned(),
            ..RecordForm::default()
        };
        let parsed = Parsed::read(RecordSection::Discipline, &form, &mut errors);
        assert!(errors.is_empty());
        let patch = parsed.patch(RecordSection::Discipline, false);
        assert_eq!(patch.rating, None, "discipline has no rating: left out");
        assert_eq!(
            patch.category,
            Some(None),
            "a blank field it uses is cleared"
        );
        assert_eq!(
            patch.ends_on,
            Some(chrono::NaiveDate::from_ymd_opt(2025, 2, 1))
        );
        assert_eq!(patch.apply, None);
    }
}
