//! CSV import of users (`muster user import`, `POST /users/import`).
//!
//! Two passes over the file. The first validates every row — header mapping, each field
//! with the rules of creating a user ([`users::check_create`]), placements by node and role
//! name, who may create users there ([`users::may_create`]), duplicate logins and
//! employee numbers inside the file and against the database (looked up in batches) —
//! and writes nothing. It streams: besides one batch, only the logins and employee numbers
//! seen so far (for duplicates) and the numbers of bad rows are kept. The second pass
//! reads the file again and creates the users, in batches of a few hundred but all inside
//! one transaction (all or nothing), writing for each what `POST /users` writes
//! ([`users::create_many_in`]: the user, the login reservation, placements, a welcome or
//! an invitation, one `user.create` audit event per user), plus one `user.import` event
//! summing up the import.
//!
//! Imported `password` users get, per [`PasswordMode`], either no password and an
//! invitation in the outbox (no Argon2 at all), or a generated temporary password each
//! (one Argon2 hash per row, only when asked).

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::PathBuf;

use chrono::NaiveDate;
use csv::{ByteRecord, StringRecord};
use muster_domain::ValidationErrors;
use muster_domain::user::{CreateUser, LoginKind, NewPlacement, UserStatus};
use muster_store::transfer as store_transfer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, Changes, Target};
use crate::transfer::{COLUMNS, Directory, NODE_ROLE_SEPARATOR, PLACEMENT_SEPARATOR, PLACEMENTS};
use crate::users::{self, CheckedCreate};
use crate::{Ctx, Result, ServiceError, outbox};
use muster_store::Store;

/// The most problems a report lists; the rest are counted.
pub const MAX_PROBLEMS: usize = 1000;
/// Rows whose logins and employee numbers are looked up in the database at once.
const LOOKUP_BATCH: usize = 500;
/// Users written together (a few statements per batch).
const WRITE_BATCH: usize = 500;
/// Rows between two progress reports.
const PROGRESS_EVERY: u64 = 1000;

/// What imported `password` users get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PasswordMode {
    /// No password and an invitation email; they get a temporary password when an
    /// administrator resets it. Nothing is hashed.
    #[default]
    Invite,
    /// A generated temporary password each, emailed in the welcome message (one Argon2
    /// hash per row).
    Temporary,
}

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Validate only; write nothing.
    pub dry_run: bool,
    /// What `password` users get.
    pub passwords: PasswordMode,
    /// The column separator (default `,`).
    pub delimiter: u8,
    /// Header → field mappings that override the automatic ones (`ignore` drops a column).
    pub mapping: Vec<(String, String)>,
    /// Import the valid rows and skip the others (default: all or nothing).
    pub skip_invalid: bool,
}

impl ImportOptions {
    /// Whether rows with problems are skipped and the others written (so that problems
    /// do not make the import fail).
    #[must_use]
    pub fn skips_bad_rows(&self) -> bool {
        self.skip_invalid && !self.dry_run
    }
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            dry_run: false,
            passwords: PasswordMode::Invite,
            delimiter: b',',
            mapping: Vec::new(),
            skip_invalid: false,
        }
    }
}

/// A CSV file that can be read twice.
pub trait Source: Sync {
    /// Opens the file from its start.
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>>;
    /// Its size in bytes, when known.
    fn size(&self) -> Option<u64>;
}

/// A file on disk.
#[derive(Debug, Clone)]
pub struct FileSource(pub PathBuf);

impl Source for FileSource {
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        let file = std::fs::File::open(&self.0)?;
        Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, file)))
    }

    fn size(&self) -> Option<u64> {
        std::fs::metadata(&self.0).ok().map(|m| m.len())
    }
}

/// A file in memory (an upload).
#[derive(Debug, Clone)]
pub struct BytesSource(pub bytes::Bytes);

impl Source for BytesSource {
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(self.0.as_ref()))
    }

    fn size(&self) -> Option<u64> {
        u64::try_from(self.0.len()).ok()
    }
}

/// The two passes of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading and checking every row.
    Validating,
    /// Creating the users.
    Writing,
}

/// Told how far an import has come (the CLI draws a progress bar).
pub trait Progress: Sync {
    /// A pass starts over a file of `bytes` bytes (when known).
    fn start(&self, phase: Phase, bytes: Option<u64>);
    /// `rows` rows and `bytes` bytes of the pass are done.
    fn advance(&self, rows: u64, bytes: u64);
    /// The pass is over.
    fn finish(&self);
}

/// No progress reports.
#[derive(Debug, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: Phase, _: Option<u64>) {}
    fn advance(&self, _: u64, _: u64) {}
    fn finish(&self) {}
}

/// One thing wrong with the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowProblem {
    /// Line of the file the row starts on (the header is row 1).
    pub row: u64,
    /// The column, as the file's header names it; absent for the whole row or file.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(column) => write!(f, "row {}, column {column}: {}", self.row, self.message),
            None => write!(f, "row {}: {}", self.row, self.message),
        }
    }
}

/// What an import did (or, on a dry run, would do).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// Data rows read (without the header).
    pub rows: u64,
    /// Rows without problems.
    pub valid: u64,
    /// Users created (0 on a dry run or when a row has a problem and nothing was written).
    pub created: u64,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// Rows (and columns) with problems, at most [`MAX_PROBLEMS`].
    pub problems: Vec<RowProblem>,
    /// Problems beyond those listed.
    pub more_problems: u64,
}

impl ImportReport {
    /// Whether nothing is wrong with the file.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    fn problem(&mut self, row: u64, column: Option<&str>, message: impl Into<String>) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(RowProblem {
                row,
                column: column.map(str::to_owned),
                message: message.into(),
            });
        } else {
            self.more_problems += 1;
        }
    }
}

/// A field a column can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Field {
    /// One of [`COLUMNS`].
    Column(&'static str),
    /// Every placement, `Node=Role;…`, the default first.
    Placements,
    /// The node of a single placement.
    Node,
    /// The role of a single placement.
    Role,
    /// Not imported.
    Ignore,
}

/// `E-Mail Address` → `e_mail_address`.
fn normalize(header: &str) -> String {
    let mut out = String::new();
    for c in header.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

/// The field a (normalized) header or mapping target names.
fn field_named(name: &str) -> Option<Field> {
    if let Some(column) = COLUMNS.iter().find(|c| **c == name) {
        return Some(Field::Column(column));
    }
    let column = |c: &'static str| Some(Field::Column(c));
    match name {
        PLACEMENTS => Some(Field::Placements),
        "node" | "location" | "node_name" | "location_name" | "default_node" => Some(Field::Node),
        "role" | "role_name" | "default_role" => Some(Field::Role),
        "ignore" => Some(Field::Ignore),
        "username" | "user_name" | "user" | "login_name" | "userid" | "user_id" => column("login"),
        "first" | "firstname" | "given_name" | "forename" => column("first_name"),
        "last" | "lastname" | "surname" | "family_name" => column("last_name"),
        "displayname" | "preferred_name" | "nickname" => column("display_name"),
        "e_mail" | "mail" | "email_address" | "e_mail_address" => column("email"),
        "employee_no" | "employee_id" | "emp_no" | "employeenumber" | "personnel_number" => {
            column("employee_number")
        }
        "badge" | "badge_no" | "badge_id" => column("badge_number"),
        "payroll" | "payroll_number" | "payroll_identifier" => column("payroll_id"),
        "title" | "designation" => column("title_designation"),
        "hired" | "hired_on" | "date_of_hire" => column("hire_date"),
        "started" | "started_on" => column("start_date"),
        "sign_in" | "sign_in_kind" => column("login_kind"),
        _ => None,
    }
}

/// The columns of a file: which field each one feeds, and its header as written.
#[derive(Debug)]
struct Columns {
    fields: Vec<Field>,
    headers: Vec<String>,
}

impl Columns {
    /// Maps the header row, recording what is wrong with it on row 1.
    fn map(header: &StringRecord, mapping: &[(String, String)], report: &mut ImportReport) -> Self {
        let overrides: HashMap<String, Field> = mapping
            .iter()
            .filter_map(|(column, field)| {
                Some((normalize(column), field_named(&normalize(field))?))
            })
            .collect();
        let mut fields = Vec::new();
        let mut seen = HashSet::new();
        for raw in header {
            let name = normalize(raw);
            let field = overrides
                .get(&name)
                .copied()
                .or_else(|| field_named(&name))
                .unwrap_or_else(|| {
                    report.problem(
                        1,
                        Some(raw),
                        format!(
                            "unknown column; map it to a field (--map '{raw}=FIELD') or drop it \
                             (--map '{raw}=ignore'); fields: {}, {PLACEMENTS}, node, role",
                            COLUMNS.join(", ")
                        ),
                    );
                    Field::Ignore
                });
            if field != Field::Ignore && !seen.insert(field) {
                report.problem(1, Some(raw), "another column already feeds this field");
            }
            fields.push(field);
        }
        for required in ["login", "first_name", "last_name"] {
            if !fields.contains(&Field::Column(required)) {
                report.problem(1, None, format!("the file has no `{required}` column"));
            }
        }
        let single = fields.contains(&Field::Node) || fields.contains(&Field::Role);
        if fields.contains(&Field::Placements) && single {
            report.problem(
                1,
                None,
                "give the placements either in a `placements` column or in `node` and `role` \
                 columns, not both",
            );
        } else if single && !(fields.contains(&Field::Node) && fields.contains(&Field::Role)) {
            report.problem(
                1,
                None,
                "a `node` column needs a `role` column, and the other way round",
            );
        } else if !single && !fields.contains(&Field::Placements) {
            report.problem(
                1,
                None,
                "the file has no `placements` column (`Node=Role;Node=Role`, the default first) \
                 and no `node` and `role` columns",
            );
        }
        Self {
            fields,
            headers: header.iter().map(str::to_owned).collect(),
        }
    }

    /// The header of the column feeding `field`.
    fn header_of(&self, field: Field) -> Option<&str> {
        self.fields
            .iter()
            .position(|f| *f == field)
            .map(|i| self.headers[i].as_str())
    }

    /// The file's column a validation error on `field` (as the API names it) is about.
    fn column_for(&self, api_field: &str) -> String {
        let base = api_field.split(['.', '[']).next().unwrap_or(api_field);
        let field = if base == "placements" {
            self.header_of(Field::Placements)
                .or_else(|| self.header_of(Field::Node))
        } else {
            COLUMNS
                .iter()
                .find(|c| **c == base)
                .and_then(|c| self.header_of(Field::Column(c)))
        };
        field.unwrap_or(base).to_owned()
    }
}

/// One data row, parsed into a creation request; `problems` are (column, message).
struct ParsedRow {
    request: CreateUser,
    problems: Vec<(String, String)>,
}

fn parse_date(value: &str) -> std::result::Result<NaiveDate, String> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| "must be a date written YYYY-MM-DD".to_owned())
}

/// Turns a row into the request `POST /users` would get.
fn parse_row(
    columns: &Columns,
    record: &StringRecord,
    directory: &Directory,
    mode: PasswordMode,
) -> ParsedRow {
    let mut request = CreateUser::default();
    let mut problems = Vec::new();
    let mut single = (None, None);
    for (i, field) in columns.fields.iter().enumerate() {
        let header = &columns.headers[i];
        let value = record.get(i).unwrap_or_default().trim();
        let text = || Some(value.to_owned()).filter(|v| !v.is_empty());
        let mut fail = |message: String| problems.push((header.clone(), message));
        match field {
            Field::Column("login") => value.clone_into(&mut request.login),
            Field::Column("first_name") => value.clone_into(&mut request.first_name),
            Field::Column("last_name") => value.clone_into(&mut request.last_name),
            Field::Column("display_name") => request.display_name = text(),
            Field::Column("email") => request.email = text(),
            Field::Column("employee_number") => request.employee_number = text(),
            Field::Column("badge_number") => request.badge_number = text(),
            Field::Column("payroll_id") => request.payroll_id = text(),
            Field::Column("title_designation") => request.title_designation = text(),
            Field::Column("hire_date" | "start_date") if !value.is_empty() => {
                match parse_date(value) {
                    Ok(date) if *field == Field::Column("hire_date") => {
                        request.hire_date = Some(date);
                    }
                    Ok(date) => request.start_date = Some(date),
                    Err(message) => fail(message),
                }
            }
            Field::Column("login_kind") if !value.is_empty() => {
                match value.to_lowercase().parse::<LoginKind>() {
                    Ok(kind) => request.login_kind = Some(kind),
                    Err(e) => fail(e.message),
                }
            }
            Field::Column("status") if !value.is_empty() => {
                match value.to_lowercase().parse::<UserStatus>() {
                    Ok(status) => request.status = Some(status),
                    Err(e) => fail(e.message),
                }
            }
            Field::Placements => {
                for (n, part) in value
                    .split(PLACEMENT_SEPARATOR)
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .enumerate()
                {
                    let Some((node, role)) = part.split_once(NODE_ROLE_SEPARATOR) else {
                        fail(format!(
                            "write each placement as NODE{NODE_ROLE_SEPARATOR}ROLE, not {part:?}"
                        ));
                        continue;
                    };
                    match placement(directory, node, role, n == 0) {
                        Ok(p) => request.placements.push(p),
                        Err(message) => fail(message),
                    }
                }
            }
            Field::Node => single.0 = Some(value.to_owned()),
            Field::Role => single.1 = Some(value.to_owned()),
            Field::Column(_) | Field::Ignore => {}
        }
    }
    if let (Some(node), Some(role)) = single
        && !(node.is_empty() && role.is_empty())
    {
        let header = columns.header_of(Field::Node).unwrap_or("node").to_owned();
        match placement(directory, &node, &role, true) {
            Ok(p) => request.placements.push(p),
            Err(message) => problems.push((header, message)),
        }
    }
    if mode == PasswordMode::Temporary {
        request.generate_password = Some(true);
    }
    ParsedRow { request, problems }
}

/// A placement at the node named `node` with the role named `role`.
fn placement(
    directory: &Directory,
    node: &str,
    role: &str,
    default: bool,
) -> std::result::Result<NewPlacement, String> {
    let node_id = directory.node(node)?;
    let role_id = directory.role(role)?;
    if !directory.assignable(role_id, node_id) {
        return Err(format!(
            "the role {:?} cannot be given at nodes of the kind of {:?}",
            role.trim(),
            node.trim()
        ));
    }
    Ok(NewPlacement {
        node_id,
        role_id,
        default,
        starts_on: None,
        ends_on: None,
    })
}

/// A record as read: its row, the bytes read so far, and its text or what is wrong
/// with it (the column, when known, and a message).
type Record = (
    u64,
    u64,
    std::result::Result<StringRecord, (Option<usize>, String)>,
);

/// Reads the records of a source, naming encoding and layout problems.
struct Rows<'a> {
    reader: csv::Reader<Box<dyn Read + Send + 'a>>,
    record: ByteRecord,
}

impl<'a> Rows<'a> {
    fn open(source: &'a dyn Source, delimiter: u8) -> Result<Self> {
        let reader = source.open().map_err(|e| ServiceError::ReadFile {
            path: "the CSV file".to_owned(),
            source: e,
        })?;
        let reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(false)
            .from_reader(reader);
        Ok(Self {
            reader,
            record: ByteRecord::new(),
        })
    }

    /// The next record: its row, bytes read so far, and the text or what is wrong with it.
    fn next(&mut self) -> Option<Record> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.record.position().map_or(0, csv::Position::line);
                let bytes = self.reader.position().byte();
                let text = StringRecord::from_byte_record(self.record.clone()).map_err(|e| {
                    (
                        Some(e.utf8_error().field()),
                        "is not UTF-8 text; the file seems to be in another encoding (such as \
                         Windows-1252 or Latin-1): save it as UTF-8 (\"CSV UTF-8\")"
                            .to_owned(),
                    )
                });
                Some((line, bytes, text))
            }
            Err(e) => {
                let row = e.position().map_or(0, csv::Position::line);
                Some((
                    row,
                    self.reader.position().byte(),
                    Err((None, format!("cannot be read: {e}"))),
                ))
            }
        }
    }
}

/// Checks the start of the file for encodings Muster does not read.
fn check_encoding(source: &dyn Source) -> Result<Option<String>> {
    let mut start = [0_u8; 4];
    let mut reader = source.open().map_err(|e| ServiceError::ReadFile {
        path: "the CSV file".to_owned(),
        source: e,
    })?;
    let mut filled = 0;
    while filled < start.len() {
        match reader.read(&mut start[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) => {
                return Err(ServiceError::ReadFile {
                    path: "the CSV file".to_owned(),
                    source: e,
                });
            }
        }
    }
    let start = &start[..filled];
    if start.is_empty() {
        return Ok(Some(
            "the file is empty: it needs a header row and a row per user".to_owned(),
        ));
    }
    if start.starts_with(&[0xFF, 0xFE]) || start.starts_with(&[0xFE, 0xFF]) {
        return Ok(Some(
            "the file is UTF-16 text; save it as UTF-8 (\"CSV UTF-8\") and import it again"
                .to_owned(),
        ));
    }
    Ok(None)
}

/// A delimiter the header seems to use instead of `delimiter`.
fn other_delimiter(header: &StringRecord, delimiter: u8) -> Option<char> {
    if header.len() != 1 {
        return None;
    }
    let only = header.get(0).unwrap_or_default();
    [';', '\t', '|', ',']
        .into_iter()
        .filter(|c| u32::from(*c) != u32::from(delimiter))
        .find(|c| only.contains(*c))
}

fn delimiter_name(c: char) -> String {
    match c {
        '\t' => "tabs".to_owned(),
        c => format!("'{c}'"),
    }
}

/// Logins and employee numbers of one batch of rows, to look up in the database.
#[derive(Default)]
struct Lookups {
    logins: Vec<(u64, String)>,
    numbers: Vec<(u64, String)>,
}

/// The first pass: checks every row, writes nothing. Returns the report and the rows
/// that have problems.
#[allow(clippy::too_many_lines)]
async fn validate(
    store: &Store,
    ctx: &Ctx,
    source: &dyn Source,
    options: &ImportOptions,
    directory: &Directory,
    progress: &dyn Progress,
) -> Result<(ImportReport, HashSet<u64>, Vec<String>)> {
    let mut report = ImportReport {
        rows: 0,
        valid: 0,
        created: 0,
        dry_run: options.dry_run,
        problems: Vec::new(),
        more_problems: 0,
    };
    let mut bad = HashSet::new();
    let mut refused = Vec::new();
    if let Some(message) = check_encoding(source)? {
        report.problem(1, None, message);
        return Ok((report, bad, refused));
    }
    let mut rows = Rows::open(source, options.delimiter)?;
    let header = match rows.next() {
        Some((_, _, Ok(header))) => header,
        Some((row, _, Err((_, message)))) => {
            report.problem(row.max(1), None, format!("the header row {message}"));
            return Ok((report, bad, refused));
        }
        None => {
            report.problem(
                1,
                None,
                "the file is empty: it needs a header row and a row per user",
            );
            return Ok((report, bad, refused));
        }
    };
    if let Some(other) = other_delimiter(&header, options.delimiter) {
        report.problem(
            1,
            None,
            format!(
                "the columns seem to be separated by {}, not by {}: save the file with commas \
                 between columns, or give the delimiter it uses",
                delimiter_name(other),
                delimiter_name(char::from(options.delimiter))
            ),
        );
        return Ok((report, bad, refused));
    }
    let columns = Columns::map(&header, &options.mapping, &mut report);
    if !report.is_clean() {
        return Ok((report, bad, refused));
    }
    let min_length = users::password_min_length(store, ctx).await?;
    progress.start(Phase::Validating, source.size());
    let mut logins: HashMap<String, u64> = HashMap::new();
    let mut numbers: HashMap<String, u64> = HashMap::new();
    let mut lookups = Lookups::default();
    while let Some((row, bytes, record)) = rows.next() {
        report.rows += 1;
        if report.rows.is_multiple_of(PROGRESS_EVERY) {
            progress.advance(report.rows, bytes);
        }
        let record = match record {
            Ok(record) => record,
            Err((field, message)) => {
                let column = field
                    .and_then(|i| columns.headers.get(i))
                    .map(String::as_str);
                mark(&mut report, &mut bad, row, column, message);
                continue;
            }
        };
        if record.iter().all(|v| v.trim().is_empty()) {
            report.rows -= 1;
            continue;
        }
        if record.len() != columns.headers.len() {
            mark(
                &mut report,
                &mut bad,
                row,
                None,
                format!(
                    "has {} columns, the header has {}",
                    record.len(),
                    columns.headers.len()
                ),
            );
            continue;
        }
        let ParsedRow { request, problems } =
            parse_row(&columns, &record, directory, options.passwords);
        // A column already reported (say, a placement naming no node) is not reported
        // again by the checks that follow (no placement at all).
        let mut reported: Vec<String> = Vec::new();
        for (column, message) in problems {
            mark(&mut report, &mut bad, row, Some(&column), message);
            reported.push(column);
        }
        if let Err(e) = users::may_create(ctx, &request) {
            bad.insert(row);
            refused.push(format!("row {row}: {e}"));
            report.problem(
                row,
                columns
                    .header_of(Field::Placements)
                    .or(columns.header_of(Field::Node)),
                e.to_string(),
            );
        }
        let login = request.login.trim().to_lowercase();
        let number = request.employee_number.clone();
        if let Err(errors) = users::check_create(ctx, request, min_length) {
            for error in errors.errors() {
                let column = columns.column_for(&error.field);
                if !reported.contains(&column) {
                    mark(
                        &mut report,
                        &mut bad,
                        row,
                        Some(&column),
                        error.message.clone(),
                    );
                }
            }
        }
        if !login.is_empty() {
            if let Some(first) = logins.get(&login) {
                let column = columns.column_for("login");
                mark(
                    &mut report,
                    &mut bad,
                    row,
                    Some(&column),
                    format!("the login {login:?} is also on row {first}"),
                );
            } else {
                logins.insert(login.clone(), row);
                lookups.logins.push((row, login));
            }
        }
        if let Some(number) = number {
            if let Some(first) = numbers.get(&number) {
                let column = columns.column_for("employee_number");
                mark(
                    &mut report,
                    &mut bad,
                    row,
                    Some(&column),
                    format!("the employee number {number:?} is also on row {first}"),
                );
            } else {
                numbers.insert(number.clone(), row);
                lookups.numbers.push((row, number));
            }
        }
        if lookups.logins.len() >= LOOKUP_BATCH || lookups.numbers.len() >= LOOKUP_BATCH {
            look_up(
                store,
                ctx,
                &columns,
                std::mem::take(&mut lookups),
                &mut report,
                &mut bad,
            )
            .await?;
        }
    }
    look_up(store, ctx, &columns, lookups, &mut report, &mut bad).await?;
    progress.finish();
    report.valid = report.rows
        - u64::try_from(bad.len())
            .unwrap_or(u64::MAX)
            .min(report.rows);
    Ok((report, bad, refused))
}

/// Records a problem of a data row.
fn mark(
    report: &mut ImportReport,
    bad: &mut HashSet<u64>,
    row: u64,
    column: Option<&str>,
    message: String,
) {
    bad.insert(row);
    report.problem(row, column, message);
}

/// Looks a batch of logins and employee numbers up in the database.
async fn look_up(
    store: &Store,
    ctx: &Ctx,
    columns: &Columns,
    lookups: Lookups,
    report: &mut ImportReport,
    bad: &mut HashSet<u64>,
) -> Result<()> {
    let wanted: Vec<String> = lookups.logins.iter().map(|(_, l)| l.clone()).collect();
    let taken: HashSet<String> = store_transfer::used_logins_among(store, ctx.org, &wanted)
        .await?
        .into_iter()
        .collect();
    let column = columns.column_for("login");
    for (row, login) in &lookups.logins {
        if taken.contains(login) {
            bad.insert(*row);
            report.problem(
                *row,
                Some(&column),
                format!(
                    "the login {login:?} is or was used by another user of the organization; \
                     logins are never reused"
                ),
            );
        }
    }
    let wanted: Vec<String> = lookups.numbers.iter().map(|(_, n)| n.clone()).collect();
    let taken: HashSet<String> = store_transfer::employee_numbers_among(store, ctx.org, &wanted)
        .await?
        .into_iter()
        .collect();
    let column = columns.column_for("employee_number");
    for (row, number) in &lookups.numbers {
        if taken.contains(number) {
            bad.insert(*row);
            report.problem(
                *row,
                Some(&column),
                format!("another user of the organization has the employee number {number:?}"),
            );
        }
    }
    Ok(())
}

/// Whether the caller may import users at all: `users.create` at their current location
/// (each row's placements are checked too).
pub fn may_import(ctx: &Ctx) -> Result<()> {
    users::may_create(ctx, &CreateUser::default())
}

/// Imports the users of a CSV file: validates every row, then (unless it is a dry run,
/// or a row has a problem and `skip_invalid` is not set) creates them all in one
/// transaction. The report lists every problem by row and column.
///
/// The caller must be allowed to create users at every placement named; a row naming
/// one they may not is refused ([`ServiceError::Forbidden`]) and nothing is written.
pub async fn import(
    store: &Store,
    ctx: &Ctx,
    source: &dyn Source,
    options: &ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportReport> {
    may_import(ctx)?;
    let directory = Directory::load(store, ctx.org).await?;
    let (mut report, bad, refused) =
        validate(store, ctx, source, options, &directory, progress).await?;
    if !refused.is_empty() && !options.skip_invalid {
        let shown: Vec<&str> = refused.iter().take(5).map(String::as_str).collect();
        let more = refused.len().saturating_sub(shown.len());
        return Err(ServiceError::Forbidden(format!(
            "nothing was imported: {}{}",
            shown.join("; "),
            if more > 0 {
                format!("; and {more} more rows")
            } else {
                String::new()
            }
        )));
    }
    if options.dry_run || report.valid == 0 || (!report.is_clean() && !options.skip_invalid) {
        return Ok(report);
    }
    write(
        store,
        ctx,
        source,
        options,
        &directory,
        &bad,
        &mut report,
        progress,
    )
    .await?;
    Ok(report)
}

/// The second pass: creates the users of every row without problems, in one
/// transaction.
#[allow(clippy::too_many_arguments)]
async fn write(
    store: &Store,
    ctx: &Ctx,
    source: &dyn Source,
    options: &ImportOptions,
    directory: &Directory,
    bad: &HashSet<u64>,
    report: &mut ImportReport,
    progress: &dyn Progress,
) -> Result<()> {
    let min_length = users::password_min_length(store, ctx).await?;
    let mut rows = Rows::open(source, options.delimiter)?;
    let Some((_, _, Ok(header))) = rows.next() else {
        return Ok(());
    };
    let mut scratch = ImportReport {
        problems: Vec::new(),
        ..report.clone()
    };
    let columns = Columns::map(&header, &options.mapping, &mut scratch);
    progress.start(Phase::Writing, source.size());
    let mut tx = store.begin_in(ctx.org).await?;
    let org = outbox::org_identity(&mut tx, ctx).await?;
    let invitation = options.passwords == PasswordMode::Invite;
    let mut created = 0_u64;
    let mut batch = Vec::with_capacity(WRITE_BATCH);
    let mut rows_seen = 0_u64;
    while let Some((row, bytes, record)) = rows.next() {
        let Ok(record) = record else { continue };
        if bad.contains(&row) || record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let ParsedRow { request, .. } = parse_row(&columns, &record, directory, options.passwords);
        let checked: CheckedCreate = users::check_create(ctx, request, min_length)
            .map_err(|e| row_failed(row, ServiceError::from(e)))?;
        batch.push(users::hash_create(checked, invitation).await?);
        rows_seen += 1;
        if batch.len() >= WRITE_BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(WRITE_BATCH));
            created += count(users::create_many_in(&mut tx, ctx, full, directory, &org).await?);
            progress.advance(rows_seen, bytes);
        }
    }
    created += count(users::create_many_in(&mut tx, ctx, batch, directory, &org).await?);
    let changes = Changes::default()
        .with("rows", Value::Null, report.rows)
        .with("created", Value::Null, created)
        .with("skipped", Value::Null, report.rows - created)
        .with("passwords", Value::Null, options.passwords);
    audit::record(
        &mut tx,
        ctx,
        "user.import",
        Target::object("import", Uuid::now_v7()),
        &changes,
    )
    .await?;
    tx.commit().await?;
    progress.finish();
    report.created = created;
    Ok(())
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// A row that the first pass found valid but that could not be written (someone took
/// its login meanwhile): nothing is written.
fn row_failed(row: u64, error: ServiceError) -> ServiceError {
    match error {
        ServiceError::Validation(errors) => {
            let mut out = ValidationErrors::new();
            for e in errors.errors() {
                out.push(format!("rows[{row}].{}", e.field), e.message.clone());
            }
            ServiceError::Validation(out)
        }
        ServiceError::Conflict { field, message } => {
            ServiceError::conflict(format!("rows[{row}].{field}"), message)
        }
        other => other,
    }
}
