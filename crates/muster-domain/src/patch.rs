//! JSON merge patch (RFC 7396) support: telling "absent" from "null".
//!
//! In a merge patch, a field that is absent stays unchanged and a field set to `null` is
//! cleared. Patch types declare such fields as `Option<Option<T>>` with
//! `#[serde(default, deserialize_with = "patch::nullable")]`: `None` is absent,
//! `Some(None)` is null, `Some(Some(v))` is a new value.

use serde::{Deserialize, Deserializer};

/// Deserializes a present field (null or not) into `Some(…)`; absence is left to
/// `#[serde(default)]`.
pub fn nullable<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// [`nullable`] for dates, which must also lie within
/// [`crate::validation::date_in_range`].
pub fn nullable_date<'de, D>(deserializer: D) -> Result<Option<Option<chrono::NaiveDate>>, D::Error>
where
    D: Deserializer<'de>,
{
    crate::validation::date(deserializer).map(Some)
}

/// Deserializes a field that may be absent but, when present, must not be `null`
/// (merge-patching a required field to `null` is refused, not ignored).
pub fn present<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    T::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Patch {
        #[serde(default, deserialize_with = "super::nullable")]
        address: Option<Option<String>>,
    }

    #[test]
    fn absent_null_and_value_are_told_apart() {
        let absent: Patch = serde_json::from_str("{}").unwrap();
        let null: Patch = serde_json::from_str(r#"{"address": null}"#).unwrap();
        let value: Patch = serde_json::from_str(r#"{"address": "Main St"}"#).unwrap();
        assert_eq!(absent.address, None);
        assert_eq!(null.address, Some(None));
        assert_eq!(value.address, Some(Some("Main St".to_owned())));
    }
}
