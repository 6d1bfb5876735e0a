//! What every console response and request passes through: security headers (a strict
//! Content-Security-Policy), the CSRF check of unsafe requests, and the one-shot flash
//! message (the toast after a redirect).
//!
//! CSRF uses the double-submit pattern: a random token in an `HttpOnly`, `SameSite=Strict`
//! cookie (`muster_csrf`), set on the first console response, and the same token in a
//! hidden `csrf` field of every form. Another site can make the browser send the cookie
//! but cannot read it to fill in the field. Cookie-authenticated writes also pass the
//! API's same-origin check (`Origin` must be this host).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::RngExt;

use super::page;
use crate::AppState;

/// The CSRF cookie's name.
pub(crate) const CSRF_COOKIE: &str = "muster_csrf";
/// The flash cookie's name.
pub(crate) const FLASH_COOKIE: &str = "muster_flash";
/// The largest form body the console reads.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// The policy: everything from this origin only, no inline script or style, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The request's CSRF token (from the cookie, or fresh for this response).
#[derive(Debug, Clone)]
pub(crate) struct CsrfToken(pub(crate) String);

/// A message to show once, as a toast.
#[derive(Debug, Clone)]
pub(crate) struct Flash {
    /// `success`, `error` or `info`.
    pub(crate) kind: String,
    /// The text.
    pub(crate) text: String,
}

/// The value of cookie `name`, if the request carries it.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn fresh_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

fn is_token(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Compares in time independent of where the strings differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether the response should be marked `Secure` cookies.
pub(crate) fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.cookie_secure
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` header for a console cookie.
pub(crate) fn set_cookie(name: &str, value: &str, attributes: &str, secure: bool) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; {attributes}");
    if secure {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value carrying a flash message to the next page.
pub(crate) fn flash_cookie(kind: &str, text: &str) -> HeaderValue {
    let value: String =
        form_urlencoded::byte_serialize(format!("{kind}:{text}").as_bytes()).collect();
    set_cookie(FLASH_COOKIE, &value, "SameSite=Lax; Max-Age=60", false)
}

fn read_flash(headers: &HeaderMap) -> Option<Flash> {
    let raw = cookie(headers, FLASH_COOKIE)?;
    let decoded: String = form_urlencoded::parse(format!("v={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())?;
    let (kind, text) = decoded.split_once(':')?;
    let kind = match kind {
        "success" | "error" | "info" => kind,
        _ => "info",
    };
    Some(Flash {
        kind: kind.to_owned(),
        text: text.chars().take(300).collect(),
    })
}

/// The submitted `csrf` value of a urlencoded form body.
fn submitted_token(body: &[u8], query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(body)
        .chain(form_urlencoded::parse(query.unwrap_or_default().as_bytes()))
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
}

/// Security headers, CSRF check and flash handling for every console request.
pub(crate) async fn protect(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let secure = secure(&state, request.headers());
    let existing = cookie(request.headers(), CSRF_COOKIE).filter(|t| is_token(t));
    let fresh = existing.is_none();
    let token = existing.unwrap_or_else(fresh_token);
    let flash = read_flash(request.headers());

    let mut request = request;
    if !request.method().is_safe() {
        let (parts, body) = request.into_parts();
        let multipart = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/"));
        let (submitted, body) = if multipart {
            // Uploads carry the token in the query string; the body streams on.
            (submitted_token(b"", parts.uri.query()), body)
        } else {
            let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
                return finish(
                    page::error_response(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "Too large",
                        "The form was too large to accept.",
                    ),
                    &token,
                    fresh,
                    secure,
                    false,
                );
            };
            (submitted_token(&bytes, None), Body::from(bytes))
        };
        let valid = !fresh && submitted.is_some_and(|s| same(&s, &token));
        if !valid {
            return finish(
                page::error_response(
                    StatusCode::FORBIDDEN,
                    "This form has expired",
                    "The form could not be verified (its security token is missing or out \
                     of date). Go back, reload the page and try again.",
                ),
                &token,
                fresh,
                secure,
                false,
            );
        }
        request = Request::from_parts(parts, body);
    }
    request.extensions_mut().insert(CsrfToken(token.clone()));
    if let Some(flash) = &flash {
        request.extensions_mut().insert(flash.clone());
    }
    let response = next.run(request).await;
    let shown = flash.is_some() && !response.status().is_redirection();
    finish(response, &token, fresh, secure, shown)
}

fn finish(
    mut response: Response,
    token: &str,
    fresh: bool,
    secure: bool,
    clear_flash: bool,
) -> Response {
    let headers = response.headers_mut();
    if fresh {
        headers.append(
            SET_COOKIE,
            set_cookie(CSRF_COOKIE, token, "SameSite=Strict", secure),
        );
    }
    if clear_flash {
        headers.append(
            SET_COOKIE,
            set_cookie(FLASH_COOKIE, "", "SameSite=Lax; Max-Age=0", false),
        );
    }
    let fixed = [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("cross-origin-opener-policy", "same-origin"),
    ];
    for (name, value) in fixed {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response.into_response()
}
