//! Personnel records: the dated, authored entries of a person's file — commendations and
//! awards, discipline, feedback notes, performance reviews, promotions and assignments,
//! service history and related reports (DESIGN.md §1).
//!
//! Every section shares one shape ([`PersonnelRecord`]): a date, a title, a category and
//! notes, plus the few fields only some sections use (a promotion's rank and unit, a
//! related report's link). [`check`] holds the per-section rules — which fields apply, which
//! are required, which dates may lie in the future — so the API and the console refuse the
//! same input with the same words.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::hierarchy::Section;
use crate::validation::{ValidationErrors, date_in_range, text};
use crate::{RecordId, ReferenceItemId, UserId};

/// Longest title accepted.
pub const TITLE_MAX: usize = 200;
/// Longest category accepted.
pub const CATEGORY_MAX: usize = 100;
/// Longest notes accepted (a performance review's text fits).
pub const NOTES_MAX: usize = 20_000;
/// Longest name of another system accepted.
pub const SYSTEM_MAX: usize = 100;
/// Longest reference into another system accepted.
pub const REFERENCE_MAX: usize = 200;
/// Longest link accepted.
pub const URL_MAX: usize = 2000;
/// Lowest performance rating.
pub const RATING_MIN: i64 = 1;
/// Highest performance rating.
pub const RATING_MAX: i64 = 5;

wire_enum!(
    /// A section of a person's file that holds records (`/users/{id}/records/{section}`).
    RecordSection {
        /// Commendations and awards.
        Commendations = "commendations",
        /// Discipline.
        Discipline = "discipline",
        /// Feedback notes.
        FeedbackNotes = "feedback_notes",
        /// Performance reviews.
        PerformanceReviews = "performance_reviews",
        /// Promotions and assignments: the history of a career.
        Promotions = "promotions",
        /// Service history (earlier positions and agencies).
        ServiceHistory = "service_history",
        /// Links to records in other systems.
        RelatedReports = "related_reports",
    }
);

impl RecordSection {
    /// The command-hierarchy section whose privileges govern it.
    #[must_use]
    pub const fn privilege(self) -> Section {
        match self {
            Self::Commendations => Section::Commendations,
            Self::Discipline => Section::Discipline,
            Self::FeedbackNotes => Section::FeedbackNotes,
            Self::PerformanceReviews => Section::PerformanceReviews,
            Self::Promotions => Section::Promotions,
            Self::ServiceHistory => Section::ServiceHistory,
            Self::RelatedReports => Section::RelatedReports,
        }
    }

    /// Whether `field` (a [`RecordDraft`] field other than `date` and `notes`) applies.
    #[must_use]
    pub fn uses(self, field: &str) -> bool {
        match field {
            "title" | "date" | "notes" => true,
            "category" => matches!(
                self,
                Self::Commendations
                    | Self::Discipline
                    | Self::FeedbackNotes
                    | Self::PerformanceReviews
            ),
            "ends_on" => matches!(self, Self::Discipline | Self::ServiceHistory),
            "rating" => self == Self::PerformanceReviews,
            "rank_id" | "unit_id" | "assignment_type_id" | "apply" => self == Self::Promotions,
            "system" | "reference" | "url" => self == Self::RelatedReports,
            _ => false,
        }
    }

    /// Whether the section needs a title.
    #[must_use]
    pub const fn requires_title(self) -> bool {
        !matches!(self, Self::FeedbackNotes | Self::Promotions)
    }
}

/// One record of a person's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PersonnelRecord {
    /// Its id.
    #[schema(value_type = uuid::Uuid)]
    pub id: RecordId,
    /// The person whose file it is in.
    #[schema(value_type = uuid::Uuid)]
    pub user_id: UserId,
    /// Its section.
    pub section: RecordSection,
    /// When it happened (`YYYY-MM-DD`): the award, the incident, the review, the effective
    /// date of a promotion, the start of a position.
    pub date: NaiveDate,
    /// What it is ("Medal of Valor", "Annual review 2026", "Patrol Officer, Bay City PD").
    pub title: Option<String>,
    /// Org-chosen kind ("Letter of appreciation", "Written reprimand"); commendations,
    /// discipline, feedback notes and performance reviews.
    pub category: Option<String>,
    /// Free text.
    pub notes: Option<String>,
    /// Last day (a suspension's, a position's); discipline and service history.
    pub ends_on: Option<NaiveDate>,
    /// Rating from 1 to 5; performance reviews.
    pub rating: Option<i64>,
    /// Rank the person was promoted to (the `ranks` list); promotions.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub rank_id: Option<ReferenceItemId>,
    /// Unit the person was assigned to (the `units` list); promotions.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub unit_id: Option<ReferenceItemId>,
    /// Kind of assignment (the `assignment_types` list); promotions.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub assignment_type_id: Option<ReferenceItemId>,
    /// When the promotion was applied to the person's current rank and unit; promotions.
    pub applied_at: Option<DateTime<Utc>>,
    /// The other system the report lives in ("CAD", "RMS"); related reports.
    pub system: Option<String>,
    /// The report's number or id there; related reports.
    pub reference: Option<String>,
    /// A link to the report (`http` or `https`); related reports.
    pub url: Option<String>,
    /// Who wrote it.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub author_id: Option<UserId>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Who changed it last.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub updated_by_id: Option<UserId>,
    /// When it was changed last.
    pub updated_at: DateTime<Utc>,
    /// Version for optimistic concurrency; also sent as the `ETag`.
    pub version: i64,
}

/// `POST /users/{id}/records/{section}`. Fields that do not apply to the section are
/// refused (422).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRecord {
    /// When it happened; not in the future, except for promotions not applied yet.
    #[serde(default, deserialize_with = "crate::validation::date")]
    pub date: Option<NaiveDate>,
    /// Title, up to 200 characters; required except for feedback notes and promotions.
    #[serde(default)]
    pub title: Option<String>,
    /// Category, up to 100 characters.
    #[serde(default)]
    pub category: Option<String>,
    /// Notes, up to 20000 characters; required for feedback notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// Last day; not before `date`.
    #[serde(default, deserialize_with = "crate::validation::date")]
    pub ends_on: Option<NaiveDate>,
    /// Rating 1–5.
    #[serde(default)]
    pub rating: Option<i64>,
    /// Rank (promotions; at least one of rank, unit and assignment type).
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub rank_id: Option<ReferenceItemId>,
    /// Unit (promotions).
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub unit_id: Option<ReferenceItemId>,
    /// Assignment type (promotions).
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub assignment_type_id: Option<ReferenceItemId>,
    /// Promotions: also set the person's current rank and unit to this record's (in the
    /// same transaction). The date must not be in the future.
    #[serde(default)]
    pub apply: bool,
    /// The other system (related reports; required there).
    #[serde(default)]
    pub system: Option<String>,
    /// The report's number or id there.
    #[serde(default)]
    pub reference: Option<String>,
    /// A link to it (`http` or `https`).
    #[serde(default)]
    pub url: Option<String>,
}

/// `PATCH /users/{id}/records/{section}/{record_id}` (JSON merge patch). `null` clears an
/// optional field. An applied promotion keeps its date, rank and unit.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(clippy::option_option)] // A merge patch's fields: absent, null, or a value.
pub struct RecordPatch {
    /// New date.
    #[serde(default, deserialize_with = "crate::patch::nullable_date")]
    #[schema(value_type = Option<String>, format = Date)]
    pub date: Option<Option<NaiveDate>>,
    /// New title.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    /// New category.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub category: Option<Option<String>>,
    /// New notes.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    /// New last day.
    #[serde(default, deserialize_with = "crate::patch::nullable_date")]
    #[schema(value_type = Option<String>, format = Date)]
    pub ends_on: Option<Option<NaiveDate>>,
    /// New rating.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<i64>)]
    pub rating: Option<Option<i64>>,
    /// New rank.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub rank_id: Option<Option<ReferenceItemId>>,
    /// New unit.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub unit_id: Option<Option<ReferenceItemId>>,
    /// New assignment type.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub assignment_type_id: Option<Option<ReferenceItemId>>,
    /// `true`: apply a promotion not applied yet.
    #[serde(default)]
    pub apply: Option<bool>,
    /// New system.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub system: Option<Option<String>>,
    /// New reference.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub reference: Option<Option<String>>,
    /// New link.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub url: Option<Option<String>>,
}

/// A record's content as it will be stored: what [`check`] validates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordDraft {
    /// When it happened (required).
    pub date: Option<NaiveDate>,
    /// Title.
    pub title: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Last day.
    pub ends_on: Option<NaiveDate>,
    /// Rating.
    pub rating: Option<i64>,
    /// Rank.
    pub rank_id: Option<ReferenceItemId>,
    /// Unit.
    pub unit_id: Option<ReferenceItemId>,
    /// Assignment type.
    pub assignment_type_id: Option<ReferenceItemId>,
    /// Other system.
    pub system: Option<String>,
    /// Reference there.
    pub reference: Option<String>,
    /// Link.
    pub url: Option<String>,
}

impl From<&NewRecord> for RecordDraft {
    fn from(r: &NewRecord) -> Self {
        Self {
            date: r.date,
            title: r.title.clone(),
            category: r.category.clone(),
            notes: r.notes.clone(),
            ends_on: r.ends_on,
            rating: r.rating,
            rank_id: r.rank_id,
            unit_id: r.unit_id,
            assignment_type_id: r.assignment_type_id,
            system: r.system.clone(),
            reference: r.reference.clone(),
            url: r.url.clone(),
        }
    }
}

impl RecordDraft {
    /// The state of `record` with `patch` applied.
    #[must_use]
    pub fn patched(record: &PersonnelRecord, patch: &RecordPatch) -> Self {
        fn pick<T: Clone>(patch: Option<&Option<T>>, current: Option<&T>) -> Option<T> {
            match patch {
                Some(value) => value.clone(),
                None => current.cloned(),
            }
        }
        Self {
            date: pick(patch.date.as_ref(), Some(&record.date)),
            title: pick(patch.title.as_ref(), record.title.as_ref()),
            category: pick(patch.category.as_ref(), record.category.as_ref()),
            notes: pick(patch.notes.as_ref(), record.notes.as_ref()),
            ends_on: pick(patch.ends_on.as_ref(), record.ends_on.as_ref()),
            rating: pick(patch.rating.as_ref(), record.rating.as_ref()),
            rank_id: pick(patch.rank_id.as_ref(), record.rank_id.as_ref()),
            unit_id: pick(patch.unit_id.as_ref(), record.unit_id.as_ref()),
            assignment_type_id: pick(
                patch.assignment_type_id.as_ref(),
                record.assignment_type_id.as_ref(),
            ),
            system: pick(patch.system.as_ref(), record.system.as_ref()),
            reference: pick(patch.reference.as_ref(), record.reference.as_ref()),
            url: pick(patch.url.as_ref(), record.url.as_ref()),
        }
    }

    /// The names of the fields set, for "does not apply" checks.
    fn set_fields(&self) -> Vec<&'static str> {
        let mut set = Vec::new();
        let mut mark = |name: &'static str, present: bool| {
            if present {
                set.push(name);
            }
        };
        mark("category", self.category.is_some());
        mark("ends_on", self.ends_on.is_some());
        mark("rating", self.rating.is_some());
        mark("rank_id", self.rank_id.is_some());
        mark("unit_id", self.unit_id.is_some());
        mark("assignment_type_id", self.assignment_type_id.is_some());
        mark("system", self.system.is_some());
        mark("reference", self.reference.is_some());
        mark("url", self.url.is_some());
        set
    }
}

/// Trims an optional text: blank is none; otherwise 1..=`max` characters without control
/// characters (line breaks allowed when `multiline`).
fn optional(
    errors: &mut ValidationErrors,
    field: &str,
    raw: Option<&str>,
    max: usize,
    multiline: bool,
) -> Option<String> {
    let value = raw.map(str::trim).filter(|v| !v.is_empty())?;
    if multiline {
        if value.chars().count() > max {
            errors.push(field, format!("must be at most {max} characters"));
            return None;
        }
        if value
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            errors.push(field, "must not contain control characters");
            return None;
        }
        return Some(value.to_owned());
    }
    match text(field, value, max) {
        Ok(value) => Some(value),
        Err(error) => {
            errors.push(error.field, error.message);
            None
        }
    }
}

/// Checks a link: `http://` or `https://`, no spaces or control characters. Other schemes
/// (`javascript:`, `data:`) are refused: links are shown as clickable.
fn link(errors: &mut ValidationErrors, raw: Option<&str>) -> Option<String> {
    let value = optional(errors, "url", raw, URL_MAX, false)?;
    let lower = value.to_ascii_lowercase();
    let host = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    if host.is_none_or(str::is_empty) || value.chars().any(char::is_whitespace) {
        errors.push("url", "must be an http:// or https:// link without spaces");
        return None;
    }
    Some(value)
}

/// The date rules: a date is required and lies in the past (a promotion not applied yet
/// may be planned); a last day is not before the date, and a past position's is not in
/// the future.
fn check_dates(
    errors: &mut ValidationErrors,
    section: RecordSection,
    draft: &RecordDraft,
    today: NaiveDate,
    applied: bool,
) {
    let future_allowed = section == RecordSection::Promotions && !applied;
    match draft.date {
        None => errors.push("date", "is required"),
        Some(date) => {
            if let Err(message) = date_in_range(date) {
                errors.push("date", message);
            } else if date > today && !future_allowed {
                errors.push(
                    "date",
                    if section == RecordSection::Promotions {
                        "must not be in the future to apply the promotion"
                    } else {
                        "must not be in the future"
                    },
                );
            }
        }
    }
    if let Some(ends_on) = draft.ends_on {
        if let Err(message) = date_in_range(ends_on) {
            errors.push("ends_on", message);
        } else if draft.date.is_some_and(|d| ends_on < d) {
            errors.push("ends_on", "must not be before the date");
        } else if section == RecordSection::ServiceHistory && ends_on > today {
            errors.push("ends_on", "must not be in the future");
        }
    }
}

/// Validates `draft` for `section`, with `today` as the latest date that is not in the
/// future; `applied` says whether the record is (or becomes) an applied promotion.
/// Returns the draft with its texts trimmed (blank ones cleared).
pub fn check(
    section: RecordSection,
    draft: &RecordDraft,
    today: NaiveDate,
    applied: bool,
) -> Result<RecordDraft, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    for field in draft.set_fields() {
        if !section.uses(field) {
            errors.push(field, format!("does not apply to {section}"));
        }
    }
    let title = optional(
        &mut errors,
        "title",
        draft.title.as_deref(),
        TITLE_MAX,
        false,
    );
    if title.is_none() && section.requires_title() && draft.title.is_none() {
        errors.push("title", "is required");
    } else if title.is_none() && section.requires_title() {
        errors.push("title", "must not be empty");
    }
    let category = optional(
        &mut errors,
        "category",
        draft.category.as_deref(),
        CATEGORY_MAX,
        false,
    );
    let notes = optional(
        &mut errors,
        "notes",
        draft.notes.as_deref(),
        NOTES_MAX,
        true,
    );
    if section == RecordSection::FeedbackNotes && notes.is_none() {
        errors.push("notes", "is required: the feedback itself");
    }
    check_dates(&mut errors, section, draft, today, applied);
    if let Some(rating) = draft.rating
        && !(RATING_MIN..=RATING_MAX).contains(&rating)
    {
        errors.push(
            "rating",
            format!("must be between {RATING_MIN} and {RATING_MAX}"),
        );
    }
    if section == RecordSection::Promotions
        && draft.rank_id.is_none()
        && draft.unit_id.is_none()
        && draft.assignment_type_id.is_none()
    {
        errors.push(
            "rank_id",
            "a promotion or assignment names a rank, a unit or an assignment type",
        );
    }
    let system = optional(
        &mut errors,
        "system",
        draft.system.as_deref(),
        SYSTEM_MAX,
        false,
    );
    if section == RecordSection::RelatedReports && system.is_none() {
        errors.push("system", "is required: the system the report lives in");
    }
    let reference = optional(
        &mut errors,
        "reference",
        draft.reference.as_deref(),
        REFERENCE_MAX,
        false,
    );
    let url = link(&mut errors, draft.url.as_deref());
    errors.into_result()?;
    Ok(RecordDraft {
        date: draft.date,
        title,
        category,
        notes,
        ends_on: draft.ends_on,
        rating: draft.rating,
        rank_id: draft.rank_id,
        unit_id: draft.unit_id,
        assignment_type_id: draft.assignment_type_id,
        system,
        reference,
        url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn fields(result: Result<RecordDraft, ValidationErrors>) -> Vec<String> {
        result
            .unwrap_err()
            .errors()
            .iter()
            .map(|e| e.field.clone())
            .collect()
    }

    #[test]
    fn records_are_not_dated_in_the_future_except_planned_promotions() {
        let today = day("2026-12-07");
        let draft = RecordDraft {
            date: Some(day("2026-12-08")),
            title: Some("Medal".into()),
            ..RecordDraft::default()
        };
        assert_eq!(
            fields(check(RecordSection::Commendations, &draft, today, false)),
            ["date"]
        );
        let promotion = RecordDraft {
            date: Some(day("2027-01-01")),
            rank_id: Some(ReferenceItemId::new()),
            ..RecordDraft::default()
        };
        assert!(check(RecordSection::Promotions, &promotion, today, false).is_ok());
        assert_eq!(
            fields(check(RecordSection::Promotions, &promotion, today, true)),
            ["date"]
        );
    }

    #[test]
    fn fields_of_other_sections_are_refused() {
        let draft = RecordDraft {
            date: Some(day("2026-01-01")),
            title: Some("Reprimand".into()),
            rating: Some(3),
            url: Some("https://rms.example.org/1".into()),
            ..RecordDraft::default()
        };
        assert_eq!(
            fields(check(
                RecordSection::Discipline,
                &draft,
                day("2026-12-07"),
                false
            )),
            ["rating", "url"]
        );
    }

    #[test]
    fn links_are_http_or_https_only() {
        let report = |url: &str| RecordDraft {
            date: Some(day("2026-01-01")),
            title: Some("Incident 42".into()),
            system: Some("RMS".into()),
            url: Some(url.into()),
            ..RecordDraft::default()
        };
        let today = day("2026-12-07");
        assert!(
            check(
                RecordSection::RelatedReports,
                &report("https://rms.example.org/42"),
                today,
                false
            )
            .is_ok()
        );
        for bad in [
            "javascript:alert(1)",
            "https://",
            "ftp://x.org/a",
            "http://a b",
        ] {
            assert_eq!(
                fields(check(
                    RecordSection::RelatedReports,
                    &report(bad),
                    today,
                    false
                )),
                ["url"],
                "{bad}"
            );
        }
    }

    #[test]
    fn each_section_requires_what_makes_it_a_record() {
        let today = day("2026-12-07");
        let bare = RecordDraft {
            date: Some(day("2026-01-01")),
            ..RecordDraft::default()
        };
        assert_eq!(
            fields(check(RecordSection::FeedbackNotes, &bare, today, false)),
            ["notes"]
        );
        assert_eq!(
            fields(check(RecordSection::Promotions, &bare, today, false)),
            ["rank_id"]
        );
        assert_eq!(
            fields(check(RecordSection::RelatedReports, &bare, today, false)),
            ["title", "system"]
        );
        let history = RecordDraft {
            title: Some("Patrol Officer".into()),
            ends_on: Some(day("2026-06-30")),
            ..bare.clone()
        };
        assert!(check(RecordSection::ServiceHistory, &history, today, false).is_ok());
        let backwards = RecordDraft {
            ends_on: Some(day("2025-01-01")),
            ..history
        };
        assert_eq!(
            fields(check(
                RecordSection::ServiceHistory,
                &backwards,
                today,
                false
            )),
            ["ends_on"]
        );
    }
}
