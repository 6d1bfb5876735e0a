//! The access engine's tests: the rules one by one, with the reference pages' scenarios
//! (`rules`), and every public decision checked against a deliberately naive reference
//! implementation on random organizations (`properties`, with the reference in `naive`).

// Test code fails loudly; the long scenario and comparison functions read best top to bottom;
// the generators' small integer casts are deliberate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines,
    clippy::type_complexity,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    missing_docs
)]

mod fixture;
mod naive;
mod properties;
mod rules;
