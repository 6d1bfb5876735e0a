//! Pages of list results.

use serde::Serialize;
use utoipa::ToSchema;

/// Default number of items per page.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest number of items per page.
pub const MAX_LIMIT: u32 = 500;

/// One page of a list, with the cursor of the next page and the total the filters match
/// (so that a console can show "1–50 of 312"). Lists that count exactly only up to a bound
/// (the user list) estimate larger totals and say so in `total_is_estimate`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// How many items the whole list has (with the same filters).
    pub total: i64,
    /// Whether `total` is an estimate rather than an exact count.
    pub total_is_estimate: bool,
}
