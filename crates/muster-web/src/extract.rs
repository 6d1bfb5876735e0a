//! Request extractors whose failures are problem documents: JSON bodies with field-level
//! errors, query strings, `If-Match`, and the authenticated caller (session or API token,
//! by bearer token or session cookie).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header::{
    AUTHORIZATION, CONTENT_TYPE, COOKIE, ETAG, HOST, IF_MATCH, ORIGIN, USER_AGENT,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use muster_service::Ctx;
use muster_service::auth::Client;
use muster_service::sessions::{self, Authenticated};
use muster_store::DbTime;
use secrecy::SecretString;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::middleware::REQUEST_ID;
use crate::problem::Problem;

/// A JSON request body. Malformed JSON is a 400; a body of the wrong shape (unknown field,
/// wrong type, missing field) is a 422 naming the field.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let mime = v.split(';').next().unwrap_or_default().trim();
                mime == "application/json" || mime == "application/merge-patch+json"
            });
        if !is_json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "send the body as application/json",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| Problem::new(e.status(), "bad-request", "Bad request", e.body_text()))?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses `bytes` as `T`, naming the offending field on failure. A NUL character
/// anywhere is refused up front: PostgreSQL cannot store it, and no field needs it.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Problem::bad_request(format!("the body is not valid JSON: {e}")))?;
    if let Some(path) = nul_path(&value, String::new()) {
        let field = if path.is_empty() {
            "body".to_owned()
        } else {
            path
        };
        return Err(Problem::invalid_field(
            field,
            "must not contain a NUL character",
        ));
    }
    serde_path_to_error::deserialize::<_, T>(value).map_err(|error| {
        let path = error.path().to_string();
        let message = strip_position(&error.into_inner().to_string());
        // The path already ends in an unknown field's name; a missing field is named
        // only in the message, below the path of the object that lacks it.
        let field = match (path.as_str(), message.strip_prefix("missing field `")) {
            (".", _) => unknown_field(&message).unwrap_or("body").to_owned(),
            (_, Some(_)) => format!("{path}.{}", unknown_field(&message).unwrap_or_default()),
            _ => path,
        };
        Problem::invalid_field(field, message)
    })
}

/// The path (`a.b[2]`) of the first string or key holding a NUL character, if any.
fn nul_path(value: &serde_json::Value, path: String) -> Option<String> {
    match value {
        serde_json::Value::String(s) => s.contains('\0').then_some(path),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_path(v, format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(here)
            } else {
                nul_path(v, here)
            }
        }),
        _ => None,
    }
}

/// `serde_json` appends " at line 1 column 42"; the field name says more.
fn strip_position(message: &str) -> String {
    message
        .rsplit_once(" at line ")
        .map_or(message, |(head, _)| head)
        .to_owned()
}

/// The name in "unknown field `foo`, expected …" or "missing field `foo`".
fn unknown_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("missing field `"))
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name)
}

/// Path parameters. A malformed one (an id that is not a UUID) is a 404 problem: no
/// object has that id.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Self(value))
            .map_err(|_| {
                Problem::new(
                    StatusCode::NOT_FOUND,
                    "not-found",
                    "Not found",
                    "there is nothing at this address",
                )
            })
    }
}

/// A query string. Unknown parameters are refused too (422 naming them).
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(ApiQuery)
            .map_err(|error| {
                let path = error.path().to_string();
                let message = error.into_inner().to_string();
                let field = if path == "." {
                    unknown_field(&message).unwrap_or("query").to_owned()
                } else {
                    path
                };
                Problem::invalid_field(field, message)
            })
    }
}

/// The version named by `If-Match` (`"3"`, `W/"3"`); `None` when absent or `*`.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(IF_MATCH) else {
            return Ok(Self(None));
        };
        let text = value.to_str().unwrap_or_default().trim();
        if text == "*" {
            return Ok(Self(None));
        }
        text.trim_start_matches("W/")
            .trim_matches('"')
            .parse()
            .map(|v| Self(Some(v)))
            .map_err(|_| {
                Problem::bad_request("If-Match must be an ETag this API returned, like \"3\"")
            })
    }
}

/// A response carrying an `ETag` with the object's version.
#[derive(Debug)]
pub struct Tagged<T>(pub i64, pub T);

impl<T: IntoResponse> IntoResponse for Tagged<T> {
    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        if let Ok(value) = HeaderValue::from_str(&format!("\"{}\"", self.0)) {
            response.headers_mut().insert(ETAG, value);
        }
        response
    }
}

/// The name of the session cookie set by `POST /auth/login`.
pub(crate) const SESSION_COOKIE: &str = "muster_session";

/// The caller as resolved once per request (several extractors may ask).
#[derive(Clone)]
struct Resolved(Ctx, Authenticated);

/// Who is calling and the request's context. The credential is `Authorization: Bearer`
/// (a session or API token) or else the session cookie; missing or invalid credentials
/// are a 401. A cookie alone authenticates an unsafe request (POST, PUT, PATCH, DELETE)
/// only when its `Origin` is this site (403 otherwise): other sites cannot make the
/// browser act for its user.
pub(crate) async fn resolve(
    parts: &mut Parts,
    state: &AppState,
) -> Result<(Ctx, Authenticated), Problem> {
    if let Some(Resolved(ctx, auth)) = parts.extensions.get::<Resolved>() {
        return Ok((ctx.clone(), auth.clone()));
    }
    let bearer = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    let secret = if let Some(token) = bearer {
        token
    } else {
        let cookie = session_cookie(&parts.headers).ok_or_else(Problem::unauthorized)?;
        if !parts.method.is_safe() && !same_origin(&parts.headers) {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "cross-site-request",
                "Cross-site request refused",
                "a request authenticated by the session cookie must come from this site \
                 (its Origin must be this host); API clients send the token as \
                 `Authorization: Bearer <token>`",
            ));
        }
        cookie
    };
    let now = DbTime::now();
    let auth = sessions::authenticate(&state.store, &SecretString::from(secret), now)
        .await
        .map_err(Problem::from)?
        .ok_or_else(Problem::unauthorized)?;
    let principal = sessions::principal(&state.store, &state.access, &auth, now)
        .await
        .map_err(Problem::from)?
        .ok_or_else(Problem::unauthorized)?;
    let client = client_of(parts);
    let ctx = Ctx {
        org: auth.org,
        actor: auth.actor(),
        request_id: client.request_id,
        ip: client.ip,
        now,
        principal: Some(Arc::new(principal)),
        confirmed: confirmed(parts.uri.query()),
    };
    parts.extensions.insert(Resolved(ctx.clone(), auth.clone()));
    Ok((ctx, auth))
}

/// The value of the session cookie, if the request carries one.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// Whether the request's `Origin` names the host it was sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host)),
        _ => false,
    }
}

/// Where the request comes from: address, `User-Agent` and request id.
pub(crate) fn client_of(parts: &Parts) -> Client {
    Client {
        ip: parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string()),
        user_agent: parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        request_id: parts
            .headers
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

/// 403 for a session whose user must change the password before anything else.
fn password_change_required() -> Problem {
    Problem::new(
        StatusCode::FORBIDDEN,
        "password-change-required",
        "Password change required",
        "change your password first with POST /api/v1/auth/password",
    )
}

/// The authenticated caller's context: who, which organization, request id, client
/// address, time and what they may do (checked by the service functions, see
/// `muster_service::authz`). Missing or invalid credentials are a 401; a session that must
/// change its password first is a 403 (`password-change-required`).
#[derive(Debug, Clone)]
pub struct Caller(pub Ctx);

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Authed(ctx, _) = Authed::from_request_parts(parts, state).await?;
        Ok(Self(ctx))
    }
}

/// Whether the query string says `confirm=true` (the multi-location confirmation).
fn confirmed(query: Option<&str>) -> bool {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .any(|(key, value)| key == "confirm" && value == "true")
}

/// Like [`Caller`], with the credential the caller used (session or API token).
#[derive(Debug, Clone)]
pub struct Authed(pub Ctx, pub Authenticated);

impl FromRequestParts<AppState> for Authed {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (ctx, auth) = resolve(parts, state).await?;
        if auth.must_change_password() {
            return Err(password_change_required());
        }
        Ok(Self(ctx, auth))
    }
}

/// Like [`Authed`], but also for a session that must change its password first: only for
/// `GET /me`, `POST /auth/password` and `POST /auth/logout`.
#[derive(Debug, Clone)]
pub struct AuthedPendingPasswordChange(pub Ctx, pub Authenticated);

impl FromRequestParts<AppState> for AuthedPendingPasswordChange {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (ctx, auth) = resolve(parts, state).await?;
        Ok(Self(ctx, auth))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }

    #[test]
    fn errors_name_the_field() {
        let unknown = parse_json::<Body>(br#"{"name": "a", "colour": 1}"#).unwrap_err();
        assert_eq!(unknown.errors[0].field, "colour");
        let nested = parse_json::<Body>(br#"{"name": "a", "inner": {"count": "x"}}"#).unwrap_err();
        assert_eq!(nested.errors[0].field, "inner.count");
        assert_eq!(nested.status, 422);
        let missing = parse_json::<Body>(br#"{"inner": {"count": 1}}"#).unwrap_err();
        assert_eq!(missing.errors[0].field, "name");
        let nested_missing = parse_json::<Body>(br#"{"name": "a", "inner": {}}"#).unwrap_err();
        assert_eq!(nested_missing.errors[0].field, "inner.count");
        let syntax = parse_json::<Body>(br#"{"name": "#).unwrap_err();
        assert_eq!(syntax.status, 400);
    }
}
