//! Password hashing (Argon2id with the crate's recommended parameters) and generation of
//! temporary passwords.
//!
//! Hashing is deliberately slow, so it runs on tokio's blocking pool and never on a
//! request's worker thread.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use rand::seq::IndexedRandom;
use secrecy::{ExposeSecret, SecretString};

use crate::{Result, ServiceError};

/// Characters of generated passwords: no look-alikes (0/O, 1/l/I), so a password read off
/// a screen or a letter can be typed back without mistakes.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
/// Length of generated passwords: 16 characters of a 57-letter alphabet, about 93 bits.
const GENERATED_LENGTH: usize = 16;

/// A fresh random password for a new account or a reset. It always mixes upper- and
/// lowercase letters and digits, so it passes any composition rule a policy may have.
#[must_use]
pub fn generate() -> SecretString {
    let mut rng = rand::rng();
    loop {
        let password: String = (0..GENERATED_LENGTH)
            .filter_map(|_| ALPHABET.choose(&mut rng).map(|b| char::from(*b)))
            .collect();
        if password.chars().any(|c| c.is_ascii_uppercase())
            && password.chars().any(|c| c.is_ascii_lowercase())
            && password.chars().any(|c| c.is_ascii_digit())
        {
            return SecretString::from(password);
        }
    }
}

/// Hashes `password` with Argon2id on the blocking pool; returns the PHC string.
pub async fn hash(password: SecretString) -> Result<String> {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| ServiceError::Hashing(e.to_string()))?
}

/// Hashes synchronously; for callers already off the async runtime.
pub fn hash_now(password: &SecretString) -> Result<String> {
    let hash: PasswordHash = Argon2::default()
        .hash_password(password.expose_secret().as_bytes())
        .map_err(|e| ServiceError::Hashing(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `phc`.
#[must_use]
pub fn verify_now(password: &SecretString, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.expose_secret().as_bytes(), phc)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_mixed_and_different() {
        let a = generate();
        let b = generate();
        assert_eq!(a.expose_secret().len(), GENERATED_LENGTH);
        assert_ne!(a.expose_secret(), b.expose_secret());
        let s = a.expose_secret();
        assert!(s.chars().any(|c| c.is_ascii_uppercase()));
        assert!(s.chars().any(|c| c.is_ascii_lowercase()));
        assert!(s.chars().any(|c| c.is_ascii_digit()));
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let password = SecretString::from("correct horse battery staple");
        let phc = hash_now(&password).unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_now(&password, &phc));
        assert!(!verify_now(&SecretString::from("wrong"), &phc));
    }
}
