//! A JSON API client bound to one organization's token.

use reqwest::Method;
use reqwest::header::{HeaderMap, IF_MATCH};
use serde_json::Value;

use crate::TestApp;

/// What `muster init --json` created.
#[derive(Debug, Clone)]
pub struct OrgFixture {
    /// Organization id.
    pub org_id: String,
    /// Sign-in handle.
    pub slug: String,
    /// Root node id.
    pub root_node_id: String,
    /// The administrator's id.
    pub admin_id: String,
    /// An API token acting as the administrator.
    pub token: String,
}

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body as JSON (`Null` when empty or not JSON).
    pub body: Value,
}

impl Reply {
    /// The `ETag` header, if any.
    #[must_use]
    pub fn etag(&self) -> Option<String> {
        self.headers
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// The `Content-Type` header.
    #[must_use]
    pub fn content_type(&self) -> String {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    /// Asserts the status, printing the body when it differs; returns the body.
    #[track_caller]
    #[allow(clippy::must_use_candidate)] // Mostly called as an assertion.
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {:#}",
            self.body
        );
        &self.body
    }

    /// Asserts a problem document with this status and problem type (the last segment of
    /// its `type` URI).
    #[track_caller]
    pub fn expect_problem_type(&self, status: u16, kind: &str) {
        self.expect(status);
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "{:#}",
            self.body
        );
        let uri = self.body["type"].as_str().unwrap_or_default();
        assert!(
            uri.ends_with(&format!("/{kind}")),
            "expected problem type {kind}: {:#}",
            self.body
        );
    }

    /// Asserts a problem document with this status naming `field` in its `errors`.
    #[track_caller]
    pub fn expect_problem(&self, status: u16, field: &str) {
        self.expect(status);
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "{:#}",
            self.body
        );
        let errors = self.body["errors"].as_array().cloned().unwrap_or_default();
        assert!(
            errors.iter().any(|e| e["field"] == field),
            "expected an error on {field:?}: {:#}",
            self.body
        );
    }
}

/// One part of a `multipart/form-data` body.
#[derive(Debug, Clone)]
pub struct Part {
    /// Form field name.
    pub name: String,
    /// File name, for file parts.
    pub file_name: Option<String>,
    /// Media type, for file parts.
    pub content_type: Option<String>,
    /// Content.
    pub data: Vec<u8>,
}

impl Part {
    /// A text field.
    #[must_use]
    pub fn text(name: &str, value: &str) -> Self {
        Self {
            name: name.to_owned(),
            file_name: None,
            content_type: None,
            data: value.as_bytes().to_vec(),
        }
    }

    /// A file field.
    #[must_use]
    pub fn file(name: &str, file_name: &str, content_type: &str, data: Vec<u8>) -> Self {
        Self {
            name: name.to_owned(),
            file_name: Some(file_name.to_owned()),
            content_type: Some(content_type.to_owned()),
            data,
        }
    }
}

/// A response whose body is kept as bytes (downloads).
#[derive(Debug, Clone)]
pub struct Download {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub bytes: Vec<u8>,
}

impl Download {
    /// A header's value (empty when absent).
    #[must_use]
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
}

/// The boundary of the multipart bodies [`Api::upload`] builds.
const BOUNDARY: &str = "muster-test-boundary-7MA4YWxkTrZu0gW";

/// Calls the JSON API with a bearer token.
#[derive(Debug, Clone)]
pub struct Api {
    base: String,
    client: reqwest::Client,
    token: String,
}

impl Api {
    /// A client for `app` authenticating with `token`.
    #[must_use]
    pub fn new(app: &TestApp, token: &str) -> Self {
        Self {
            base: format!("{}/api/v1", app.base_url),
            client: app.client.clone(),
            token: token.to_owned(),
        }
    }

    /// A client for the server at `base_url` (another node on the same database).
    #[must_use]
    pub fn at(base_url: &str, token: &str) -> Self {
        Self {
            base: format!("{base_url}/api/v1"),
            client: {
                crate::install_tls_provider();
                reqwest::Client::new()
            },
            token: token.to_owned(),
        }
    }

    /// Sends a request; `path` is relative to `/api/v1`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(etag) = if_match {
            request = request.header(IF_MATCH, etag);
        }
        let response = request.send().await.expect("send the request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("read the response");
        Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// Sends `parts` as `multipart/form-data` with `method` (`POST` or `PUT`).
    pub async fn upload(
        &self,
        method: Method,
        path: &str,
        parts: &[Part],
        if_match: Option<&str>,
    ) -> Reply {
        let mut body = Vec::new();
        for part in parts {
            body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
            let disposition = match &part.file_name {
                Some(file_name) => format!(
                    "Content-Disposition: form-data; name=\"{}\"; filename=\"{file_name}\"",
                    part.name
                ),
                None => format!("Content-Disposition: form-data; name=\"{}\"", part.name),
            };
            body.extend_from_slice(disposition.as_bytes());
            body.extend_from_slice(b"\r\n");
            if let Some(content_type) = &part.content_type {
                body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
            }
            body.extend_from_slice(b"\r\n");
            body.extend_from_slice(&part.data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        self.send_raw(
            method,
            path,
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            body,
            if_match,
        )
        .await
    }

    /// Sends `body` as it is, with `content_type`.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        if_match: Option<&str>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", content_type)
            .body(body);
        if let Some(etag) = if_match {
            request = request.header(IF_MATCH, etag);
        }
        let response = request.send().await.expect("send the request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("read the response");
        Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// `GET path`, keeping the body as bytes.
    pub async fn download(&self, path: &str) -> Download {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("send the request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("read the response").to_vec();
        Download {
            status,
            headers,
            bytes,
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, Some(body), None).await
    }

    /// `PUT path` with a JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::PUT, path, Some(body), None).await
    }

    /// `PATCH path` with a JSON body and optional `If-Match`.
    pub async fn patch(&self, path: &str, body: &Value, if_match: Option<&str>) -> Reply {
        self.send(Method::PATCH, path, Some(body), if_match).await
    }

    /// `DELETE path` with optional `If-Match`.
    pub async fn delete(&self, path: &str, if_match: Option<&str>) -> Reply {
        self.send(Method::DELETE, path, None, if_match).await
    }
}

impl TestApp {
    /// Creates an organization with `muster init --json` and returns its ids and token.
    pub async fn init_org(&self, name: &str, admin_login: &str) -> OrgFixture {
        let out = self
            .muster(&[
                "init",
                "--org-name",
                name,
                "--admin-login",
                admin_login,
                "--json",
            ])
            .await;
        assert!(out.status.success(), "muster init failed: {out:?}");
        let created: Value = serde_json::from_str(&out.stdout).expect("init --json output");
        let text = |key: &str| created[key].as_str().expect(key).to_owned();
        OrgFixture {
            org_id: text("org_id"),
            slug: text("org_slug"),
            root_node_id: text("root_node_id"),
            admin_id: text("admin_user_id"),
            token: text("api_token"),
        }
    }

    /// An API client acting with `org`'s administrator token.
    #[must_use]
    pub fn api(&self, org: &OrgFixture) -> Api {
        Api::new(self, &org.token)
    }
}
