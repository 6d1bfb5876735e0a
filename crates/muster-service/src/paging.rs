//! Cursor paging: a page request (`limit`, `cursor`) and opaque cursors.
//!
//! A cursor is the sort key of the last item of a page, as base64url-encoded JSON. It is
//! opaque to clients; a cursor that does not decode is a validation error on `cursor`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use muster_domain::ValidationErrors;
use muster_domain::paging::{DEFAULT_LIMIT, MAX_LIMIT, Page};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Up to how many items lists that bound their count count exactly (see
/// [`PageRequest::exact_total`]).
pub const EXACT_TOTAL: i64 = 1_000;

/// A validated page request.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// Items per page, 1–500.
    pub limit: u32,
    /// The raw cursor of the page to continue after, if any.
    pub cursor: Option<String>,
    /// Lists whose count would be slow on large data (the user list) count exactly up to
    /// this many items and estimate above it.
    pub exact_total: i64,
}

impl PageRequest {
    /// Validates `limit` (default 50, at most 500).
    pub fn new(limit: Option<u32>, cursor: Option<String>) -> Result<Self, ValidationErrors> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ValidationErrors::single(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        Ok(Self {
            limit,
            cursor: cursor.filter(|c| !c.is_empty()),
            exact_total: EXACT_TOTAL,
        })
    }

    /// The same request, counting exactly up to `bound` items (at least 1).
    #[must_use]
    pub fn with_exact_total(mut self, bound: i64) -> Self {
        self.exact_total = bound.max(1);
        self
    }

    /// The first page of `limit` items.
    #[must_use]
    pub fn first(limit: u32) -> Self {
        Self {
            limit,
            cursor: None,
            exact_total: EXACT_TOTAL,
        }
    }

    /// Decodes the cursor into the sort key it carries.
    pub fn after<K: DeserializeOwned>(&self) -> Result<Option<K>, ValidationErrors> {
        self.cursor
            .as_deref()
            .map(|c| {
                URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                    .ok_or_else(|| {
                        ValidationErrors::single("cursor", "is not a cursor this list returned")
                    })
            })
            .transpose()
    }

    /// How many rows to fetch: one more than the page, to know whether another follows.
    #[must_use]
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// Builds the page from `rows` fetched with [`PageRequest::fetch_limit`], where
    /// `key` gives the sort key of a row.
    pub fn page<R, T, K: Serialize>(
        &self,
        mut rows: Vec<R>,
        total: i64,
        key: impl Fn(&R) -> K,
        item: impl FnMut(R) -> T,
    ) -> Page<T> {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| encode(&key(last)))
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(item).collect(),
            next_cursor,
            total,
            total_is_estimate: false,
        }
    }
}

fn encode(key: &impl Serialize) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_carries_the_cursor_of_its_last_item() {
        let request = PageRequest::new(Some(2), None).unwrap();
        let page = request.page(vec![1, 2, 3], 3, |n| *n, |n| n * 10);
        assert_eq!(page.items, vec![10, 20]);
        let next = PageRequest::new(Some(2), page.next_cursor).unwrap();
        assert_eq!(next.after::<i32>().unwrap(), Some(2));
    }

    #[test]
    fn bad_limits_and_cursors_are_refused() {
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(501), None).is_err());
        let garbage = PageRequest::new(None, Some("!!".into())).unwrap();
        assert!(garbage.after::<i32>().is_err());
    }
}
