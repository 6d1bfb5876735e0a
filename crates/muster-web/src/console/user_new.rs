//! Create user: General, Contact, Address (prefilled with the organization's), Password
//! (set one, or generate a random one and email it; force a change at next sign-in), HR
//! settings and Administrator settings, then "Save & stay" leads to the new user's page,
//! where placements, files and the rest are completed (as `SecurityTrax` does).
//!
//! The page builds the same `CreateUser` request as `POST /api/v1/users` and calls
//! `muster_service::users::create`: who may create whom, at which location and with
//! which role is decided there.

use askama::Template;
use askama_web::WebTemplate;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use muster_domain::org::Address;
use muster_domain::user::{CreateUser, LoginKind, NewPlacement, Secret, UserStatus};
use muster_service::{outbox, settings, users};

use super::account::{AccountForm, login_kind};
use super::forms::{Choice, Lookups, Refusal, Submitted, choices, form_field, parse_id};
use super::page::{Chrome, Console, FieldErrors, redirect_with, service_page};
use crate::AppState;

/// The page's own fields, beside the account form.
#[derive(Debug, Clone)]
#[allow(clippy::struct_excessive_bools)] // The form's checkboxes.
struct Extra {
    node_id: String,
    role_id: String,
    login_kind: String,
    password_mode: String,
    send_notification: bool,
    must_change_password: bool,
    active: bool,
    is_org_admin: bool,
}

impl Extra {
    fn blank(node: Option<String>) -> Self {
        Self {
            node_id: node.unwrap_or_default(),
            role_id: String::new(),
            login_kind: "password".to_owned(),
            password_mode: "generate".to_owned(),
            send_notification: true,
            must_change_password: true,
            active: true,
            is_org_admin: false,
        }
    }

    fn submitted(form: &Submitted) -> Self {
        Self {
            node_id: form.get("node_id").to_owned(),
            role_id: form.get("role_id").to_owned(),
            login_kind: form.get("login_kind").to_owned(),
            password_mode: form.get("password_mode").to_owned(),
            send_notification: form.ticked("send_notification"),
            must_change_password: form.ticked("must_change_password"),
            active: form.ticked("active"),
            is_org_admin: form.ticked("is_org_admin"),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "user_new.html")]
struct NewUserPage {
    chrome: Chrome,
    form: AccountForm,
    extra: Extra,
    refusal: Refusal,
    errors: FieldErrors,
    nodes: Vec<Choice>,
    roles: Vec<Choice>,
    titles: Vec<Choice>,
    ranks: Vec<Choice>,
    units: Vec<Choice>,
    groups: Vec<Choice>,
    specialties: Vec<Choice>,
    directory: Vec<Choice>,
    kinds: Vec<Choice>,
    org_address: String,
}

/// Everything the page shows besides the values.
async fn render(
    state: &AppState,
    console: Console,
    form: AccountForm,
    extra: Extra,
    refusal: Refusal,
) -> Response {
    let lookups = match Lookups::load(state, &console.ctx).await {
        Ok(lookups) => lookups,
        Err(error) => return service_page(error),
    };
    let carriers = outbox::carriers(&state.store).await.unwrap_or_default();
    let org_address = match settings::get(&state.store, &console.ctx).await {
        Ok(s) => one_line(&s.address),
        Err(error) => return service_page(error),
    };
    let within = console.me.current_node_id;
    let status = refusal.status();
    let page = NewUserPage {
        nodes: lookups.node_choices_within(within, std::slice::from_ref(&extra.node_id)),
        roles: lookups.role_choices(
            std::slice::from_ref(&extra.role_id),
            Some("— choose a role —"),
        ),
        titles: form.titles(&lookups),
        ranks: form.ranks(&lookups),
        units: form.units(&lookups),
        groups: form.groups(&lookups),
        specialties: form.specialty_choices(&lookups),
        directory: form.directory_choices(),
        kinds: choices(
            [
                ("password".to_owned(), "Password"),
                ("pin".to_owned(), "PIN only (kiosk, barcode)"),
                ("none".to_owned(), "Cannot sign in (non-login user)"),
            ],
            std::slice::from_ref(&extra.login_kind),
            None,
        ),
        chrome: console.chrome.page("new-user", "Create user"),
        errors: refusal.fields.clone(),
        form: form.with_phone_rows(&refusal.fields, &carriers),
        refusal,
        extra,
        org_address,
    };
    (status, page).into_response()
}

/// An address on one line ("12 Main St, Harbor City, CA 90001").
pub(crate) fn one_line(address: &Address) -> String {
    [
        &address.street,
        &address.street2,
        &address.city,
        &address.region,
        &address.postal_code,
        &address.country,
    ]
    .iter()
    .filter_map(|part| part.as_deref())
    .filter(|part| !part.trim().is_empty())
    .collect::<Vec<_>>()
    .join(", ")
}

/// `GET /console/users/new`.
pub(crate) async fn page(State(state): State<AppState>, console: Console) -> Response {
    let address = match settings::get(&state.store, &console.ctx).await {
        Ok(s) => s.address,
        Err(error) => return service_page(error),
    };
    let form = AccountForm::blank(&address);
    let extra = Extra::blank(console.me.current_node_id.map(|n| n.to_string()));
    render(&state, console, form, extra, Refusal::default()).await
}

/// `POST /console/users/new`: creates the user and opens their page.
pub(crate) async fn create(
    State(state): State<AppState>,
    console: Console,
    submitted: Submitted,
) -> Response {
    let org_address = match settings::get(&state.store, &console.ctx).await {
        Ok(s) => s.address,
        Err(error) => return service_page(error),
    };
    let form = AccountForm::submitted(&AccountForm::blank(&org_address), &submitted);
    let extra = Extra::submitted(&submitted);
    let mut errors = FieldErrors::default();
    let request = request(&form, &extra, &submitted, &org_address, &mut errors);
    if !errors.is_empty() {
        return render(&state, console, form, extra, Refusal::fields(errors)).await;
    }
    let emailed = request.send_notification == Some(true);
    match users::create(&state.store, &console.ctx, request).await {
        Ok(user) => {
            let note = if emailed && user.email.is_some() {
                format!(
                    "{} {} was created; their sign-in details are on the way by email.",
                    user.first_name, user.last_name
                )
            } else {
                format!("{} {} was created.", user.first_name, user.last_name)
            };
            redirect_with(&format!("/console/users/{}", user.id), "success", &note)
        }
        Err(error) => {
            let refusal = Refusal::of(error, &form_field);
            render(&state, console, form, extra, refusal).await
        }
    }
}

/// The `CreateUser` of the submitted form; problems the form can tell by itself (a bad
/// date, passwords that differ) go to `errors`.
fn request(
    form: &AccountForm,
    extra: &Extra,
    submitted: &Submitted,
    org_address: &Address,
    errors: &mut FieldErrors,
) -> CreateUser {
    let mut request = form.to_create(errors, org_address);
    let kind = login_kind(&extra.login_kind).unwrap_or(LoginKind::Password);
    request.login_kind = Some(kind);
    let node = parse_id(errors, "node_id", &extra.node_id);
    let role = parse_id(errors, "role_id", &extra.role_id);
    if node.is_none() && !errors.has("node_id") {
        errors.push("node_id", "choose the location the user works at");
    }
    if role.is_none() && !errors.has("role_id") {
        errors.push("role_id", "choose the user's role there");
    }
    if let (Some(node_id), Some(role_id)) = (node, role) {
        request.placements = vec![NewPlacement {
            node_id,
            role_id,
            default: true,
            starts_on: None,
            ends_on: None,
        }];
    }
    match kind {
        LoginKind::Password if extra.password_mode == "set" => {
            let password = submitted.get("password");
            if password != submitted.get("password_confirm") {
                errors.push("password_confirm", "the two passwords differ");
            }
            if password.is_empty() {
                errors.push("password", "enter a password, or have one generated");
            }
            request.password = Some(Secret::new(password.to_owned()));
            request.must_change_password = Some(extra.must_change_password);
            request.send_notification = Some(extra.send_notification);
        }
        LoginKind::Password => {
            request.generate_password = Some(true);
            request.send_notification = Some(extra.send_notification);
        }
        LoginKind::Pin => {
            request.pin = Some(Secret::new(submitted.get("pin").trim().to_owned()));
        }
        LoginKind::None => {}
    }
    request.status = Some(if extra.active {
        UserStatus::Active
    } else {
        UserStatus::Inactive
    });
    request.is_org_admin = extra.is_org_admin;
    request
}
