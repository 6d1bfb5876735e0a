//! The organization's password policy, applied wherever a password is chosen (creating a
//! user, an administrator setting one, a user changing their own).
//!
//! A password must be at least the organization's `password_min_length` long (and at most
//! [`PASSWORD_MAX`], since hashing cost grows with length), must not be — nor contain —
//! the login, the first or last name or the local part of the email address (compared
//! case-insensitively; names shorter than four letters only count when they are the
//! whole password), and must be hard to guess: a zxcvbn strength estimate of at least
//! [`MIN_SCORE`] (out of 4), which turns away dictionary words, keyboard walks, dates and
//! repetitions that a length rule alone lets through.
//!
//! Each failing rule gives one message on the password's field, the first that applies, in
//! words an employee can act on.

use muster_domain::ValidationErrors;
use muster_domain::settings::DEFAULT_PASSWORD_MIN_LENGTH;
use serde_json::Value;

/// Longest password accepted (hashing cost grows with length).
pub const PASSWORD_MAX: usize = 256;
/// The lowest zxcvbn score accepted: "safely unguessable" (about 10^10 guesses).
pub const MIN_SCORE: u8 = 3;
/// Personal words shorter than this only count when they are the whole password.
const CONTAINS_MIN: usize = 4;

/// Whose password is checked: the words it must not be built from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Personal<'a> {
    /// The login.
    pub login: &'a str,
    /// First name.
    pub first_name: &'a str,
    /// Last name.
    pub last_name: &'a str,
    /// Primary email address.
    pub email: Option<&'a str>,
}

/// The shortest password the organization accepts, from its stored `settings` object.
#[must_use]
pub fn min_length(settings: Option<&Value>) -> usize {
    let default = usize::try_from(DEFAULT_PASSWORD_MIN_LENGTH).unwrap_or(10);
    settings
        .and_then(|s| s.get("password_min_length"))
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(default)
}

/// Checks `password` against the policy, recording the first rule it breaks on `field`.
pub fn check(
    errors: &mut ValidationErrors,
    field: &str,
    password: &str,
    min_length: usize,
    person: Personal<'_>,
) {
    if let Err(message) = verdict(password, min_length, person) {
        errors.push(field, message);
    }
}

/// The policy's verdict on `password`: `Err` with what is wrong.
pub fn verdict(password: &str, min_length: usize, person: Personal<'_>) -> Result<(), String> {
    let length = password.chars().count();
    if length < min_length {
        return Err(format!("must be at least {min_length} characters"));
    }
    if length > PASSWORD_MAX {
        return Err(format!("must be at most {PASSWORD_MAX} characters"));
    }
    let lowered = password.to_lowercase();
    let email_local = person
        .email
        .and_then(|e| e.split_once('@'))
        .map_or("", |(local, _)| local);
    let words = [
        (person.login, "the login"),
        (person.first_name, "the first name"),
        (person.last_name, "the last name"),
        (email_local, "the email address"),
    ];
    for (word, what) in words {
        let word = word.trim().to_lowercase();
        if word.is_empty() {
            continue;
        }
        if lowered == word {
            return Err(format!("must not be {what}"));
        }
        if word.chars().count() >= CONTAINS_MIN && lowered.contains(&word) {
            return Err(format!("must not contain {what}"));
        }
    }
    let inputs: Vec<&str> = words
        .iter()
        .map(|(w, _)| w.trim())
        .filter(|w| !w.is_empty())
        .collect();
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if u8::from(estimate.score()) < MIN_SCORE {
        let sentence = |s: String| s.trim_end_matches('.').to_lowercase();
        let feedback = estimate.feedback();
        let warning = feedback
            .and_then(zxcvbn::feedback::Feedback::warning)
            .map(|w| format!(": {}", sentence(w.to_string())))
            .unwrap_or_default();
        let hints: Vec<String> = feedback
            .map(|f| {
                f.suggestions()
                    .iter()
                    .map(|s| sentence(s.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let hints = if hints.is_empty() {
            "add another word or two".to_owned()
        } else {
            hints.join("; ")
        };
        let message = format!("is too easy to guess{warning} ({hints})");
        return Err(message);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADA: Personal<'static> = Personal {
        login: "ada.lovelace",
        first_name: "Ada",
        last_name: "Lovelace",
        email: Some("countess@bayfire.gov"),
    };

    #[test]
    fn strong_passphrases_pass() {
        for password in [
            "correct horse battery",
            "Analytical Engine 1843",
            "a brand new secret",
            "a secret nobody sees",
            "tangerine submarine waltz",
        ] {
            assert_eq!(verdict(password, 10, ADA), Ok(()), "{password}");
        }
    }

    #[test]
    fn each_rule_has_its_message() {
        assert_eq!(
            verdict("short", 10, ADA),
            Err("must be at least 10 characters".into())
        );
        assert_eq!(
            verdict(&"x".repeat(257), 10, ADA),
            Err("must be at most 256 characters".into())
        );
        assert_eq!(
            verdict("ADA.LOVELACE", 10, ADA),
            Err("must not be the login".into())
        );
        assert_eq!(
            verdict("my ada.lovelace pass", 10, ADA),
            Err("must not contain the login".into())
        );
        assert_eq!(
            verdict("lovelace rules the engine", 10, ADA),
            Err("must not contain the last name".into())
        );
        assert_eq!(
            verdict("the countess of numbers", 10, ADA),
            Err("must not contain the email address".into())
        );
        let weak = verdict("password123", 10, ADA).unwrap_err();
        assert!(weak.starts_with("is too easy to guess"), "{weak}");
        // A three-letter first name inside a word is no reason to refuse.
        assert_eq!(verdict("readable zebra crossing", 10, ADA), Ok(()));
    }
}
