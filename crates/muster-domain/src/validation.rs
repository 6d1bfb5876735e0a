//! Field-level validation errors, shared by every interface so that the API's problem+json
//! `errors` array and the console's inline messages say the same thing.

use std::fmt;

use serde::Serialize;

/// One invalid field and what is wrong with it, in words an administrator understands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as the API spells it (`login`, `placements[0].node_id`).
    pub field: String,
    /// What is wrong, lowercase, without a trailing period.
    pub message: String,
}

impl FieldError {
    /// Builds an error for `field`.
    #[must_use]
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

/// A non-empty collection of field errors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ValidationErrors(Vec<FieldError>);

impl ValidationErrors {
    /// An empty collection to accumulate into.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A collection holding exactly one error.
    #[must_use]
    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, message)])
    }

    /// Adds an error.
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Records the error of a parse result, returning the value when it parsed.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(error);
                None
            }
        }
    }

    /// `Ok(())` when nothing was recorded, the errors otherwise.
    pub fn into_result(self) -> Result<(), Self> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    /// The recorded errors.
    #[must_use]
    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }
}

impl From<FieldError> for ValidationErrors {
    fn from(error: FieldError) -> Self {
        Self(vec![error])
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

/// Trims `raw` and checks it is between 1 and `max` characters with no control characters.
pub fn text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.to_owned())
}

/// Earliest date accepted anywhere (dates of birth of the oldest records).
pub const DATE_MIN: (i32, u32, u32) = (1800, 1, 1);
/// Latest date accepted anywhere.
pub const DATE_MAX: (i32, u32, u32) = (2200, 12, 31);

/// Checks that a date lies between [`DATE_MIN`] and [`DATE_MAX`]: anything else is a
/// typing mistake, and both databases can store the whole range.
pub fn date_in_range(date: chrono::NaiveDate) -> Result<chrono::NaiveDate, String> {
    let bound = |(y, m, d)| chrono::NaiveDate::from_ymd_opt(y, m, d);
    match (bound(DATE_MIN), bound(DATE_MAX)) {
        (Some(min), Some(max)) if date >= min && date <= max => Ok(date),
        _ => Err("must be between 1800-01-01 and 2200-12-31".to_owned()),
    }
}

/// Deserializes an optional `YYYY-MM-DD` date within [`date_in_range`].
pub fn date<'de, D>(deserializer: D) -> Result<Option<chrono::NaiveDate>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    Option::<chrono::NaiveDate>::deserialize(deserializer)?
        .map(date_in_range)
        .transpose()
        .map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("name", "  Ada ", 10), Ok("Ada".to_owned()));
        assert!(text("name", "   ", 10).is_err());
        assert!(text("name", "abcdefghijk", 10).is_err());
        assert!(text("name", "a\u{7}b", 10).is_err());
    }
}
