//! The web console: server-rendered HTML for administrators and employees.
//!
//! Every page calls the same `muster-service` functions as the JSON API, with the same
//! [`muster_service::Ctx`] (the caller resolved from the session cookie), so the console
//! holds no rule of its own: what a page offers is what the services allow, and a refused
//! action comes back as the service's error, shown inline or as a toast.
//!
//! Security: a strict Content-Security-Policy (scripts and styles only from
//! `/console/static/`, nothing inline), a double-submit CSRF token checked on every
//! unsafe request ([`security`]), the API's same-origin check for cookie-authenticated
//! writes, and askama's HTML escaping of everything rendered.

mod account;
mod assets;
mod audit_events;
mod auth;
mod forms;
mod organization;
mod page;
mod security;
mod user_access;
mod user_admin;
mod user_audit;
mod user_files;
mod user_more;
mod user_new;
mod user_page;
mod user_placements;
mod user_records;
mod users;
mod users_bulk;
mod users_import;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::Redirect;
use axum::routing::{get, post};

use crate::AppState;

/// The console's routes, under `/console` (and `/`, which leads there).
pub(crate) fn router(state: AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/console", get(page::home))
        .route("/console/", get(page::home))
        .route(
            "/console/sign-in",
            get(auth::sign_in_page).post(auth::sign_in),
        )
        .route("/console/sign-out", post(auth::sign_out))
        .route(
            "/console/password",
            get(auth::password_page).post(auth::change_password),
        )
        .route("/console/location", post(auth::set_location))
        .route("/console/users", get(users::list))
        .route("/console/users/bulk", post(users_bulk::bulk))
        .route(
            "/console/users/import",
            get(users_import::page)
                .post(users_import::upload)
                .layer(DefaultBodyLimit::max(users_import::MAX_BYTES)),
        )
        .route(
            "/console/users/new",
            get(user_new::page).post(user_new::create),
        )
        .route("/console/me", get(user_page::me))
        .route("/console/users/{id}", get(user_page::details))
        .route(
            "/console/users/{id}/account",
            get(user_page::account).post(user_page::save_account),
        )
        .route("/console/users/{id}/barcodes", post(user_page::barcodes))
        .route(
            "/console/users/{id}/placements",
            get(user_placements::page).post(user_placements::add),
        )
        .route(
            "/console/users/{id}/placements/{node}",
            post(user_placements::change),
        )
        .route(
            "/console/users/{id}/permissions",
            get(user_access::permissions),
        )
        .route("/console/users/{id}/access", get(user_access::access))
        .route("/console/users/{id}/admin", get(user_admin::page))
        .route("/console/users/{id}/lifecycle", post(user_admin::lifecycle))
        .route(
            "/console/users/{id}/reset-password",
            post(user_admin::reset_password),
        )
        .route(
            "/console/users/{id}/contacts",
            get(user_more::contacts).post(user_more::save_contact),
        )
        .route(
            "/console/users/{id}/specialties",
            get(user_more::specialties).post(user_more::save_specialties),
        )
        .route("/console/users/{id}/activity", get(user_more::activity))
        .route("/console/users/{id}/promotions", get(user_records::career))
        .route(
            "/console/users/{id}/records",
            get(user_records::records_tab),
        )
        .route(
            "/console/users/{id}/records/{section}",
            get(user_records::section).post(user_records::save),
        )
        .route(
            "/console/users/{id}/files",
            get(user_files::page).post(user_files::upload).layer(
                // Uploads are limited by the organization's settings while they stream.
                DefaultBodyLimit::disable(),
            ),
        )
        .route(
            "/console/users/{id}/files/{file}/delete",
            post(user_files::delete),
        )
        .route(
            "/console/users/{id}/photo",
            post(user_files::upload_photo).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/console/users/{id}/photo/remove",
            post(user_files::remove_photo),
        )
        .route("/console/users/{id}/audit", get(user_audit::page))
        .route("/console/static/{file}", get(assets::serve))
        .merge(organization::routes())
        .route("/console/{*rest}", get(page::not_found))
        .layer(axum::middleware::from_fn_with_state(
            state,
            security::protect,
        ));
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .merge(pages)
}
