-- Foundation: organizations, their tree, people, command hierarchy, roles and placements.
-- Ids are UUIDv7 stored as 16-byte BLOBs; times are fixed-width RFC 3339 UTC text
-- (microseconds), so text order is time order; dates are YYYY-MM-DD; JSON is text.

CREATE TABLE organizations (
    id          BLOB PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL,
    address     TEXT NOT NULL DEFAULT '{}',
    settings    TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX organizations_slug ON organizations (slug);

CREATE TABLE node_kinds (
    id          BLOB PRIMARY KEY NOT NULL,
    org_id      BLOB NOT NULL REFERENCES organizations (id),
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    is_root     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX node_kinds_name ON node_kinds (org_id, lower(name));

CREATE TABLE nodes (
    id          BLOB PRIMARY KEY NOT NULL,
    org_id      BLOB NOT NULL REFERENCES organizations (id),
    parent_id   BLOB REFERENCES nodes (id),
    kind_id     BLOB NOT NULL REFERENCES node_kinds (id),
    name        TEXT NOT NULL,
    address     TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX nodes_one_root ON nodes (org_id) WHERE parent_id IS NULL;
CREATE UNIQUE INDEX nodes_sibling_name ON nodes (parent_id, lower(name));
CREATE INDEX nodes_org ON nodes (org_id);

CREATE TABLE reference_items (
    id          BLOB PRIMARY KEY NOT NULL,
    org_id      BLOB NOT NULL REFERENCES organizations (id),
    list        TEXT NOT NULL,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX reference_items_name ON reference_items (org_id, list, lower(name));

CREATE TABLE command_groups (
    id          BLOB PRIMARY KEY NOT NULL,
    org_id      BLOB NOT NULL REFERENCES organizations (id),
    parent_id   BLOB REFERENCES command_groups (id),
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX command_groups_name ON command_groups (org_id, lower(name));

CREATE TABLE command_group_privileges (
    group_id    BLOB NOT NULL REFERENCES command_groups (id),
    section     TEXT NOT NULL,
    scope       TEXT NOT NULL,
    access      TEXT NOT NULL CHECK (access IN ('view', 'edit')),
    PRIMARY KEY (group_id, section, scope)
) STRICT;

CREATE TABLE roles (
    id           BLOB PRIMARY KEY NOT NULL,
    org_id       BLOB NOT NULL REFERENCES organizations (id),
    name         TEXT NOT NULL,
    preset       TEXT NOT NULL,
    capabilities TEXT NOT NULL DEFAULT '[]',
    modules      TEXT NOT NULL DEFAULT '{}',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX roles_name ON roles (org_id, lower(name));

CREATE TABLE role_node_kinds (
    role_id     BLOB NOT NULL REFERENCES roles (id),
    kind_id     BLOB NOT NULL REFERENCES node_kinds (id),
    PRIMARY KEY (role_id, kind_id)
) STRICT;

CREATE TABLE users (
    id                   BLOB PRIMARY KEY NOT NULL,
    org_id               BLOB NOT NULL REFERENCES organizations (id),
    login                TEXT NOT NULL,
    login_normalized     TEXT NOT NULL,
    first_name           TEXT NOT NULL,
    last_name            TEXT NOT NULL,
    display_name         TEXT,
    employee_number      TEXT,
    badge_number         TEXT,
    email                TEXT,
    phones               TEXT NOT NULL DEFAULT '[]',
    address              TEXT,
    title_id             BLOB REFERENCES reference_items (id),
    title_designation    TEXT,
    rank_id              BLOB REFERENCES reference_items (id),
    unit_id              BLOB REFERENCES reference_items (id),
    hire_date            TEXT,
    start_date           TEXT,
    transfer_date        TEXT,
    last_day             TEXT,
    leave_reason         TEXT,
    separation_status_id BLOB REFERENCES reference_items (id),
    recruited_by_id      BLOB REFERENCES users (id),
    reports_to_id        BLOB REFERENCES users (id),
    payroll_id           TEXT,
    date_of_birth        TEXT,
    gender               TEXT,
    demographics         TEXT NOT NULL DEFAULT '{}',
    preferences          TEXT NOT NULL DEFAULT '{}',
    directory_access     TEXT NOT NULL DEFAULT 'everyone',
    can_sms              INTEGER NOT NULL DEFAULT 0,
    login_kind           TEXT NOT NULL CHECK (login_kind IN ('password', 'pin', 'none')),
    status               TEXT NOT NULL CHECK (status IN ('active', 'inactive', 'banned', 'retired', 'separated', 'deleted')),
    password_hash        TEXT,
    pin_hash             TEXT,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    is_org_admin         INTEGER NOT NULL DEFAULT 0,
    command_group_id     BLOB REFERENCES command_groups (id),
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    last_login_at        TEXT
) STRICT;
CREATE UNIQUE INDEX users_login ON users (org_id, login_normalized);
CREATE UNIQUE INDEX users_employee_number ON users (org_id, employee_number) WHERE employee_number IS NOT NULL;
CREATE INDEX users_command_group ON users (command_group_id);

-- Every login ever used in an organization, so that none is ever handed out again.
CREATE TABLE used_logins (
    org_id           BLOB NOT NULL REFERENCES organizations (id),
    login_normalized TEXT NOT NULL,
    user_id          BLOB NOT NULL REFERENCES users (id),
    PRIMARY KEY (org_id, login_normalized)
) STRICT;

CREATE TABLE user_specialties (
    user_id     BLOB NOT NULL REFERENCES users (id),
    item_id     BLOB NOT NULL REFERENCES reference_items (id),
    PRIMARY KEY (user_id, item_id)
) STRICT;

CREATE TABLE placements (
    org_id      BLOB NOT NULL REFERENCES organizations (id),
    user_id     BLOB NOT NULL REFERENCES users (id),
    node_id     BLOB NOT NULL REFERENCES nodes (id),
    role_id     BLOB NOT NULL REFERENCES roles (id),
    is_default  INTEGER NOT NULL DEFAULT 0,
    starts_on   TEXT,
    ends_on     TEXT,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, node_id),
    CHECK (starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on)
) STRICT;
CREATE UNIQUE INDEX placements_one_default ON placements (user_id) WHERE is_default = 1;
CREATE INDEX placements_node ON placements (node_id);
CREATE INDEX placements_role ON placements (role_id);
