-- Personnel records (every section in one table), employee files and photos. File and
-- photo contents live in the blob store under their SHA-256; rows only name the hash.

CREATE TABLE personnel_records (
    id                 BLOB PRIMARY KEY NOT NULL,
    org_id             BLOB NOT NULL REFERENCES organizations (id),
    user_id            BLOB NOT NULL REFERENCES users (id),
    section            TEXT NOT NULL,
    occurred_on        TEXT NOT NULL,
    title              TEXT,
    category           TEXT,
    notes              TEXT,
    ends_on            TEXT,
    rating             INTEGER,
    rank_id            BLOB REFERENCES reference_items (id),
    unit_id            BLOB REFERENCES reference_items (id),
    assignment_type_id BLOB REFERENCES reference_items (id),
    applied_at         TEXT,
    external_system    TEXT,
    external_ref       TEXT,
    external_url       TEXT,
    author_id          BLOB REFERENCES users (id),
    updated_by_id      BLOB REFERENCES users (id),
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    deleted_at         TEXT
) STRICT;
CREATE INDEX personnel_records_user ON personnel_records (user_id, section, occurred_on, id);

CREATE TABLE employee_files (
    id             BLOB PRIMARY KEY NOT NULL,
    org_id         BLOB NOT NULL REFERENCES organizations (id),
    user_id        BLOB NOT NULL REFERENCES users (id),
    title          TEXT NOT NULL,
    category       TEXT,
    file_name      TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    size           INTEGER NOT NULL,
    sha256         TEXT NOT NULL,
    uploaded_by_id BLOB REFERENCES users (id),
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    deleted_at     TEXT
) STRICT;
CREATE INDEX employee_files_user ON employee_files (user_id, id);

-- Every photo a person ever had; at most one is live. `version` counts them per person.
CREATE TABLE user_photos (
    id               BLOB PRIMARY KEY NOT NULL,
    org_id           BLOB NOT NULL REFERENCES organizations (id),
    user_id          BLOB NOT NULL REFERENCES users (id),
    sha256           TEXT NOT NULL,
    width            INTEGER NOT NULL,
    height           INTEGER NOT NULL,
    size             INTEGER NOT NULL,
    thumbnail_sha256 TEXT NOT NULL,
    thumbnail_width  INTEGER NOT NULL,
    thumbnail_height INTEGER NOT NULL,
    uploaded_by_id   BLOB REFERENCES users (id),
    version          INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    deleted_at       TEXT
) STRICT;
CREATE UNIQUE INDEX user_photos_live ON user_photos (user_id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX user_photos_version ON user_photos (user_id, version);
