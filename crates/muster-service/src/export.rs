//! Export of users (`muster user export`) as CSV or JSON Lines, with the columns an
//! import reads ([`crate::transfer::COLUMNS`] and the placements), so that an export
//! imports again to the same users. Users are read a page at a time in id order with
//! their placements, so memory stays bounded however many there are. Deleted users are
//! not exported; a user who is retired, separated or banned is exported as such (an
//! import creates users `active` or `inactive` only, like `POST /users`).

use std::io::Write;

use muster_domain::access::Capability;
use muster_store::Store;
use muster_store::transfer::{self as store_transfer, ExportPlacementRow, ExportUserRow};
use serde_json::{Map, Value};

use crate::transfer::{COLUMNS, Directory, NODE_ROLE_SEPARATOR, PLACEMENT_SEPARATOR, PLACEMENTS};
use crate::{Ctx, Result, ServiceError, authz};

/// Users read per page.
const PAGE: i64 = 5000;

/// The format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

/// The values of a user's columns, in [`COLUMNS`] order, then the placements.
fn values(
    user: &ExportUserRow,
    placements: &[&ExportPlacementRow],
    directory: &Directory,
) -> Vec<String> {
    let date = |d: Option<chrono::NaiveDate>| {
        d.map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let text = |t: &Option<String>| t.clone().unwrap_or_default();
    let placements = placements
        .iter()
        .map(|p| {
            format!(
                "{}{NODE_ROLE_SEPARATOR}{}",
                directory.node_label(p.node_id),
                directory.role_label(p.role_id)
            )
        })
        .collect::<Vec<_>>()
        .join(&PLACEMENT_SEPARATOR.to_string());
    vec![
        user.login.clone(),
        user.first_name.clone(),
        user.last_name.clone(),
        text(&user.display_name),
        text(&user.email),
        text(&user.employee_number),
        text(&user.badge_number),
        text(&user.payroll_id),
        text(&user.title_designation),
        date(user.hire_date),
        date(user.start_date),
        user.login_kind.clone(),
        user.status.clone(),
        placements,
    ]
}

fn io_error(e: impl Into<std::io::Error>) -> ServiceError {
    ServiceError::WriteOutput {
        what: "the export",
        source: e.into(),
    }
}

/// Writes every user of the organization who is not deleted to `out`; returns how many.
/// `progress` is told the count after each page.
pub async fn export(
    store: &Store,
    ctx: &Ctx,
    format: Format,
    out: &mut (dyn Write + Send),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<u64> {
    authz::require_org_wide(ctx, Capability::UsersView)?;
    let directory = Directory::load(store, ctx.org).await?;
    let header: Vec<&str> = COLUMNS.iter().copied().chain([PLACEMENTS]).collect();
    let mut csv = csv::WriterBuilder::new().from_writer(Vec::with_capacity(1 << 20));
    if format == Format::Csv {
        csv.write_record(&header).map_err(io_error)?;
    }
    let mut after = None;
    let mut count = 0_u64;
    loop {
        let page = store_transfer::users_page(store, ctx.org, after, PAGE).await?;
        let (Some(first), Some(last)) = (page.first(), page.last()) else {
            break;
        };
        let placements =
            store_transfer::placements_between(store, ctx.org, first.id, last.id).await?;
        let mut at = 0;
        let mut lines = Vec::with_capacity(page.len() * 160);
        for user in &page {
            while at < placements.len() && placements[at].user_id < user.id {
                at += 1;
            }
            let start = at;
            while at < placements.len() && placements[at].user_id == user.id {
                at += 1;
            }
            let mut own: Vec<&ExportPlacementRow> = placements[start..at].iter().collect();
            // As a profile lists them: the default first, then by node name.
            own.sort_by_cached_key(|p| {
                (
                    !p.is_default,
                    directory.node_label(p.node_id).to_lowercase(),
                )
            });
            let row = values(user, &own, &directory);
            if format == Format::Csv {
                csv.write_record(&row).map_err(io_error)?;
            } else {
                let object: Map<String, Value> = header
                    .iter()
                    .zip(row)
                    .map(|(k, v)| {
                        let v = if v.is_empty() {
                            Value::Null
                        } else {
                            Value::String(v)
                        };
                        ((*k).to_owned(), v)
                    })
                    .collect();
                serde_json::to_writer(&mut lines, &object).map_err(io_error)?;
                lines.push(b'\n');
            }
        }
        if format == Format::Csv {
            let buffered = csv.into_inner().map_err(|e| io_error(e.into_error()))?;
            out.write_all(&buffered).map_err(io_error)?;
            let mut reuse = buffered;
            reuse.clear();
            csv = csv::WriterBuilder::new().from_writer(reuse);
        } else {
            out.write_all(&lines).map_err(io_error)?;
        }
        count += u64::try_from(page.len()).unwrap_or(0);
        progress(count);
        after = Some(last.id);
    }
    if format == Format::Csv {
        let buffered = csv.into_inner().map_err(|e| io_error(e.into_error()))?;
        out.write_all(&buffered).map_err(io_error)?;
    }
    out.flush().map_err(io_error)?;
    Ok(count)
}
