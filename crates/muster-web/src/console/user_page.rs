//! The user page: the header every tab shares (photo, name, status, where they work),
//! the tabs the caller may open, the multi-location confirmation dialog, and the first
//! two tabs — Details (with Reset & resend password and Un-ban) and Edit account (with
//! barcodes).
//!
//! Which tabs and buttons appear is a courtesy computed from the same `authz` questions
//! the services ask; the services decide again when the caller acts.

use askama::Template;
use askama_web::WebTemplate;

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use muster_domain::UserId;
use muster_domain::access::Capability;
use muster_domain::hierarchy::{Access, Section};
use muster_domain::people::{Barcode, NewBarcode};
use muster_domain::user::{LoginKind, User, UserStatus};
use muster_service::paging::PageRequest;
use muster_service::{Ctx, ServiceError, audit, authz, files, outbox, people, photos, users};

use super::account::AccountForm;
use super::forms::{Choice, Lookups, Refusal, Submitted, form_field};
use super::page::{Chrome, Console, FieldErrors, display_name, redirect_with, service_page};
use super::user_new::one_line;
use super::user_records::RecordTab;
use crate::AppState;

/// One tab of the user page.
#[derive(Debug, Clone)]
pub(crate) struct Tab {
    /// Its label.
    pub(crate) label: &'static str,
    /// Its address.
    pub(crate) href: String,
    /// Whether it is the tab shown.
    pub(crate) current: bool,
}

/// The multi-location confirmation (DESIGN.md §2.1): the refused form, repeated with
/// `confirm=1` once the administrator agrees.
#[derive(Debug, Clone)]
pub(crate) struct ConfirmDialog {
    /// Where the form goes.
    pub(crate) action: String,
    /// Its fields as submitted (without the CSRF token, which the dialog adds).
    pub(crate) fields: Vec<(String, String)>,
    /// The service's explanation.
    pub(crate) message: String,
}

/// What every tab of the user page shows above its content.
#[derive(Debug, Clone)]
pub(crate) struct UserFrame {
    /// The user's id.
    pub(crate) id: String,
    /// Their name as shown.
    pub(crate) name: String,
    /// Initials for the avatar.
    pub(crate) initials: String,
    /// Login.
    pub(crate) login: String,
    /// Status, as a word; empty when active.
    pub(crate) badge: &'static str,
    /// Badge colour.
    pub(crate) badge_kind: &'static str,
    /// Their default location and role there.
    pub(crate) where_: String,
    /// Whether they are an organization administrator.
    pub(crate) is_org_admin: bool,
    /// The tabs.
    pub(crate) tabs: Vec<Tab>,
    /// The confirmation dialog to open, if the last change needs one.
    pub(crate) confirm: Option<ConfirmDialog>,
    /// Whether this is the caller's own page.
    pub(crate) own: bool,
    /// Whether the person has a photo the caller may see (the avatar shows it).
    pub(crate) photo: bool,
}

impl UserFrame {
    /// The frame of `user`, on tab `current`: the tabs offered are those whose services
    /// would answer the caller (records sections they may view, the files module as the
    /// organization set it up, the person's audit trail).
    pub(crate) async fn load(state: &AppState, ctx: &Ctx, user: &User, current: &str) -> Self {
        let id = user.id;
        let can = |c| authz::can_on_user(ctx, c, id);
        let own = authz::is_self(ctx, id);
        let view = can(Capability::UsersView);
        let files = files::can_read(&state.store, ctx, id)
            .await
            .unwrap_or(false);
        let photo = photos::get(&state.store, ctx, id).await.is_ok();
        let mut tabs = vec![("", "Details")];
        if own || can(Capability::UsersEdit) {
            tabs.push(("account", "Edit account"));
        }
        tabs.push(("placements", "Locations & roles"));
        if view || own {
            tabs.push(("permissions", "Permissions"));
        }
        if view {
            tabs.push(("access", "Access"));
        }
        if can(Capability::UsersLifecycle) || authz::is_org_admin(ctx) {
            tabs.push(("admin", "Admin features"));
        }
        if own || view || can(Capability::UsersEdit) {
            tabs.push(("contacts", "Emergency contacts"));
            tabs.push(("specialties", "Specialties"));
        }
        for group in RecordTab::ALL {
            if group.first_viewable(ctx, id).is_some() {
                tabs.push((group.key(), group.label()));
            }
        }
        if files {
            tabs.push(("files", "Files"));
        }
        if own || view {
            tabs.push(("activity", "Login activity"));
        }
        if audit::may_list_for_user(ctx, id).is_ok() {
            tabs.push(("audit", "Audit"));
        }
        let base = format!("/console/users/{id}");
        let tabs = tabs
            .into_iter()
            .map(|(key, label)| Tab {
                label,
                href: if key.is_empty() {
                    base.clone()
                } else {
                    format!("{base}/{key}")
                },
                current: key == current,
            })
            .collect();
        let (badge, badge_kind) = status_badge(user.status);
        let default = user.placements.iter().find(|p| p.default);
        Self {
            id: id.to_string(),
            name: display_name(
                &user.first_name,
                &user.last_name,
                user.display_name.as_deref(),
            ),
            initials: format!(
                "{}{}",
                user.first_name.chars().next().unwrap_or('?'),
                user.last_name.chars().next().unwrap_or_default()
            )
            .to_uppercase(),
            login: user.login.clone(),
            badge,
            badge_kind,
            where_: default
                .map(|p| format!("{} at {}", p.role_name, p.node_name))
                .unwrap_or_default(),
            is_org_admin: user.is_org_admin,
            tabs,
            confirm: None,
            own,
            photo,
        }
    }

    /// The frame with the confirmation dialog for a refused form.
    pub(crate) fn confirming(mut self, refusal: &Refusal, action: &str, form: &Submitted) -> Self {
        if refusal.confirm {
            self.confirm = Some(ConfirmDialog {
                action: action.to_owned(),
                fields: form
                    .pairs()
                    .iter()
                    .filter(|(k, _)| k != "csrf" && k != "confirm")
                    .cloned()
                    .collect(),
                message: refusal.message.clone().unwrap_or_default(),
            });
        }
        self
    }
}

/// A status as a badge: word and colour (nothing for active users).
pub(crate) fn status_badge(status: UserStatus) -> (&'static str, &'static str) {
    match status {
        UserStatus::Active => ("", ""),
        UserStatus::Inactive => ("Inactive", "neutral"),
        UserStatus::Banned => ("Banned", "danger"),
        UserStatus::Retired => ("Retired", "warning"),
        UserStatus::Separated => ("Separated", "warning"),
        UserStatus::Deleted => ("Deleted", "danger"),
    }
}

/// The user `id` in the caller's eyes (404 page when they cannot see them).
pub(crate) async fn load(state: &AppState, ctx: &Ctx, id: &str) -> Result<User, Response> {
    let Ok(uuid) = uuid::Uuid::parse_str(id) else {
        return Err(service_page(ServiceError::NotFound("user")));
    };
    users::get(&state.store, ctx, UserId::from_uuid(uuid))
        .await
        .map_err(service_page)
}

/// The person a user-page request is about (the `{id}` of its path), as the caller sees
/// them, and the caller: a page of someone the caller cannot see is the 404 page.
pub(crate) struct Viewed {
    /// The caller.
    pub(crate) console: Console,
    /// The person.
    pub(crate) user: User,
}

impl FromRequestParts<AppState> for Viewed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let console = Console::from_request_parts(parts, state).await?;
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| service_page(ServiceError::NotFound("user")))?;
        let id = params.get("id").map_or("", String::as_str);
        let user = load(state, &console.ctx, id).await?;
        Ok(Self { console, user })
    }
}

impl Viewed {
    /// Takes the form's `confirm` into the request context: the caller agreed to change a
    /// user who also works elsewhere.
    pub(crate) fn confirming(mut self, form: &Submitted) -> Self {
        self.console.ctx.confirmed = form.ticked("confirm");
        self
    }
}

/// A label and value of the Details tab.
struct Detail {
    label: &'static str,
    value: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "user_details.html")]
#[allow(clippy::struct_excessive_bools)] // A page's flags: which buttons it offers.
struct DetailsPage {
    chrome: Chrome,
    frame: UserFrame,
    sections: Vec<(&'static str, Vec<Detail>)>,
    can_reset: bool,
    can_unban: bool,
    can_lifecycle: bool,
    banned: bool,
    resettable: bool,
    /// Whether the photo card is shown (the caller may see the person's photo).
    photo_card: bool,
    /// Whether the caller may upload, replace or remove the photo.
    can_change_photo: bool,
    /// The status privilege's switch offered to a caller without `users.lifecycle`:
    /// `deactivate`, `reactivate` or nothing.
    status_switch: &'static str,
    /// The user's version (sent back as `If-Match`).
    version: i64,
}

/// `GET /console/users/{id}`: the Details tab.
pub(crate) async fn details(
    State(state): State<AppState>,
    Viewed { console, user }: Viewed,
) -> Response {
    let lookups = match Lookups::load(&state, &console.ctx).await {
        Ok(lookups) => lookups,
        Err(error) => return service_page(error),
    };
    let ctx = &console.ctx;
    let can = |c| authz::can_on_user(ctx, c, user.id);
    let can_change_photo = photos::may_change(&state.store, ctx, user.id).await.is_ok();
    let status_switch =
        if can(Capability::UsersLifecycle) || !users::holds_status_privilege(ctx, user.id) {
            ""
        } else {
            match user.status {
                UserStatus::Active => "deactivate",
                UserStatus::Inactive => "reactivate",
                _ => "",
            }
        };
    let page = DetailsPage {
        frame: UserFrame::load(&state, ctx, &user, "").await,
        photo_card: photos::may_view(ctx, user.id).is_ok(),
        can_change_photo,
        status_switch,
        version: user.version,
        sections: detail_sections(&user, &lookups),
        can_reset: can(Capability::UsersResetPassword),
        can_unban: can(Capability::UsersLifecycle),
        can_lifecycle: can(Capability::UsersLifecycle),
        banned: user.status == UserStatus::Banned,
        resettable: user.login_kind == LoginKind::Password,
        chrome: console.chrome.page(
            "users",
            display_name(
                &user.first_name,
                &user.last_name,
                user.display_name.as_deref(),
            ),
        ),
    };
    page.into_response()
}

/// The Details tab's fields, by section; empty values are left out.
fn detail_sections(user: &User, lookups: &Lookups) -> Vec<(&'static str, Vec<Detail>)> {
    let mut sections = vec![
        ("Account", account_details(user, lookups)),
        ("Contact", contact_details(user)),
        ("HR", hr_details(user, lookups)),
    ];
    if let Some(d) = &user.demographics {
        sections.push((
            "Demographics",
            vec![
                detail("Date of birth", long_date(d.date_of_birth)),
                detail("Gender", text(d.gender.as_ref())),
            ],
        ));
    }
    for (_, details) in &mut sections {
        details.retain(|d| !d.value.is_empty());
    }
    sections
}

fn detail(label: &'static str, value: String) -> Detail {
    Detail { label, value }
}

fn text(value: Option<&String>) -> String {
    value.cloned().unwrap_or_default()
}

/// "March 4, 2019".
fn long_date(date: Option<chrono::NaiveDate>) -> String {
    date.map(|d| d.format("%B %-d, %Y").to_string())
        .unwrap_or_default()
}

fn account_details(user: &User, lookups: &Lookups) -> Vec<Detail> {
    let signs_in = match user.login_kind {
        LoginKind::Password => "Password",
        LoginKind::Pin => "PIN",
        LoginKind::None => "Cannot sign in",
    };
    vec![
        detail("Login", user.login.clone()),
        detail("Employee number", text(user.employee_number.as_ref())),
        detail("Badge number", text(user.badge_number.as_ref())),
        detail("Signs in with", signs_in.to_owned()),
        detail("Command group", lookups.group_name(user.command_group_id)),
        detail(
            "Last sign-in",
            user.last_login_at.map_or_else(
                || "Never".to_owned(),
                |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
            ),
        ),
    ]
}

fn contact_details(user: &User) -> Vec<Detail> {
    let phones = user
        .phones
        .iter()
        .map(|p| {
            let carrier = p.carrier.as_ref().map(|c| format!(" · {c}"));
            let private = if p.private { " · private" } else { "" };
            format!(
                "{} ({}){}{private}",
                p.number,
                p.kind,
                carrier.unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let address = user
        .effective_address
        .as_ref()
        .map(one_line)
        .map(|a| {
            if user.address.is_none() && !a.is_empty() {
                format!("{a} (the organization's)")
            } else {
                a
            }
        })
        .unwrap_or_default();
    vec![
        detail("Email", text(user.email.as_ref())),
        detail("Other emails", user.emails.join(", ")),
        detail("Phones", phones),
        detail("Address", address),
    ]
}

fn hr_details(user: &User, lookups: &Lookups) -> Vec<Detail> {
    let named = |items, id: Option<uuid::Uuid>| Lookups::name_in(items, id);
    let title = match (
        named(&lookups.titles, user.title_id.map(|t| t.as_uuid())),
        user.title_designation.as_deref(),
    ) {
        (t, Some(d)) if !t.is_empty() => format!("{t} {d}"),
        (t, _) => t,
    };
    let specialties = user
        .specialties
        .iter()
        .map(|s| named(&lookups.specialties, Some(s.as_uuid())))
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        detail("Title", title),
        detail(
            "Rank",
            named(&lookups.ranks, user.rank_id.map(|r| r.as_uuid())),
        ),
        detail(
            "Unit",
            named(&lookups.units, user.unit_id.map(|u| u.as_uuid())),
        ),
        detail("Hire date", long_date(user.hire_date)),
        detail("Start date", long_date(user.start_date)),
        detail("Transfer date", long_date(user.transfer_date)),
        detail("Last day", long_date(user.last_day)),
        detail("Leave reason", text(user.leave_reason.as_ref())),
        detail(
            "Separation status",
            named(
                &lookups.separation_statuses,
                user.separation_status_id.map(|s| s.as_uuid()),
            ),
        ),
        detail("Payroll identifier", text(user.payroll_id.as_ref())),
        detail("Specialties", specialties),
    ]
}

#[derive(Template, WebTemplate)]
#[template(path = "user_account.html")]
struct AccountPage {
    chrome: Chrome,
    frame: UserFrame,
    form: AccountForm,
    refusal: Refusal,
    errors: FieldErrors,
    titles: Vec<Choice>,
    ranks: Vec<Choice>,
    units: Vec<Choice>,
    groups: Vec<Choice>,
    directory: Vec<Choice>,
    barcodes: Vec<Barcode>,
    /// Fields the caller may not change (shown greyed).
    locked: Vec<&'static str>,
    demographics: bool,
    demographics_editable: bool,
    /// The user's version the form was drawn from (sent back as `If-Match`).
    version: i64,
    /// Where the form comes back to: "/console/me" for My profile.
    back: &'static str,
}

impl AccountPage {
    fn locked(&self, field: &str) -> bool {
        self.locked.contains(&field)
    }
}

/// Fields of the account form.
pub(crate) const ACCOUNT_FIELDS: [&str; 23] = [
    "first_name",
    "last_name",
    "display_name",
    "login",
    "employee_number",
    "badge_number",
    "email",
    "phones",
    "address",
    "title_id",
    "title_designation",
    "rank_id",
    "unit_id",
    "hire_date",
    "start_date",
    "transfer_date",
    "last_day",
    "leave_reason",
    "payroll_id",
    "command_group_id",
    "directory_access",
    "can_sms",
    "preferences",
];

/// The account fields the caller may not change on `user`: all of them without
/// `users.edit`, except what the organization lets employees change on their own
/// profile; nobody changes their own command group.
pub(crate) async fn locked_fields(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
) -> Result<Vec<&'static str>, ServiceError> {
    let edits = authz::can_on_user(ctx, Capability::UsersEdit, user.id);
    if !authz::is_self(ctx, user.id) {
        return Ok(if edits {
            Vec::new()
        } else {
            ACCOUNT_FIELDS.to_vec()
        });
    }
    let settings = muster_service::settings::get(&state.store, ctx).await?;
    let org_admin = authz::is_org_admin(ctx);
    Ok(ACCOUNT_FIELDS
        .iter()
        .copied()
        .filter(|f| {
            let access = matches!(*f, "command_group_id" | "directory_access" | "can_sms");
            let allowed = settings.allows_self_service(f)
                || (org_admin && *f != "command_group_id")
                || (edits && !access);
            !allowed
        })
        .collect())
}

/// Renders the Edit account tab with `form` and `refusal`.
async fn account_page(
    state: &AppState,
    console: Console,
    user: &User,
    form: AccountForm,
    refusal: Refusal,
    submitted: Option<&Submitted>,
) -> Response {
    let mine = submitted.map_or(console.chrome.nav == "me", |s| {
        s.get("back") == "/console/me"
    });
    let ctx = &console.ctx;
    let lookups = match Lookups::load(state, ctx).await {
        Ok(lookups) => lookups,
        Err(error) => return service_page(error),
    };
    let locked = match locked_fields(state, ctx, user).await {
        Ok(locked) => locked,
        Err(error) => return service_page(error),
    };
    let barcodes = people::list_barcodes(&state.store, ctx, user.id, &PageRequest::first(100))
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let carriers = outbox::carriers(&state.store).await.unwrap_or_default();
    let action = format!("/console/users/{}/account", user.id);
    let frame = match submitted {
        Some(s) => UserFrame::load(state, ctx, user, "account")
            .await
            .confirming(&refusal, &action, s),
        None => UserFrame::load(state, ctx, user, "account").await,
    };
    let status = refusal.status();
    let page = AccountPage {
        frame,
        titles: form.titles(&lookups),
        ranks: form.ranks(&lookups),
        units: form.units(&lookups),
        groups: form.groups(&lookups),
        directory: form.directory_choices(),
        errors: refusal.fields.clone(),
        form: form.with_phone_rows(&refusal.fields, &carriers),
        refusal,
        barcodes,
        locked,
        demographics: user.demographics.is_some(),
        demographics_editable: authz::can_section(
            ctx,
            user.id,
            Section::Demographics,
            Access::Edit,
        ),
        version: user.version,
        back: if mine { "/console/me" } else { "" },
        chrome: if mine {
            console.chrome.page("me", "My profile")
        } else {
            console.chrome.page("users", "Edit account")
        },
    };
    (status, page).into_response()
}

/// `GET /console/users/{id}/account`.
pub(crate) async fn account(
    State(state): State<AppState>,
    Viewed { console, user }: Viewed,
) -> Response {
    let form = AccountForm::of(&user);
    account_page(&state, console, &user, form, Refusal::default(), None).await
}

/// `GET /console/me`: My profile, the caller's own account form; the fields the
/// organization does not let employees change are greyed out.
pub(crate) async fn me(State(state): State<AppState>, mut console: Console) -> Response {
    let user = console.me.user.clone();
    console.chrome = console.chrome.page("me", "My profile");
    let form = AccountForm::of(&user);
    account_page(&state, console, &user, form, Refusal::default(), None).await
}

/// `POST /console/users/{id}/account`: saves what changed (a merge patch, as
/// `PATCH /api/v1/users/{id}`).
pub(crate) async fn save_account(
    State(state): State<AppState>,
    viewed: Viewed,
    submitted: Submitted,
) -> Response {
    let Viewed { console, user } = viewed.confirming(&submitted);
    let before = AccountForm::of(&user);
    let form = AccountForm::submitted(&before, &submitted);
    let mut errors = FieldErrors::default();
    let patch = form.to_patch(&before, &mut errors);
    if !errors.is_empty() {
        let refusal = Refusal::fields(errors);
        return account_page(&state, console, &user, form, refusal, Some(&submitted)).await;
    }
    let version = submitted.get("version").parse().ok();
    let back = if submitted.get("back") == "/console/me" {
        "/console/me".to_owned()
    } else {
        format!("/console/users/{}/account", user.id)
    };
    match users::update(&state.store, &console.ctx, user.id, version, patch).await {
        Ok(_) => redirect_with(&back, "success", "Your changes were saved."),
        Err(error) => {
            let refusal = Refusal::of(error, &form_field);
            account_page(&state, console, &user, form, refusal, Some(&submitted)).await
        }
    }
}

/// `POST /console/users/{id}/barcodes`: adds (`code`) or removes (`remove`) a barcode.
pub(crate) async fn barcodes(
    State(state): State<AppState>,
    Viewed { console, user }: Viewed,
    form: Submitted,
) -> Response {
    let back = format!("/console/users/{}/account", user.id);
    let result = if form.has("remove") {
        people::delete_barcode(&state.store, &console.ctx, user.id, form.get("remove"))
            .await
            .map(|()| "The barcode was removed.")
    } else {
        let request = NewBarcode {
            code: form.get("code").trim().to_owned(),
        };
        people::add_barcode(&state.store, &console.ctx, user.id, request)
            .await
            .map(|_| "The barcode was added.")
    };
    match result {
        Ok(note) => redirect_with(&back, "success", note),
        Err(error) => {
            let refusal = Refusal::of(error, &form_field);
            let text = refusal.fields.get("code").map_or_else(
                || refusal.message.clone().unwrap_or_default(),
                |m| format!("Barcode: {m}"),
            );
            redirect_with(&back, "error", &text)
        }
    }
}
