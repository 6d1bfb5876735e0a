-- Foundation: organizations, their tree, people, command hierarchy, roles and placements.
-- Ids are native UUIDs (v7); times are TIMESTAMPTZ; dates are DATE; JSON is JSONB.

CREATE TABLE organizations (
    id          UUID PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL,
    address     JSONB NOT NULL DEFAULT '{}',
    settings    JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX organizations_slug ON organizations (slug);

CREATE TABLE node_kinds (
    id          UUID PRIMARY KEY NOT NULL,
    org_id      UUID NOT NULL REFERENCES organizations (id),
    name        TEXT NOT NULL,
    position    BIGINT NOT NULL,
    is_root     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX node_kinds_name ON node_kinds (org_id, lower(name));

CREATE TABLE nodes (
    id          UUID PRIMARY KEY NOT NULL,
    org_id      UUID NOT NULL REFERENCES organizations (id),
    parent_id   UUID REFERENCES nodes (id),
    kind_id     UUID NOT NULL REFERENCES node_kinds (id),
    name        TEXT NOT NULL,
    address     JSONB,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX nodes_one_root ON nodes (org_id) WHERE parent_id IS NULL;
CREATE UNIQUE INDEX nodes_sibling_name ON nodes (parent_id, lower(name));
CREATE INDEX nodes_org ON nodes (org_id);

CREATE TABLE reference_items (
    id          UUID PRIMARY KEY NOT NULL,
    org_id      UUID NOT NULL REFERENCES organizations (id),
    list        TEXT NOT NULL,
    name        TEXT NOT NULL,
    position    BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX reference_items_name ON reference_items (org_id, list, lower(name));

CREATE TABLE command_groups (
    id          UUID PRIMARY KEY NOT NULL,
    org_id      UUID NOT NULL REFERENCES organizations (id),
    parent_id   UUID REFERENCES command_groups (id),
    name        TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX command_groups_name ON command_groups (org_id, lower(name));

CREATE TABLE command_group_privileges (
    group_id    UUID NOT NULL REFERENCES command_groups (id),
    section     TEXT NOT NULL,
    scope       TEXT NOT NULL,
    access      TEXT NOT NULL CHECK (access IN ('view', 'edit')),
    PRIMARY KEY (group_id, section, scope)
);

CREATE TABLE roles (
    id           UUID PRIMARY KEY NOT NULL,
    org_id       UUID NOT NULL REFERENCES organizations (id),
    name         TEXT NOT NULL,
    preset       TEXT NOT NULL,
    capabilities JSONB NOT NULL DEFAULT '[]',
    modules      JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX roles_name ON roles (org_id, lower(name));

CREATE TABLE role_node_kinds (
    role_id     UUID NOT NULL REFERENCES roles (id),
    kind_id     UUID NOT NULL REFERENCES node_kinds (id),
    PRIMARY KEY (role_id, kind_id)
);

CREATE TABLE users (
    id                   UUID PRIMARY KEY NOT NULL,
    org_id               UUID NOT NULL REFERENCES organizations (id),
    login                TEXT NOT NULL,
    login_normalized     TEXT NOT NULL,
    first_name           TEXT NOT NULL,
    last_name            TEXT NOT NULL,
    display_name         TEXT,
    employee_number      TEXT,
    badge_number         TEXT,
    email                TEXT,
    phones               JSONB NOT NULL DEFAULT '[]',
    address              JSONB,
    title_id             UUID REFERENCES reference_items (id),
    title_designation    TEXT,
    rank_id              UUID REFERENCES reference_items (id),
    unit_id              UUID REFERENCES reference_items (id),
    hire_date DATE,
    start_date DATE,
    transfer_date DATE,
    last_day DATE,
    leave_reason         TEXT,
    separation_status_id UUID REFERENCES reference_items (id),
    recruited_by_id      UUID REFERENCES users (id),
    reports_to_id        UUID REFERENCES users (id),
    payroll_id           TEXT,
    date_of_birth DATE,
    gender               TEXT,
    demographics         JSONB NOT NULL DEFAULT '{}',
    preferences          JSONB NOT NULL DEFAULT '{}',
    directory_access     TEXT NOT NULL DEFAULT 'everyone',
    can_sms              BOOLEAN NOT NULL DEFAULT FALSE,
    login_kind           TEXT NOT NULL CHECK (login_kind IN ('password', 'pin', 'none')),
    status               TEXT NOT NULL CHECK (status IN ('active', 'inactive', 'banned', 'retired', 'separated', 'deleted')),
    password_hash        TEXT,
    pin_hash             TEXT,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    is_org_admin         BOOLEAN NOT NULL DEFAULT FALSE,
    command_group_id     UUID REFERENCES command_groups (id),
    version              BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    last_login_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX users_login ON users (org_id, login_normalized);
CREATE UNIQUE INDEX users_employee_number ON users (org_id, employee_number) WHERE employee_number IS NOT NULL;
CREATE INDEX users_command_group ON users (command_group_id);

-- Every login ever used in an organization, so that none is ever handed out again.
CREATE TABLE used_logins (
    org_id           UUID NOT NULL REFERENCES organizations (id),
    login_normalized TEXT NOT NULL,
    user_id          UUID NOT NULL REFERENCES users (id),
    PRIMARY KEY (org_id, login_normalized)
);

CREATE TABLE user_specialties (
    user_id     UUID NOT NULL REFERENCES users (id),
    item_id     UUID NOT NULL REFERENCES reference_items (id),
    PRIMARY KEY (user_id, item_id)
);

CREATE TABLE placements (
    org_id      UUID NOT NULL REFERENCES organizations (id),
    user_id     UUID NOT NULL REFERENCES users (id),
    node_id     UUID NOT NULL REFERENCES nodes (id),
    role_id     UUID NOT NULL REFERENCES roles (id),
    is_default  BOOLEAN NOT NULL DEFAULT FALSE,
    starts_on DATE,
    ends_on DATE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, node_id),
    CHECK (starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on)
);
CREATE UNIQUE INDEX placements_one_default ON placements (user_id) WHERE is_default;
CREATE INDEX placements_node ON placements (node_id);
CREATE INDEX placements_role ON placements (role_id);
