-- Personnel records (every section in one table), employee files and photos. File and
-- photo contents live in the blob store under their SHA-256; rows only name the hash.

CREATE TABLE personnel_records (
    id                 UUID PRIMARY KEY NOT NULL,
    org_id             UUID NOT NULL REFERENCES organizations (id),
    user_id            UUID NOT NULL REFERENCES users (id),
    section            TEXT NOT NULL,
    occurred_on        DATE NOT NULL,
    title              TEXT,
    category           TEXT,
    notes              TEXT,
    ends_on            DATE,
    rating             BIGINT,
    rank_id            UUID REFERENCES reference_items (id),
    unit_id            UUID REFERENCES reference_items (id),
    assignment_type_id UUID REFERENCES reference_items (id),
    applied_at         TIMESTAMPTZ,
    external_system    TEXT,
    external_ref       TEXT,
    external_url       TEXT,
    author_id          UUID REFERENCES users (id),
    updated_by_id      UUID REFERENCES users (id),
    version            BIGINT NOT NULL DEFAULT 1,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    deleted_at         TIMESTAMPTZ
);
CREATE INDEX personnel_records_user ON personnel_records (user_id, section, occurred_on, id);

CREATE TABLE employee_files (
    id             UUID PRIMARY KEY NOT NULL,
    org_id         UUID NOT NULL REFERENCES organizations (id),
    user_id        UUID NOT NULL REFERENCES users (id),
    title          TEXT NOT NULL,
    category       TEXT,
    file_name      TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    size           BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    uploaded_by_id UUID REFERENCES users (id),
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    deleted_at     TIMESTAMPTZ
);
CREATE INDEX employee_files_user ON employee_files (user_id, id);

-- Every photo a person ever had; at most one is live. `version` counts them per person.
CREATE TABLE user_photos (
    id               UUID PRIMARY KEY NOT NULL,
    org_id           UUID NOT NULL REFERENCES organizations (id),
    user_id          UUID NOT NULL REFERENCES users (id),
    sha256           TEXT NOT NULL,
    width            BIGINT NOT NULL,
    height           BIGINT NOT NULL,
    size             BIGINT NOT NULL,
    thumbnail_sha256 TEXT NOT NULL,
    thumbnail_width  BIGINT NOT NULL,
    thumbnail_height BIGINT NOT NULL,
    uploaded_by_id   UUID REFERENCES users (id),
    version          BIGINT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    deleted_at       TIMESTAMPTZ
);
CREATE UNIQUE INDEX user_photos_live ON user_photos (user_id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX user_photos_version ON user_photos (user_id, version);
