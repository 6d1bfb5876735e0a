//! The account form: a user's own fields (general, contact, address, HR, administrator
//! settings) as the create-user page, the user page's "Edit account" tab and "My
//! profile" show them, and how a submitted form becomes the API's request — a
//! `CreateUser`, or a `UserPatch` holding only what was submitted and changed.
//!
//! Fields a form shows disabled (locked by the organization, or not the caller's to
//! change) are not submitted by the browser, so they can never end up in a patch.

use muster_domain::org::Address;
use muster_domain::user::{
    CONTACT_LIST_MAX, CreateUser, DemographicsPatch, DirectoryAccess, LoginKind, Phone,
    PreferencesPatch, User, UserPatch,
};
use muster_domain::{CommandGroupId, ReferenceItemId};

use super::forms::{Choice, Lookups, Submitted, choices, date, parse_id, present};
use super::page::FieldErrors;

/// One phone row of the form.
#[derive(Debug, Clone, Default)]
pub(crate) struct PhoneRow {
    /// Its index (field names are `phone{index}_…`).
    pub(crate) index: usize,
    /// `mobile`, `work`, …
    pub(crate) kind: String,
    /// The number.
    pub(crate) number: String,
    /// The mobile carrier.
    pub(crate) carrier: String,
    /// Hidden from the directory.
    pub(crate) private: bool,
    /// What is wrong with the row (kind, number or carrier), if anything.
    pub(crate) error: Option<String>,
    /// The kinds offered, this row's selected.
    pub(crate) kinds: Vec<Choice>,
    /// The carriers offered, this row's selected.
    pub(crate) carriers: Vec<Choice>,
}

/// The form's values, as text (what was submitted, or what the user has).
#[derive(Debug, Clone, Default)]
pub(crate) struct AccountForm {
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) display_name: String,
    pub(crate) login: String,
    pub(crate) employee_number: String,
    pub(crate) badge_number: String,
    pub(crate) email: String,
    pub(crate) phones: Vec<PhoneRow>,
    pub(crate) address_street: String,
    pub(crate) address_street2: String,
    pub(crate) address_city: String,
    pub(crate) address_region: String,
    pub(crate) address_postal_code: String,
    pub(crate) address_country: String,
    pub(crate) title_id: String,
    pub(crate) title_designation: String,
    pub(crate) rank_id: String,
    pub(crate) unit_id: String,
    pub(crate) hire_date: String,
    pub(crate) start_date: String,
    pub(crate) transfer_date: String,
    pub(crate) last_day: String,
    pub(crate) leave_reason: String,
    pub(crate) payroll_id: String,
    pub(crate) specialties: Vec<String>,
    pub(crate) command_group_id: String,
    pub(crate) directory_access: String,
    pub(crate) can_sms: bool,
    pub(crate) email_reminders: bool,
    pub(crate) date_of_birth: String,
    pub(crate) gender: String,
}

/// Phone kinds offered, with their labels.
const PHONE_KINDS: [(&str, &str); 5] = [
    ("mobile", "Mobile"),
    ("work", "Work"),
    ("home", "Home"),
    ("pager", "Pager"),
    ("fax", "Fax"),
];

/// Directory access choices, with their labels (`SecurityTrax`'s words).
const DIRECTORY_ACCESS: [(&str, &str); 4] = [
    ("none", "None — sees nobody"),
    ("everyone", "Everyone"),
    ("shared_locations", "Shared location(s)"),
    ("hierarchy", "Hierarchy — reports-to and below"),
];

fn text(value: Option<&String>) -> String {
    value.cloned().unwrap_or_default()
}

fn date_text(value: Option<chrono::NaiveDate>) -> String {
    value.map(|d| d.to_string()).unwrap_or_default()
}

fn id_text(value: Option<impl ToString>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

impl AccountForm {
    /// A blank form for a new user: their address prefilled with the organization's.
    pub(crate) fn blank(org_address: &Address) -> Self {
        let mut form = Self {
            directory_access: "everyone".to_owned(),
            email_reminders: true,
            ..Self::default()
        };
        form.set_address(Some(org_address));
        form.phones = rows(Vec::new());
        form
    }

    /// The form of `user` as they are.
    pub(crate) fn of(user: &User) -> Self {
        let mut form = Self {
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            display_name: text(user.display_name.as_ref()),
            login: user.login.clone(),
            employee_number: text(user.employee_number.as_ref()),
            badge_number: text(user.badge_number.as_ref()),
            email: text(user.email.as_ref()),
            phones: rows(
                user.phones
                    .iter()
                    .map(|p| PhoneRow {
                        index: 0,
                        kind: p.kind.clone(),
                        number: p.number.clone(),
                        carrier: text(p.carrier.as_ref()),
                        private: p.private,
                        ..PhoneRow::default()
                    })
                    .collect(),
            ),
            title_id: id_text(user.title_id),
            title_designation: text(user.title_designation.as_ref()),
            rank_id: id_text(user.rank_id),
            unit_id: id_text(user.unit_id),
            hire_date: date_text(user.hire_date),
            start_date: date_text(user.start_date),
            transfer_date: date_text(user.transfer_date),
            last_day: date_text(user.last_day),
            leave_reason: text(user.leave_reason.as_ref()),
            payroll_id: text(user.payroll_id.as_ref()),
            specialties: user.specialties.iter().map(ToString::to_string).collect(),
            command_group_id: id_text(user.command_group_id),
            directory_access: user.directory_access.as_str().to_owned(),
            can_sms: user.can_sms,
            email_reminders: user.preferences.email_reminders,
            date_of_birth: date_text(user.demographics.as_ref().and_then(|d| d.date_of_birth)),
            gender: text(user.demographics.as_ref().and_then(|d| d.gender.as_ref())),
            ..Self::default()
        };
        form.set_address(user.address.as_ref());
        form
    }

    fn set_address(&mut self, address: Option<&Address>) {
        let a = address.cloned().unwrap_or_default();
        self.address_street = text(a.street.as_ref());
        self.address_street2 = text(a.street2.as_ref());
        self.address_city = text(a.city.as_ref());
        self.address_region = text(a.region.as_ref());
        self.address_postal_code = text(a.postal_code.as_ref());
        self.address_country = text(a.country.as_ref());
    }

    /// The form as submitted, over `base` for the fields the form did not send.
    pub(crate) fn submitted(base: &Self, form: &Submitted) -> Self {
        let pick = |name: &str, current: &String| {
            if form.has(name) {
                form.get(name).to_owned()
            } else {
                current.clone()
            }
        };
        let mut phones = Vec::new();
        for index in 0..CONTACT_LIST_MAX {
            let field = |f: &str| format!("phone{index}_{f}");
            if !form.has(&field("number")) {
                continue;
            }
            phones.push(PhoneRow {
                index,
                kind: form.get(&field("kind")).to_owned(),
                number: form.get(&field("number")).to_owned(),
                carrier: form.get(&field("carrier")).to_owned(),
                private: form.ticked(&field("private")),
                ..PhoneRow::default()
            });
        }
        let phones_sent = !phones.is_empty();
        Self {
            first_name: pick("first_name", &base.first_name),
            last_name: pick("last_name", &base.last_name),
            display_name: pick("display_name", &base.display_name),
            login: pick("login", &base.login),
            employee_number: pick("employee_number", &base.employee_number),
            badge_number: pick("badge_number", &base.badge_number),
            email: pick("email", &base.email),
            phones: if phones_sent {
                rows(phones)
            } else {
                base.phones.clone()
            },
            address_street: pick("address_street", &base.address_street),
            address_street2: pick("address_street2", &base.address_street2),
            address_city: pick("address_city", &base.address_city),
            address_region: pick("address_region", &base.address_region),
            address_postal_code: pick("address_postal_code", &base.address_postal_code),
            address_country: pick("address_country", &base.address_country),
            title_id: pick("title_id", &base.title_id),
            title_designation: pick("title_designation", &base.title_designation),
            rank_id: pick("rank_id", &base.rank_id),
            unit_id: pick("unit_id", &base.unit_id),
            hire_date: pick("hire_date", &base.hire_date),
            start_date: pick("start_date", &base.start_date),
            transfer_date: pick("transfer_date", &base.transfer_date),
            last_day: pick("last_day", &base.last_day),
            leave_reason: pick("leave_reason", &base.leave_reason),
            payroll_id: pick("payroll_id", &base.payroll_id),
            specialties: if form.flag("specialties").is_some() {
                form.all("specialties")
            } else {
                base.specialties.clone()
            },
            command_group_id: pick("command_group_id", &base.command_group_id),
            directory_access: pick("directory_access", &base.directory_access),
            can_sms: form.flag("can_sms").unwrap_or(base.can_sms),
            email_reminders: form.flag("email_reminders").unwrap_or(base.email_reminders),
            date_of_birth: pick("date_of_birth", &base.date_of_birth),
            gender: pick("gender", &base.gender),
        }
    }

    /// The phones entered (rows without a number are ignored).
    fn phones(&self) -> Vec<Phone> {
        self.phones
            .iter()
            .filter(|p| !p.number.trim().is_empty())
            .map(|p| Phone {
                kind: present(&p.kind).unwrap_or_else(|| "mobile".to_owned()),
                number: p.number.trim().to_owned(),
                carrier: present(&p.carrier),
                private: p.private,
            })
            .collect()
    }

    /// The address entered; `None` when it is empty.
    fn address(&self) -> Option<Address> {
        let address = Address {
            street: present(&self.address_street),
            street2: present(&self.address_street2),
            city: present(&self.address_city),
            region: present(&self.address_region),
            postal_code: present(&self.address_postal_code),
            country: present(&self.address_country),
        };
        (address != Address::default()).then_some(address)
    }

    /// The request of the create-user page (placements, sign-in and password are added
    /// by the page). An address equal to the organization's is left unset, so the user
    /// follows the organization's address when it changes.
    pub(crate) fn to_create(&self, errors: &mut FieldErrors, org_address: &Address) -> CreateUser {
        let address = self.address().filter(|a| a != org_address);
        CreateUser {
            login: self.login.trim().to_owned(),
            first_name: self.first_name.trim().to_owned(),
            last_name: self.last_name.trim().to_owned(),
            email: present(&self.email),
            phones: self.phones(),
            display_name: present(&self.display_name),
            employee_number: present(&self.employee_number),
            badge_number: present(&self.badge_number),
            address,
            title_id: parse_id(errors, "title_id", &self.title_id),
            title_designation: present(&self.title_designation),
            rank_id: parse_id(errors, "rank_id", &self.rank_id),
            unit_id: parse_id(errors, "unit_id", &self.unit_id),
            hire_date: date(errors, "hire_date", &self.hire_date),
            start_date: date(errors, "start_date", &self.start_date),
            transfer_date: date(errors, "transfer_date", &self.transfer_date),
            last_day: date(errors, "last_day", &self.last_day),
            leave_reason: present(&self.leave_reason),
            payroll_id: present(&self.payroll_id),
            specialties: self
                .specialties
                .iter()
                .filter_map(|s| parse_id(errors, "specialties", s))
                .collect(),
            command_group_id: parse_id(errors, "command_group_id", &self.command_group_id),
            directory_access: self.directory_access.parse().ok(),
            can_sms: self.can_sms,
            preferences: muster_domain::user::Preferences {
                email_reminders: self.email_reminders,
                ..Default::default()
            },
            ..CreateUser::default()
        }
    }

    /// A merge patch from `before` to this form: only what changed. Fields the form did
    /// not send are as in `before` and therefore absent from the patch.
    pub(crate) fn to_patch(&self, before: &Self, errors: &mut FieldErrors) -> UserPatch {
        let mut patch = UserPatch::default();
        let changed = |name: fn(&Self) -> &String| name(self).trim() != name(before).trim();
        let opt = |value: &String| present(value);
        if changed(|f| &f.first_name) {
            patch.first_name = Some(self.first_name.trim().to_owned());
        }
        if changed(|f| &f.last_name) {
            patch.last_name = Some(self.last_name.trim().to_owned());
        }
        if changed(|f| &f.login) {
            patch.login = Some(self.login.trim().to_owned());
        }
        if changed(|f| &f.display_name) {
            patch.display_name = Some(opt(&self.display_name));
        }
        if changed(|f| &f.employee_number) {
            patch.employee_number = Some(opt(&self.employee_number));
        }
        if changed(|f| &f.badge_number) {
            patch.badge_number = Some(opt(&self.badge_number));
        }
        if changed(|f| &f.email) {
            patch.email = Some(opt(&self.email));
        }
        if self.phones() != before.phones() {
            let phones = self.phones();
            patch.phones = Some((!phones.is_empty()).then_some(phones));
        }
        if self.address() != before.address() {
            patch.address = Some(self.address());
        }
        if changed(|f| &f.title_id) {
            patch.title_id = Some(parse_id::<ReferenceItemId>(
                errors,
                "title_id",
                &self.title_id,
            ));
        }
        if changed(|f| &f.title_designation) {
            patch.title_designation = Some(opt(&self.title_designation));
        }
        if changed(|f| &f.rank_id) {
            patch.rank_id = Some(parse_id(errors, "rank_id", &self.rank_id));
        }
        if changed(|f| &f.unit_id) {
            patch.unit_id = Some(parse_id(errors, "unit_id", &self.unit_id));
        }
        if changed(|f| &f.hire_date) {
            patch.hire_date = Some(date(errors, "hire_date", &self.hire_date));
        }
        if changed(|f| &f.start_date) {
            patch.start_date = Some(date(errors, "start_date", &self.start_date));
        }
        if changed(|f| &f.transfer_date) {
            patch.transfer_date = Some(date(errors, "transfer_date", &self.transfer_date));
        }
        if changed(|f| &f.last_day) {
            patch.last_day = Some(date(errors, "last_day", &self.last_day));
        }
        if changed(|f| &f.leave_reason) {
            patch.leave_reason = Some(opt(&self.leave_reason));
        }
        if changed(|f| &f.payroll_id) {
            patch.payroll_id = Some(opt(&self.payroll_id));
        }
        if self.specialties != before.specialties {
            let chosen: Vec<ReferenceItemId> = self
                .specialties
                .iter()
                .filter_map(|s| parse_id(errors, "specialties", s))
                .collect();
            patch.specialties = Some((!chosen.is_empty()).then_some(chosen));
        }
        if changed(|f| &f.command_group_id) {
            patch.command_group_id = Some(parse_id::<CommandGroupId>(
                errors,
                "command_group_id",
                &self.command_group_id,
            ));
        }
        self.patch_settings(before, errors, &mut patch);
        patch
    }

    /// The administrator settings, preferences and demographics part of [`Self::to_patch`].
    fn patch_settings(&self, before: &Self, errors: &mut FieldErrors, patch: &mut UserPatch) {
        let changed = |name: fn(&Self) -> &String| name(self).trim() != name(before).trim();
        if changed(|f| &f.directory_access) {
            match self.directory_access.parse::<DirectoryAccess>() {
                Ok(access) => patch.directory_access = Some(access),
                Err(_) => errors.push("directory_access", "choose one of the options"),
            }
        }
        if self.can_sms != before.can_sms {
            patch.can_sms = Some(self.can_sms);
        }
        if self.email_reminders != before.email_reminders {
            patch.preferences = Some(PreferencesPatch {
                email_reminders: Some(self.email_reminders),
                ..PreferencesPatch::default()
            });
        }
        let dob_changed = changed(|f| &f.date_of_birth);
        let gender_changed = changed(|f| &f.gender);
        if dob_changed || gender_changed {
            patch.demographics = Some(DemographicsPatch {
                date_of_birth: dob_changed
                    .then(|| date(errors, "date_of_birth", &self.date_of_birth)),
                gender: gender_changed.then(|| present(&self.gender)),
                fields: None,
            });
        }
    }

    /// Readies the phone rows for drawing: each row's choices of kind and carrier
    /// (`carriers` known to Muster), and the errors on its fields (`phone{i}_number`,
    /// `_kind`, `_carrier`).
    pub(crate) fn with_phone_rows(mut self, errors: &FieldErrors, carriers: &[String]) -> Self {
        for row in &mut self.phones {
            row.error = ["number", "kind", "carrier"]
                .iter()
                .find_map(|f| errors.get(&format!("phone{}_{f}", row.index)))
                .map(str::to_owned);
            row.kinds = Self::phone_kinds(&row.kind);
            row.carriers = Self::carrier_choices(carriers, &row.carrier);
        }
        self
    }

    /// The kinds a phone row offers, `kind` selected.
    pub(crate) fn phone_kinds(kind: &str) -> Vec<Choice> {
        let chosen = [if kind.is_empty() { "mobile" } else { kind }.to_owned()];
        choices(
            PHONE_KINDS.iter().map(|(v, l)| ((*v).to_owned(), *l)),
            &chosen,
            None,
        )
    }

    /// The carriers a phone row offers, `carrier` selected (kept even when unknown).
    fn carrier_choices(carriers: &[String], carrier: &str) -> Vec<Choice> {
        let chosen = [carrier.to_owned()];
        let mut out = choices(
            carriers.iter().map(|c| (c.clone(), c.as_str())),
            &chosen,
            Some("— no carrier —"),
        );
        if !carrier.is_empty() && !carriers.iter().any(|c| c == carrier) {
            out.push(Choice::new(carrier, carrier, &chosen));
        }
        out
    }

    /// The directory access choices, the form's selected.
    pub(crate) fn directory_choices(&self) -> Vec<Choice> {
        choices(
            DIRECTORY_ACCESS.iter().map(|(v, l)| ((*v).to_owned(), *l)),
            std::slice::from_ref(&self.directory_access),
            None,
        )
    }

    /// The reference-list selects of the HR section and the specialties.
    pub(crate) fn titles(&self, lookups: &Lookups) -> Vec<Choice> {
        Lookups::reference(
            &lookups.titles,
            std::slice::from_ref(&self.title_id),
            "— none —",
        )
    }

    /// Rank choices.
    pub(crate) fn ranks(&self, lookups: &Lookups) -> Vec<Choice> {
        Lookups::reference(
            &lookups.ranks,
            std::slice::from_ref(&self.rank_id),
            "— none —",
        )
    }

    /// Unit choices.
    pub(crate) fn units(&self, lookups: &Lookups) -> Vec<Choice> {
        Lookups::reference(
            &lookups.units,
            std::slice::from_ref(&self.unit_id),
            "— none —",
        )
    }

    /// Specialty checkboxes.
    pub(crate) fn specialty_choices(&self, lookups: &Lookups) -> Vec<Choice> {
        choices(
            lookups
                .specialties
                .iter()
                .map(|i| (i.id.to_string(), i.name.as_str())),
            &self.specialties,
            None,
        )
    }

    /// Command group choices.
    pub(crate) fn groups(&self, lookups: &Lookups) -> Vec<Choice> {
        lookups.group_choices(std::slice::from_ref(&self.command_group_id))
    }
}

/// The phone rows a form shows: those given, numbered, plus one empty row (at least two
/// rows, at most the limit).
fn rows(mut phones: Vec<PhoneRow>) -> Vec<PhoneRow> {
    phones.retain(|p| !p.number.trim().is_empty());
    let wanted = (phones.len() + 1).clamp(2, CONTACT_LIST_MAX);
    while phones.len() < wanted {
        phones.push(PhoneRow::default());
    }
    phones.truncate(CONTACT_LIST_MAX);
    for (index, row) in phones.iter_mut().enumerate() {
        row.index = index;
    }
    phones
}

/// The sign-in kind from the create form (`password`, `pin` or `none`).
pub(crate) fn login_kind(value: &str) -> Option<LoginKind> {
    value.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user_form() -> AccountForm {
        AccountForm {
            first_name: "Pat".to_owned(),
            last_name: "Doe".to_owned(),
            login: "pdoe".to_owned(),
            directory_access: "everyone".to_owned(),
            phones: rows(vec![PhoneRow {
                index: 0,
                kind: "mobile".to_owned(),
                number: "555-0100".to_owned(),
                carrier: String::new(),
                private: false,
                ..PhoneRow::default()
            }]),
            ..AccountForm::default()
        }
    }

    #[test]
    fn a_patch_holds_only_what_changed() {
        let before = user_form();
        let form = Submitted::new(vec![
            ("first_name".to_owned(), "Pat".to_owned()),
            ("last_name".to_owned(), "Smith".to_owned()),
            ("phone0_kind".to_owned(), "mobile".to_owned()),
            ("phone0_number".to_owned(), "555-0100".to_owned()),
            ("phone1_kind".to_owned(), "work".to_owned()),
            ("phone1_number".to_owned(), String::new()),
        ]);
        let after = AccountForm::submitted(&before, &form);
        let mut errors = FieldErrors::default();
        let patch = after.to_patch(&before, &mut errors);
        assert!(errors.is_empty());
        assert_eq!(patch.last_name.as_deref(), Some("Smith"));
        assert!(patch.first_name.is_none());
        assert!(patch.phones.is_none(), "the empty row changes nothing");
        assert!(patch.login.is_none(), "not submitted, not changed");
        assert!(patch.directory_access.is_none());
    }

    #[test]
    fn phone_rows_keep_one_empty_row() {
        let shown = rows(Vec::new());
        assert_eq!(shown.len(), 2);
        assert_eq!(shown[1].index, 1);
    }

    #[test]
    fn an_address_equal_to_the_organizations_is_left_unset() {
        let org = Address {
            city: Some("Harbor City".to_owned()),
            ..Address::default()
        };
        let form = AccountForm::blank(&org);
        let mut errors = FieldErrors::default();
        assert_eq!(form.to_create(&mut errors, &org).address, None);
        let mut moved = form.clone();
        moved.address_city = "Bay City".to_owned();
        assert!(moved.to_create(&mut errors, &org).address.is_some());
    }
}
