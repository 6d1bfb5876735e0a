//! The demo's personnel files: promotions, service history, commendations, a review, a
//! feedback note and a related report for the demo accounts, added through
//! `records::create` like the API does, so that the console's record tabs have something
//! to show from the first sign-in.

use chrono::NaiveDate;
use muster_domain::OrgId;
use muster_domain::records::{NewRecord, RecordSection};
use muster_domain::reference::ReferenceList;
use muster_domain::{ReferenceItemId, UserId};
use muster_store::{Store, sign_in};

use super::roster::{DIVISION_ADMIN, OFFICER, REGION_ADMIN};
use crate::paging::PageRequest;
use crate::{Ctx, Result, ServiceError, records, reference};

/// One record of a demo file: section, date, title, what else it says.
struct Entry {
    section: RecordSection,
    date: (i32, u32, u32),
    title: Option<&'static str>,
    detail: Detail,
}

/// The section-specific part of an [`Entry`].
enum Detail {
    /// A promotion to this rank, applied (it is the person's rank today) or not.
    Promotion { rank: &'static str, apply: bool },
    /// A position held until this day.
    Position { until: (i32, u32, u32) },
    /// A category and notes.
    Note {
        category: Option<&'static str>,
        notes: &'static str,
    },
    /// A rating out of five and notes.
    Review { rating: i64, notes: &'static str },
    /// A report in another system.
    Report {
        system: &'static str,
        reference: &'static str,
    },
}

const fn entry(
    section: RecordSection,
    date: (i32, u32, u32),
    title: Option<&'static str>,
    detail: Detail,
) -> Entry {
    Entry {
        section,
        date,
        title,
        detail,
    }
}

/// The files: whose, and what is in them.
#[allow(clippy::too_many_lines)] // Data: one short block per record.
fn files() -> [(&'static str, Vec<Entry>); 3] {
    use Detail::{Note, Position, Promotion, Report, Review};
    use RecordSection::{
        Commendations, FeedbackNotes, PerformanceReviews, Promotions, RelatedReports,
        ServiceHistory,
    };
    [
        (
            OFFICER.login,
            vec![
                entry(
                    Promotions,
                    (2021, 3, 1),
                    Some("Sworn in"),
                    Promotion {
                        rank: "Officer",
                        apply: true,
                    },
                ),
                entry(
                    ServiceHistory,
                    (2021, 3, 1),
                    Some("Field training, Bayview Station"),
                    Position {
                        until: (2021, 8, 31),
                    },
                ),
                entry(
                    Commendations,
                    (2024, 8, 17),
                    Some("Lifesaving Award"),
                    Note {
                        category: Some("Lifesaving"),
                        notes: "Performed CPR on a swimmer pulled from the water at Harbor Beach until EMS arrived.",
                    },
                ),
                entry(
                    PerformanceReviews,
                    (2025, 1, 15),
                    Some("Annual review 2024"),
                    Review {
                        rating: 4,
                        notes: "Dependable on nights; ready to field-train new officers.",
                    },
                ),
                entry(
                    FeedbackNotes,
                    (2025, 6, 2),
                    None,
                    Note {
                        category: Some("Citizen"),
                        notes: "A resident wrote in to thank Officer Holloway for the help after a break-in.",
                    },
                ),
                entry(
                    RelatedReports,
                    (2024, 8, 17),
                    Some("Water rescue, Harbor Beach"),
                    Report {
                        system: "RMS",
                        reference: "24-018733",
                    },
                ),
            ],
        ),
        (
            DIVISION_ADMIN.login,
            vec![
                entry(
                    Promotions,
                    (2009, 6, 1),
                    Some("Sworn in"),
                    Promotion {
                        rank: "Officer",
                        apply: false,
                    },
                ),
                entry(
                    Promotions,
                    (2015, 2, 1),
                    Some("Promoted"),
                    Promotion {
                        rank: "Sergeant",
                        apply: false,
                    },
                ),
                entry(
                    ServiceHistory,
                    (2015, 2, 1),
                    Some("Patrol sergeant, night shift"),
                    Position {
                        until: (2020, 12, 31),
                    },
                ),
                entry(
                    Commendations,
                    (2018, 11, 3),
                    Some("Medal of Merit"),
                    Note {
                        category: Some("Merit"),
                        notes: "Led the search that found a missing child in the Harbor Hills within six hours.",
                    },
                ),
            ],
        ),
        (
            REGION_ADMIN.login,
            vec![entry(
                PerformanceReviews,
                (2025, 2, 10),
                Some("Annual review 2024"),
                Review {
                    rating: 5,
                    notes: "Brought the region's response times down by a fifth.",
                },
            )],
        ),
    ]
}

/// Adds the demo files to `org`.
pub(super) async fn add(store: &Store, org: OrgId) -> Result<()> {
    let ctx = Ctx {
        confirmed: true,
        ..Ctx::system(org)
    };
    let ranks = reference::list(store, &ctx, ReferenceList::Ranks, &PageRequest::first(100))
        .await?
        .items;
    let rank = |name: &str| -> Result<ReferenceItemId> {
        ranks
            .iter()
            .find(|r| r.name == name)
            .map(|r| ReferenceItemId::from_uuid(r.id))
            .ok_or(ServiceError::NotFound("rank"))
    };
    for (login, entries) in files() {
        let Some(person) = sign_in::credentials_by_login(store, org, login).await? else {
            continue;
        };
        let user = UserId::from_uuid(person.id);
        for e in entries {
            let day = |(y, m, d): (i32, u32, u32)| NaiveDate::from_ymd_opt(y, m, d);
            let mut record = NewRecord {
                date: day(e.date),
                title: e.title.map(str::to_owned),
                ..NewRecord::default()
            };
            match e.detail {
                Detail::Promotion { rank: name, apply } => {
                    record.rank_id = Some(rank(name)?);
                    record.apply = apply;
                }
                Detail::Position { until } => record.ends_on = day(until),
                Detail::Note { category, notes } => {
                    record.category = category.map(str::to_owned);
                    record.notes = Some(notes.to_owned());
                }
                Detail::Review { rating, notes } => {
                    record.rating = Some(rating);
                    record.notes = Some(notes.to_owned());
                }
                Detail::Report { system, reference } => {
                    record.system = Some(system.to_owned());
                    record.reference = Some(reference.to_owned());
                }
            }
            records::create(store, &ctx, user, e.section, record).await?;
        }
    }
    Ok(())
}
