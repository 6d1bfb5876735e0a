//! The user page's remaining tabs: Emergency contacts (add, edit, remove), Specialties
//! (a multi-select from the organization's list) and Login activity (every sign-in
//! attempt, newest first).

use askama::Template;
use askama_web::WebTemplate;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use muster_domain::ContactId;
use muster_domain::access::Capability;
use muster_domain::auth::LoginAttempt;
use muster_domain::org::Address;
use muster_domain::people::{EmergencyContact, EmergencyContactPatch, NewEmergencyContact};
use muster_domain::user::{Phone, User, UserPatch};
use muster_service::paging::PageRequest;
use muster_service::{auth, authz, people, users};
use serde::Deserialize;

use super::account::AccountForm;
use super::forms::{Choice, Lookups, Refusal, Submitted, choices, form_field, parse_id, present};
use super::page::{Chrome, Console, FieldErrors, redirect_with, service_page};
use super::user_page::{UserFrame, Viewed};
use crate::AppState;

/// An emergency contact as its form shows it.
#[derive(Debug, Clone, Default)]
struct ContactForm {
    /// Empty for a new contact.
    id: String,
    version: i64,
    name: String,
    relationship: String,
    priority: String,
    email: String,
    phone_kind: String,
    phone: String,
    phone2_kind: String,
    phone2: String,
    street: String,
    city: String,
    region: String,
    postal_code: String,
    /// The kinds offered for each phone, its kind selected.
    kinds: [Vec<Choice>; 2],
}

impl ContactForm {
    /// Fills in the phone kinds offered.
    fn with_kinds(mut self) -> Self {
        self.kinds = [
            AccountForm::phone_kinds(&self.phone_kind),
            AccountForm::phone_kinds(&self.phone2_kind),
        ];
        self
    }

    fn of(c: &EmergencyContact) -> Self {
        let phone = |i: usize| c.phones.get(i).cloned();
        let address = c.address.clone().unwrap_or_default();
        let text = |v: Option<String>| v.unwrap_or_default();
        Self {
            id: c.id.to_string(),
            version: c.version,
            name: c.name.clone(),
            relationship: text(c.relationship.clone()),
            priority: c.priority.to_string(),
            email: text(c.email.clone()),
            phone_kind: phone(0).map(|p| p.kind).unwrap_or_default(),
            phone: phone(0).map(|p| p.number).unwrap_or_default(),
            phone2_kind: phone(1).map(|p| p.kind).unwrap_or_default(),
            phone2: phone(1).map(|p| p.number).unwrap_or_default(),
            street: text(address.street),
            city: text(address.city),
            region: text(address.region),
            postal_code: text(address.postal_code),
            kinds: [Vec::new(), Vec::new()],
        }
        .with_kinds()
    }

    fn submitted(form: &Submitted) -> Self {
        let get = |name: &str| form.get(name).to_owned();
        Self {
            id: get("contact_id"),
            version: form.get("version").parse().unwrap_or_default(),
            name: get("name"),
            relationship: get("relationship"),
            priority: get("priority"),
            email: get("email"),
            phone_kind: get("phone_kind"),
            phone: get("phone"),
            phone2_kind: get("phone2_kind"),
            phone2: get("phone2"),
            street: get("street"),
            city: get("city"),
            region: get("region"),
            postal_code: get("postal_code"),
            kinds: [Vec::new(), Vec::new()],
        }
        .with_kinds()
    }

    fn phones(&self) -> Vec<Phone> {
        [
            (&self.phone_kind, &self.phone),
            (&self.phone2_kind, &self.phone2),
        ]
        .into_iter()
        .filter_map(|(kind, number)| {
            present(number).map(|number| Phone {
                kind: present(kind).unwrap_or_else(|| "mobile".to_owned()),
                number,
                carrier: None,
                private: false,
            })
        })
        .collect()
    }

    fn address(&self) -> Option<Address> {
        let address = Address {
            street: present(&self.street),
            city: present(&self.city),
            region: present(&self.region),
            postal_code: present(&self.postal_code),
            ..Address::default()
        };
        (address != Address::default()).then_some(address)
    }

    fn priority(&self, errors: &mut FieldErrors) -> Option<i64> {
        let text = present(&self.priority)?;
        let parsed = text.parse().ok();
        if parsed.is_none() {
            errors.push("priority", "enter a number from 1 to 99");
        }
        parsed
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "user_contacts.html")]
struct ContactsPage {
    chrome: Chrome,
    frame: UserFrame,
    contacts: Vec<ContactForm>,
    draft: ContactForm,
    /// The contact whose form was refused (empty: the new one).
    failed: String,
    refusal: Refusal,
    errors: FieldErrors,
    can_change: bool,
}

async fn contacts_page(
    state: &AppState,
    console: Console,
    user: &User,
    draft: ContactForm,
    refusal: Refusal,
    submitted: Option<&Submitted>,
) -> Response {
    let ctx = &console.ctx;
    let listed =
        match people::list_contacts(&state.store, ctx, user.id, &PageRequest::first(100)).await {
            Ok(page) => page.items,
            Err(error) => return service_page(error),
        };
    let failed = if refusal.message.is_some() {
        draft.id.clone()
    } else {
        String::new()
    };
    let contacts = listed
        .iter()
        .map(|c| {
            if !failed.is_empty() && c.id.to_string() == failed {
                draft.clone()
            } else {
                ContactForm::of(c)
            }
        })
        .collect();
    let action = format!("/console/users/{}/contacts", user.id);
    let frame = UserFrame::load(state, ctx, user, "contacts").await;
    let frame = match submitted {
        Some(form) => frame.confirming(&refusal, &action, form),
        None => frame,
    };
    let own = authz::is_self(ctx, user.id);
    let status = refusal.status();
    let page = ContactsPage {
        frame,
        contacts,
        draft: if failed.is_empty() {
            draft
        } else {
            ContactForm::default()
        },
        failed,
        errors: refusal.fields.clone(),
        refusal: if refusal.confirm {
            Refusal::default()
        } else {
            refusal
        },
        can_change: own || authz::can_on_user(ctx, Capability::UsersEdit, user.id),
        chrome: console.chrome.page("users", "Emergency contacts"),
    };
    (status, page).into_response()
}

/// `GET /console/users/{id}/contacts`.
pub(crate) async fn contacts(
    State(state): State<AppState>,
    Viewed { console, user }: Viewed,
) -> Response {
    let draft = ContactForm {
        priority: "1".to_owned(),
        ..ContactForm::default()
    }
    .with_kinds();
    contacts_page(&state, console, &user, draft, Refusal::default(), None).await
}

/// `POST /console/users/{id}/contacts`: adds (no `contact_id`), saves or removes
/// (`action=remove`) an emergency contact.
pub(crate) async fn save_contact(
    State(state): State<AppState>,
    viewed: Viewed,
    form: Submitted,
) -> Response {
    let Viewed { console, user } = viewed.confirming(&form);
    let back = format!("/console/users/{}/contacts", user.id);
    let draft = ContactForm::submitted(&form);
    let mut errors = FieldErrors::default();
    let contact: Option<ContactId> = parse_id(&mut errors, "contact_id", &draft.id);
    let priority = draft.priority(&mut errors);
    if !errors.is_empty() {
        return contacts_page(&state, console, &user, draft, Refusal::fields(errors), None).await;
    }
    let ctx = &console.ctx;
    let store = &state.store;
    let version = Some(draft.version).filter(|v| *v > 0);
    let result = match (contact, form.get("action")) {
        (Some(cid), "remove") => people::delete_contact(store, ctx, user.id, cid, version)
            .await
            .map(|()| "The emergency contact was removed."),
        (Some(cid), _) => {
            let patch = EmergencyContactPatch {
                name: Some(draft.name.trim().to_owned()),
                relationship: Some(present(&draft.relationship)),
                phones: Some(draft.phones()),
                email: Some(present(&draft.email)),
                address: Some(draft.address()),
                priority,
            };
            people::update_contact(store, ctx, user.id, cid, version, patch)
                .await
                .map(|_| "The emergency contact was saved.")
        }
        (None, _) => {
            let request = NewEmergencyContact {
                name: draft.name.trim().to_owned(),
                relationship: present(&draft.relationship),
                phones: draft.phones(),
                email: present(&draft.email),
                address: draft.address(),
                priority,
            };
            people::create_contact(store, ctx, user.id, request)
                .await
                .map(|_| "The emergency contact was added.")
        }
    };
    match result {
        Ok(note) => redirect_with(&back, "success", note),
        Err(error) => {
            let refusal = Refusal::of(error, &contact_field);
            contacts_page(&state, console, &user, draft, refusal, Some(&form)).await
        }
    }
}

/// The API's contact field names as the contact form names them.
fn contact_field(api: &str) -> String {
    match api {
        "phones[0].number" | "phones[0].kind" => "phone".to_owned(),
        "phones[1].number" | "phones[1].kind" => "phone2".to_owned(),
        other => form_field(other).trim_start_matches("address_").to_owned(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "user_specialties.html")]
struct SpecialtiesPage {
    chrome: Chrome,
    frame: UserFrame,
    options: Vec<Choice>,
    can_change: bool,
    version: i64,
    refusal: Refusal,
}

/// `GET /console/users/{id}/specialties`.
pub(crate) async fn specialties(
    State(state): State<AppState>,
    Viewed { console, user }: Viewed,
) -> Response {
    specialties_page(&state, console, &user, None, Refusal::default()).await
}

async fn specialties_page(
    state: &AppState,
    console: Console,
    user: &User,
    submitted: Option<&Submitted>,
    refusal: Refusal,
) -> Response {
    let ctx = &console.ctx;
    let lookups = match Lookups::load(state, ctx).await {
        Ok(lookups) => lookups,
        Err(error) => return service_page(error),
    };
    let chosen: Vec<String> = submitted.map_or_else(
        || user.specialties.iter().map(ToString::to_string).collect(),
        |form| form.all("specialties"),
    );
    let frame = UserFrame::load(state, ctx, user, "specialties").await;
    let frame = match submitted {
        Some(form) => frame.confirming(
            &refusal,
            &format!("/console/users/{}/specialties", user.id),
            form,
        ),
        None => frame,
    };
    let status = refusal.status();
    let page = SpecialtiesPage {
        frame,
        options: choices(
            lookups
                .specialties
                .iter()
                .map(|i| (i.id.to_string(), i.name.as_str())),
            &chosen,
            None,
        ),
        can_change: authz::can_on_user(ctx, Capability::UsersEdit, user.id),
        version: user.version,
        refusal: if refusal.confirm {
            Refusal::default()
        } else {
            refusal
        },
        chrome: console.chrome.page("users", "Specialties"),
    };
    (status, page).into_response()
}

/// `POST /console/users/{id}/specialties`: replaces the list.
pub(crate) async fn save_specialties(
    State(state): State<AppState>,
    viewed: Viewed,
    form: Submitted,
) -> Response {
    let Viewed { console, user } = viewed.confirming(&form);
    let mut errors = FieldErrors::default();
    let chosen: Vec<_> = form
        .all("specialties")
        .iter()
        .filter_map(|s| parse_id(&mut errors, "specialties", s))
        .collect();
    if !errors.is_empty() {
        return specialties_page(&state, console, &user, Some(&form), Refusal::fields(errors))
            .await;
    }
    let patch = UserPatch {
        specialties: Some((!chosen.is_empty()).then_some(chosen)),
        ..UserPatch::default()
    };
    let version = form.get("version").parse().ok();
    match users::update(&state.store, &console.ctx, user.id, version, patch).await {
        Ok(_) => redirect_with(
            &format!("/console/users/{}/specialties", user.id),
            "success",
            "The specialties were updated.",
        ),
        Err(error) => {
            let refusal = Refusal::of(error, &form_field);
            specialties_page(&state, console, &user, Some(&form), refusal).await
        }
    }
}

/// `?cursor=` of the login activity.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CursorQuery {
    pub(crate) cursor: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "user_activity.html")]
struct ActivityPage {
    chrome: Chrome,
    frame: UserFrame,
    attempts: Vec<LoginAttempt>,
    total: i64,
    next: String,
}

/// Attempts per page.
const ACTIVITY_PAGE: u32 = 50;

/// `GET /console/users/{id}/activity`.
pub(crate) async fn activity(
    State(state): State<AppState>,
    Viewed { console, user }: Viewed,
    Query(query): Query<CursorQuery>,
) -> Response {
    let ctx = &console.ctx;
    let request = match PageRequest::new(Some(ACTIVITY_PAGE), query.cursor) {
        Ok(request) => request,
        Err(error) => return service_page(error.into()),
    };
    let page = match auth::login_activity(&state.store, ctx, user.id, &request).await {
        Ok(page) => page,
        Err(error) => return service_page(error),
    };
    let next = page.next_cursor.map_or_else(String::new, |c| {
        let c: String = form_urlencoded::byte_serialize(c.as_bytes()).collect();
        format!("/console/users/{}/activity?cursor={c}", user.id)
    });
    ActivityPage {
        frame: UserFrame::load(&state, ctx, &user, "activity").await,
        attempts: page.items,
        total: page.total,
        next,
        chrome: console.chrome.page("users", "Login activity"),
    }
    .into_response()
}
