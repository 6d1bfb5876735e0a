//! The access engine's tests: the rules one by one, with the reference pages' scenarios
//! (`rules`), and every public decision checked against a deliberately naive reference
//! implementation on random organizations (`properties`, with the reference in `naive`).

mod fixture;
mod naive;
mod properties;
mod rules;
