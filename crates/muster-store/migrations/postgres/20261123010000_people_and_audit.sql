-- The full organization and people model: versions for optimistic concurrency (ETags),
-- soft deletion, modules, emergency contacts, barcodes, API tokens and the hash-chained
-- audit trail.

ALTER TABLE organizations ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

ALTER TABLE node_kinds ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE node_kinds ADD COLUMN updated_at TIMESTAMPTZ;
ALTER TABLE node_kinds ADD COLUMN deleted_at TIMESTAMPTZ;
DROP INDEX node_kinds_name;
CREATE UNIQUE INDEX node_kinds_name ON node_kinds (org_id, lower(name)) WHERE deleted_at IS NULL;

ALTER TABLE nodes ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE nodes ADD COLUMN deleted_at TIMESTAMPTZ;
DROP INDEX nodes_sibling_name;
CREATE UNIQUE INDEX nodes_sibling_name ON nodes (parent_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX nodes_parent ON nodes (parent_id);

ALTER TABLE reference_items ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE reference_items ADD COLUMN updated_at TIMESTAMPTZ;
ALTER TABLE reference_items ADD COLUMN deleted_at TIMESTAMPTZ;
DROP INDEX reference_items_name;
CREATE UNIQUE INDEX reference_items_name ON reference_items (org_id, list, lower(name)) WHERE deleted_at IS NULL;

ALTER TABLE command_groups ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE command_groups ADD COLUMN deleted_at TIMESTAMPTZ;
DROP INDEX command_groups_name;
CREATE UNIQUE INDEX command_groups_name ON command_groups (org_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX command_groups_parent ON command_groups (parent_id);

ALTER TABLE roles ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE roles ADD COLUMN deleted_at TIMESTAMPTZ;
DROP INDEX roles_name;
CREATE UNIQUE INDEX roles_name ON roles (org_id, lower(name)) WHERE deleted_at IS NULL;

CREATE TABLE modules (
    id             UUID PRIMARY KEY NOT NULL,
    org_id         UUID NOT NULL REFERENCES organizations (id),
    key            TEXT NOT NULL,
    name           TEXT NOT NULL,
    levels         JSONB NOT NULL,
    items          JSONB NOT NULL DEFAULT '[]',
    requires_items BOOLEAN NOT NULL DEFAULT FALSE,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX modules_key ON modules (org_id, key);

ALTER TABLE users ADD COLUMN emails JSONB NOT NULL DEFAULT '[]';
CREATE INDEX users_org_last_name ON users (org_id, lower(last_name), lower(first_name), id);
CREATE INDEX users_org_first_name ON users (org_id, lower(first_name), lower(last_name), id);
CREATE INDEX users_org_created ON users (org_id, created_at, id);
CREATE INDEX users_org_last_login ON users (org_id, last_login_at, id);
CREATE INDEX users_org_status ON users (org_id, status);

CREATE TABLE emergency_contacts (
    id           UUID PRIMARY KEY NOT NULL,
    org_id       UUID NOT NULL REFERENCES organizations (id),
    user_id      UUID NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    relationship TEXT,
    phones       JSONB NOT NULL DEFAULT '[]',
    email        TEXT,
    address      JSONB,
    priority     BIGINT NOT NULL DEFAULT 1,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    deleted_at   TIMESTAMPTZ
);
CREATE INDEX emergency_contacts_user ON emergency_contacts (user_id);

CREATE TABLE barcodes (
    org_id     UUID NOT NULL REFERENCES organizations (id),
    code       TEXT NOT NULL,
    user_id    UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, code)
);
CREATE INDEX barcodes_user ON barcodes (user_id);

-- API tokens: only a SHA-256 of the secret is kept (secrets are 256 random bits, so a fast
-- hash is enough and lookups stay cheap).
CREATE TABLE api_tokens (
    id           UUID PRIMARY KEY NOT NULL,
    org_id       UUID NOT NULL REFERENCES organizations (id),
    user_id      UUID NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    capabilities JSONB NOT NULL DEFAULT '[]',
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE UNIQUE INDEX api_tokens_secret ON api_tokens (secret_hash);

-- The audit trail: append-only, one hash chain per organization. `audit_heads` holds each
-- chain's last sequence number and hash; updating it first serializes writers per
-- organization.
CREATE TABLE audit_heads (
    org_id UUID PRIMARY KEY NOT NULL REFERENCES organizations (id),
    seq    BIGINT NOT NULL,
    hash   TEXT NOT NULL
);

CREATE TABLE audit_events (
    id          UUID PRIMARY KEY NOT NULL,
    org_id      UUID NOT NULL REFERENCES organizations (id),
    seq         BIGINT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    UUID,
    token_id    UUID,
    action      TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id   UUID,
    subject_id  UUID,
    changes     JSONB NOT NULL,
    request_id  TEXT,
    ip          TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE UNIQUE INDEX audit_events_seq ON audit_events (org_id, seq);
CREATE INDEX audit_events_subject ON audit_events (org_id, subject_id, seq);
CREATE INDEX audit_events_actor ON audit_events (org_id, actor_id, seq);
