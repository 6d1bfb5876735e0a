//! Notifications: the transactional outbox and the messages Muster sends its users.
//!
//! A use case that notifies someone calls [`enqueue`] with its own transaction, so the
//! message exists exactly when the change that caused it does: a change that fails or rolls
//! back sends nothing, and a committed change is never left unannounced (the transactional
//! outbox). A background worker delivers queued messages by email over SMTP, with retries;
//! with no SMTP server configured they stay queued and the organization reads them on its
//! local mailbox ([`list`], `GET /api/v1/outbox`).
//!
//! Text messages go out through the mobile carrier's email-to-SMS gateway: a phone with a
//! carrier becomes an email address (`5550101234@vtext.com`) by the `sms_gateways` table.
//! Phones without a (known) carrier get no text messages.
//!
//! Messages are plain text, courteous, and name the organization and the login. Temporary
//! passwords appear only in the email body written here: never in the audit trail, the
//! logs, an API response or a text message (carrier gateways are not a place for them).

use chrono::{DateTime, Utc};
use muster_domain::paging::Page;
use muster_domain::user::{LoginKind, Phone, Secret, User};
use muster_domain::{UserId, ValidationErrors};
use muster_store::outbox::{self as store_outbox, MessageFilter, MessageRow, NewMessage};
use muster_store::{DbTime, Store, Tx};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::paging::PageRequest;
use crate::{Ctx, Result, authz};
use muster_domain::access::Capability;

/// Category of messages about a user's account (welcome, sign-in details).
pub const CATEGORY_ACCOUNT: &str = "account";
/// Category of password reset messages.
pub const CATEGORY_PASSWORD_RESET: &str = "password_reset";

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Email over SMTP.
    Email,
    /// A text message, sent as an email to the carrier's gateway.
    Sms,
}

impl Channel {
    /// The wire and storage name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }
}

/// Where a message is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    /// Waiting for (another) delivery attempt.
    Queued,
    /// Delivered to the mail server.
    Sent,
    /// Given up on after repeated failures.
    Failed,
}

impl MessageStatus {
    /// Every status.
    pub const ALL: [Self; 3] = [Self::Queued, Self::Sent, Self::Failed];

    /// The wire and storage name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// A message to queue.
#[derive(Clone)]
pub struct Message {
    /// The user it is for, if any.
    pub user_id: Option<UserId>,
    /// How it travels.
    pub channel: Channel,
    /// The email address it goes to (for SMS, the carrier gateway's address).
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// What it is about (`account`, `password_reset`, …).
    pub category: String,
}

// The body may hold a temporary password: keep it out of debug output and logs.
impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("user_id", &self.user_id)
            .field("channel", &self.channel)
            .field("recipient", &self.recipient)
            .field("subject", &self.subject)
            .field("category", &self.category)
            .finish_non_exhaustive()
    }
}

/// A message that was queued: where it goes, never what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Queued {
    /// How it travels.
    pub channel: Channel,
    /// Its address.
    pub recipient: String,
}

/// The messages a request queued (`202 Accepted`: they are delivered later).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct QueuedMessages {
    /// One entry per message.
    pub queued: Vec<Queued>,
}

/// Whether a message of `category` goes to a user subscribed to `subscriptions`: every
/// category when they chose none, else only the chosen ones, and always messages about
/// their account and password resets (a user must receive their credentials).
#[must_use]
pub fn wanted(subscriptions: &[String], category: &str) -> bool {
    category == CATEGORY_ACCOUNT
        || category == CATEGORY_PASSWORD_RESET
        || subscriptions.is_empty()
        || subscriptions.iter().any(|s| s == category)
}

/// Queues `message` inside `tx`, the transaction of the change that causes it: it is sent
/// if and only if that change commits. A message for a user who unsubscribed from its
/// category (see [`wanted`]) is not queued: `None`.
pub async fn enqueue(tx: &mut Tx, ctx: &Ctx, message: Message) -> Result<Option<Queued>> {
    if let Some(user) = message.user_id {
        let subscriptions = store_outbox::subscriptions(tx, ctx.org, user)
            .await?
            .unwrap_or_default();
        if !wanted(&subscriptions, &message.category) {
            return Ok(None);
        }
    }
    store_outbox::insert(
        tx,
        &NewMessage {
            id: Uuid::now_v7(),
            org: ctx.org,
            user: message.user_id,
            channel: message.channel.as_str(),
            recipient: &message.recipient,
            subject: &message.subject,
            body: &message.body,
            category: &message.category,
            now: ctx.now,
        },
    )
    .await?;
    Ok(Some(Queued {
        channel: message.channel,
        recipient: message.recipient,
    }))
}

// ---------------------------------------------------------------------------------------
// The mailbox

/// A message as the mailbox shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OutboxMessage {
    /// Id.
    pub id: Uuid,
    /// How it travels.
    pub channel: Channel,
    /// Its address (for SMS, the carrier gateway's address).
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// What it is about (`account`, `password_reset`, …).
    pub category: String,
    /// Where it is in its delivery.
    pub status: MessageStatus,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When the next delivery attempt is due (while queued).
    pub next_attempt_at: DateTime<Utc>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it was delivered.
    pub sent_at: Option<DateTime<Utc>>,
    /// Why the last delivery attempt failed.
    pub last_error: Option<String>,
    /// The user it is for, if any.
    pub user_id: Option<Uuid>,
}

fn to_message(row: MessageRow) -> OutboxMessage {
    OutboxMessage {
        id: row.id,
        // INVARIANT: the schema's CHECK constraints keep channel and status valid.
        channel: if row.channel == Channel::Sms.as_str() {
            Channel::Sms
        } else {
            Channel::Email
        },
        recipient: row.recipient,
        subject: row.subject,
        body: row.body,
        category: row.category,
        status: MessageStatus::parse(&row.status).unwrap_or(MessageStatus::Queued),
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at.get(),
        created_at: row.created_at.get(),
        sent_at: row.sent_at.map(DbTime::get),
        last_error: row.last_error,
        user_id: row.user_id,
    }
}

/// The mailbox's filters as a client wrote them (query parameters); blank means absent.
#[derive(Debug, Clone, Default)]
pub struct OutboxQuery {
    /// Only messages in this status (`queued`, `sent`, `failed`).
    pub status: Option<String>,
    /// Only messages for this user (a UUID).
    pub user_id: Option<String>,
}

impl OutboxQuery {
    /// Parses the filters, naming every invalid parameter.
    pub fn parse(&self) -> Result<MessageFilter, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let present = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let status = present(&self.status).and_then(|raw| {
            let status = MessageStatus::parse(&raw);
            if status.is_none() {
                errors.push("status", "must be one of: queued, sent, failed");
            }
            status
        });
        let user = present(&self.user_id).and_then(|raw| {
            let user = raw.parse::<Uuid>().ok().map(UserId::from_uuid);
            if user.is_none() {
                errors.push("user_id", "must be a user id (a UUID)");
            }
            user
        });
        errors.into_result()?;
        Ok(MessageFilter {
            status: status.map(|s| s.as_str().to_owned()),
            user,
        })
    }
}

/// The organization's messages, newest first, filtered by status and recipient user.
pub async fn list(
    store: &Store,
    ctx: &Ctx,
    page: &PageRequest,
    query: &OutboxQuery,
) -> Result<Page<OutboxMessage>> {
    authz::require_org_wide(ctx, Capability::OrgManage)?;
    let filter = query.parse()?;
    let after = page
        .after::<(DateTime<Utc>, Uuid)>()?
        .map(|(at, id)| (DbTime::new(at), id));
    let rows = store_outbox::list(store, ctx.org, &filter, after, page.fetch_limit()).await?;
    let total = store_outbox::count(store, ctx.org, &filter).await?;
    Ok(page.page(rows, total, |r| (r.created_at.get(), r.id), to_message))
}

// ---------------------------------------------------------------------------------------
// Text messages through carrier gateways

/// The mobile carriers Muster can reach by email-to-SMS, for phone forms. Public
/// knowledge: no authorization needed.
pub async fn carriers(store: &Store) -> Result<Vec<String>> {
    Ok(store_outbox::carriers(store).await?)
}

/// A carrier name as compared: lowercase letters and digits only (`AT&T` → `att`,
/// `T-Mobile` → `tmobile`).
fn carrier_key(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The gateway domain for `carrier` among `gateways` (carrier, domain): the carrier of the
/// same name, else the one whose name begins the given one (`Verizon Wireless` is
/// Verizon, `MetroPCS` is Metro), the longest such name winning.
fn gateway_for<'a>(gateways: &'a [(String, String)], carrier: &str) -> Option<&'a str> {
    let wanted = carrier_key(carrier);
    if wanted.is_empty() {
        return None;
    }
    gateways
        .iter()
        .map(|(name, domain)| (carrier_key(name), domain))
        .filter(|(key, _)| !key.is_empty() && wanted.starts_with(key.as_str()))
        .max_by_key(|(key, _)| key.len())
        .map(|(_, domain)| domain.as_str())
}

/// The gateway address of `number` at `domain`: its ten digits (a leading country code 1
/// and any extension dropped) `@domain`. `None` for numbers that are not ten-digit North
/// American numbers, which these gateways cannot reach.
#[must_use]
pub fn sms_address(number: &str, domain: &str) -> Option<String> {
    let main = number.split(['x', 'X', '#']).next().unwrap_or_default();
    let digits: String = main.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.len() {
        10 => digits.as_str(),
        11 if digits.starts_with('1') => &digits[1..],
        _ => return None,
    };
    Some(format!("{digits}@{domain}"))
}

/// Where text messages to a user with these phones go: the gateway address of the first
/// mobile phone whose carrier is in the gateway table and whose number the gateway can
/// reach. `None` when there is none (no text message is sent).
pub async fn sms_recipient(tx: &mut Tx, phones: &[Phone]) -> Result<Option<String>> {
    let is_candidate = |p: &Phone| p.kind == "mobile" && p.carrier.is_some();
    if !phones.iter().any(is_candidate) {
        return Ok(None);
    }
    let gateways = store_outbox::sms_gateways(tx).await?;
    Ok(phones.iter().filter(|p| is_candidate(p)).find_map(|p| {
        let domain = gateway_for(&gateways, p.carrier.as_deref().unwrap_or_default())?;
        sms_address(&p.number, domain)
    }))
}

// ---------------------------------------------------------------------------------------
// The messages themselves

/// What a letter to a user says about who is writing and to whom.
struct Letter<'a> {
    org_name: &'a str,
    org_slug: &'a str,
    login: &'a str,
    greeting: &'a str,
}

impl<'a> Letter<'a> {
    fn new(org: &'a (String, String), user: &'a User) -> Self {
        Self {
            org_name: &org.0,
            org_slug: &org.1,
            login: &user.login,
            greeting: user.display_name.as_deref().unwrap_or(&user.first_name),
        }
    }

    /// The sign-in details block: organization, its sign-in handle and the login.
    fn details(&self, password: Option<&str>) -> String {
        let password = password
            .map(|p| format!("    Temporary password: {p}\n"))
            .unwrap_or_default();
        format!(
            "    Organization:       {} (sign-in handle: {})\n    Login:              {}\n{password}",
            self.org_name, self.org_slug, self.login
        )
    }

    fn closing(&self) -> String {
        format!(
            "If you were not expecting this message, please let your administrator know.\n\n\
             Kind regards,\n{}\n",
            self.org_name
        )
    }
}

/// The welcome email of a new account: with its temporary password, or (when the
/// administrator chose the password) without it.
fn welcome_text(
    letter: &Letter<'_>,
    password: Option<&str>,
    must_change: bool,
) -> (String, String) {
    let subject = format!("Your new {} account", letter.org_name);
    let mut body = format!(
        "Hello {},\n\nAn account has been created for you at {}. Here are your sign-in details:\n\n{}\n",
        letter.greeting,
        letter.org_name,
        letter.details(password)
    );
    if password.is_some() {
        body.push_str(
            "This password is temporary: you will be asked to choose a new one the first \
             time you sign in. Please keep it to yourself.\n\n",
        );
    } else {
        body.push_str("Sign in with the password your administrator gave you.");
        if must_change {
            body.push_str(" You will be asked to choose a new one the first time you sign in.");
        }
        body.push_str("\n\n");
    }
    body.push_str(&letter.closing());
    (subject, body)
}

/// The email of a password reset, with the temporary password.
fn reset_email_text(letter: &Letter<'_>, password: &str) -> (String, String) {
    let subject = format!("Your {} password has been reset", letter.org_name);
    let body = format!(
        "Hello {},\n\nThe password of your account at {} has been reset. Here are your new \
         sign-in details:\n\n{}\nThis password is temporary: you will be asked to choose a new \
         one the next time you sign in. Please keep it to yourself.\n\n{}",
        letter.greeting,
        letter.org_name,
        letter.details(Some(password)),
        letter.closing()
    );
    (subject, body)
}

/// The text message of a password reset: a short notice, never the password.
fn reset_sms_text(letter: &Letter<'_>) -> (String, String) {
    let subject = format!("{} password reset", letter.org_name);
    let body = format!(
        "{}: the password of your account {} was reset. A temporary password was sent to your \
         email. If you did not expect this, please contact your administrator.",
        letter.org_name, letter.login
    );
    (subject, body)
}

/// The organization's name and sign-in handle, for letters.
pub(crate) async fn org_identity(tx: &mut Tx, ctx: &Ctx) -> Result<(String, String)> {
    Ok(store_outbox::org_name_and_slug(tx, ctx.org)
        .await?
        .unwrap_or_default())
}

/// Queues the welcome email of a newly created user, inside the creating transaction.
///
/// Only `password` users with an email address are welcomed: with their temporary
/// password when it was `generated` (unless `send_notification` is `false`), or without
/// any password when the administrator chose it and asked for a notification
/// (`send_notification: true`). Returns what was queued (possibly nothing).
pub(crate) async fn welcome(
    tx: &mut Tx,
    ctx: &Ctx,
    user: &User,
    generated: Option<&Secret>,
    send_notification: Option<bool>,
) -> Result<Vec<Queued>> {
    let wanted = match generated {
        Some(_) => send_notification != Some(false),
        None => send_notification == Some(true),
    };
    if !wanted || user.email.is_none() || user.login_kind != LoginKind::Password {
        return Ok(Vec::new());
    }
    let org = org_identity(tx, ctx).await?;
    let Some(message) = welcome_message(&org, user, generated, send_notification) else {
        return Ok(Vec::new());
    };
    let queued = enqueue(tx, ctx, message).await?;
    Ok(queued.into_iter().collect())
}

/// The invitation of an imported user who has no password yet: it names the
/// organization (`org`: name and sign-in handle), the sign-in handle and the login, and
/// says that a temporary password follows when an administrator sends one (a password
/// reset). Only `password` users with an email address are invited.
pub(crate) fn invitation(org: &(String, String), user: &User) -> Option<Message> {
    let email = user.email.clone()?;
    if user.login_kind != LoginKind::Password {
        return None;
    }
    let letter = Letter::new(org, user);
    let subject = format!("You are invited to {}", letter.org_name);
    let body = format!(
        "Hello {},\n\nAn account has been created for you at {}:\n\n{}\nIt has no password \
         yet. Your administrator will send you a temporary password by email when your \
         account is ready; you will then choose your own the first time you sign in.\n\n{}",
        letter.greeting,
        letter.org_name,
        letter.details(None),
        letter.closing()
    );
    Some(Message {
        user_id: Some(user.id),
        channel: Channel::Email,
        recipient: email,
        subject,
        body,
        category: CATEGORY_ACCOUNT.to_owned(),
    })
}

/// The welcome email of a newly created user (see [`welcome`]), if one is to be sent.
pub(crate) fn welcome_message(
    org: &(String, String),
    user: &User,
    generated: Option<&Secret>,
    send_notification: Option<bool>,
) -> Option<Message> {
    let wanted = match generated {
        Some(_) => send_notification != Some(false),
        None => send_notification == Some(true),
    };
    let email = user.email.clone().filter(|_| wanted)?;
    if user.login_kind != LoginKind::Password {
        return None;
    }
    let (subject, body) = welcome_text(
        &Letter::new(org, user),
        generated.map(Secret::expose),
        user.must_change_password,
    );
    Some(Message {
        user_id: Some(user.id),
        channel: Channel::Email,
        recipient: email,
        subject,
        body,
        category: CATEGORY_ACCOUNT.to_owned(),
    })
}

/// Queues the account messages (welcome, invitation) of users created together, inside
/// their creating transaction. Account messages go out whatever a user's subscriptions
/// ([`wanted`]), so there is nothing to look up.
pub(crate) async fn enqueue_account_messages(
    tx: &mut Tx,
    ctx: &Ctx,
    messages: &[Message],
) -> Result<()> {
    let ids: Vec<Uuid> = messages.iter().map(|_| Uuid::now_v7()).collect();
    let rows: Vec<NewMessage<'_>> = messages
        .iter()
        .zip(&ids)
        .filter(|(m, _)| m.category == CATEGORY_ACCOUNT)
        .map(|(m, id)| NewMessage {
            id: *id,
            org: ctx.org,
            user: m.user_id,
            channel: m.channel.as_str(),
            recipient: &m.recipient,
            subject: &m.subject,
            body: &m.body,
            category: &m.category,
            now: ctx.now,
        })
        .collect();
    store_outbox::insert_many(tx, &rows).await?;
    Ok(())
}

/// Queues the messages of a password reset inside the resetting transaction: the email
/// with the temporary password to the user's email address, and a short notice (without
/// the password) by text message when they have a mobile phone with a known carrier.
pub(crate) async fn password_reset(
    tx: &mut Tx,
    ctx: &Ctx,
    user: &User,
    password: &Secret,
) -> Result<Vec<Queued>> {
    let org = org_identity(tx, ctx).await?;
    let letter = Letter::new(&org, user);
    let mut queued = Vec::new();
    if let Some(email) = user.email.clone() {
        let (subject, body) = reset_email_text(&letter, password.expose());
        queued.extend(
            enqueue(
                tx,
                ctx,
                Message {
                    user_id: Some(user.id),
                    channel: Channel::Email,
                    recipient: email,
                    subject,
                    body,
                    category: CATEGORY_PASSWORD_RESET.to_owned(),
                },
            )
            .await?,
        );
    }
    if let Some(recipient) = sms_recipient(tx, &user.phones).await? {
        let (subject, body) = reset_sms_text(&letter);
        queued.extend(
            enqueue(
                tx,
                ctx,
                Message {
                    user_id: Some(user.id),
                    channel: Channel::Sms,
                    recipient,
                    subject,
                    body,
                    category: CATEGORY_PASSWORD_RESET.to_owned(),
                },
            )
            .await?,
        );
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Vec<(String, String)> {
        [
            ("AT&T", "txt.att.net"),
            ("Metro", "mymetropcs.com"),
            ("T-Mobile", "tmomail.net"),
            ("Verizon", "vtext.com"),
        ]
        .into_iter()
        .map(|(c, d)| (c.to_owned(), d.to_owned()))
        .collect()
    }

    #[test]
    fn credentials_always_go_out_and_other_categories_only_when_subscribed() {
        let none: Vec<String> = Vec::new();
        let roster = vec!["roster".to_owned()];
        assert!(wanted(&none, "newsletter"));
        assert!(wanted(&roster, "roster"));
        assert!(!wanted(&roster, "newsletter"));
        assert!(wanted(&roster, CATEGORY_ACCOUNT));
        assert!(wanted(&roster, CATEGORY_PASSWORD_RESET));
    }

    #[tokio::test]
    async fn enqueue_skips_categories_the_user_unsubscribed_from() {
        use crate::organizations::{self, NewOrganization};
        use muster_domain::user::UserPatch;

        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}/t.db", dir.path().display()))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let created = organizations::create(
            &store,
            NewOrganization {
                name: "Bay City Fire".to_owned(),
                admin_login: "chief".to_owned(),
                admin_password: Some("correct horse battery staple".to_owned().into()),
            },
        )
        .await
        .unwrap();
        let ctx = Ctx::system(created.org_id);
        let user = created.admin_user_id;
        let patch: UserPatch = serde_json::from_value(serde_json::json!({
            "preferences": {"notification_subscriptions": ["roster"]}
        }))
        .unwrap();
        crate::users::update(&store, &ctx, user, None, patch)
            .await
            .unwrap();
        let message = |user_id: Option<UserId>, category: &str| Message {
            user_id,
            channel: Channel::Email,
            recipient: "chief@example.com".to_owned(),
            subject: "Subject".to_owned(),
            body: "Body".to_owned(),
            category: category.to_owned(),
        };
        let mut tx = store.begin_in(ctx.org).await.unwrap();
        for (user_id, category, queued) in [
            (Some(user), "newsletter", false),
            (Some(user), "roster", true),
            (Some(user), CATEGORY_ACCOUNT, true),
            (Some(user), CATEGORY_PASSWORD_RESET, true),
            (None, "newsletter", true),
        ] {
            let result = enqueue(&mut tx, &ctx, message(user_id, category))
                .await
                .unwrap();
            assert_eq!(result.is_some(), queued, "{category} for {user_id:?}");
        }
        tx.commit().await.unwrap();
        let stored = store_outbox::count(&store, ctx.org, &MessageFilter::default())
            .await
            .unwrap();
        assert_eq!(stored, 4);
    }

    #[test]
    fn carriers_are_matched_however_they_are_written() {
        let gateways = table();
        assert_eq!(gateway_for(&gateways, "Verizon"), Some("vtext.com"));
        assert_eq!(
            gateway_for(&gateways, "verizon wireless"),
            Some("vtext.com")
        );
        assert_eq!(gateway_for(&gateways, "ATT"), Some("txt.att.net"));
        assert_eq!(gateway_for(&gateways, "t-mobile"), Some("tmomail.net"));
        assert_eq!(gateway_for(&gateways, "MetroPCS"), Some("mymetropcs.com"));
        assert_eq!(gateway_for(&gateways, "Acme Telecom"), None);
        assert_eq!(gateway_for(&gateways, "--"), None);
    }

    #[test]
    fn numbers_become_ten_digit_gateway_addresses() {
        assert_eq!(
            sms_address("(555) 010-1234", "vtext.com").as_deref(),
            Some("5550101234@vtext.com")
        );
        assert_eq!(
            sms_address("+1 555.010.1234 x12", "vtext.com").as_deref(),
            Some("5550101234@vtext.com")
        );
        assert_eq!(sms_address("010-1234", "vtext.com"), None);
        assert_eq!(sms_address("+44 20 7946 0958", "vtext.com"), None);
    }

    #[test]
    fn letters_name_the_organization_and_login_and_only_resets_and_welcomes_carry_passwords() {
        let org = ("Bay City Fire".to_owned(), "bay-city-fire".to_owned());
        let letter = Letter {
            org_name: &org.0,
            org_slug: &org.1,
            login: "jdoe",
            greeting: "Jane",
        };
        let (subject, body) = welcome_text(&letter, Some("Tmp9Password"), true);
        assert!(subject.contains("Bay City Fire"));
        assert!(body.contains("Hello Jane,"));
        assert!(body.contains("jdoe") && body.contains("bay-city-fire"));
        assert!(body.contains("Tmp9Password") && body.contains("first time you sign in"));
        let (_, body) = welcome_text(&letter, None, false);
        assert!(!body.contains("Temporary password"));
        let (_, body) = reset_email_text(&letter, "Tmp9Password");
        assert!(body.contains("Tmp9Password") && body.contains("next time you sign in"));
        let (_, sms) = reset_sms_text(&letter);
        assert!(sms.contains("jdoe") && !sms.contains("Tmp9Password"));
    }
}
