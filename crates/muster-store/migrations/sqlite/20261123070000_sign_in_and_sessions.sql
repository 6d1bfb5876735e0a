-- Sign-in: server-side sessions, the record of every sign-in attempt, and the lockout
-- bookkeeping of users (consecutive failures, automatic release).

ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
-- Set only by a lockout with automatic release: when the user is let in again.
ALTER TABLE users ADD COLUMN banned_until TEXT;
-- Why the user is banned, when Muster banned them (a lockout); NULL for administrators' bans.
ALTER TABLE users ADD COLUMN ban_reason TEXT;

-- Sessions: only a SHA-256 of the secret is kept (256 random bits, as for API tokens).
CREATE TABLE sessions (
    id                  BLOB PRIMARY KEY NOT NULL,
    org_id              BLOB NOT NULL REFERENCES organizations (id),
    user_id             BLOB NOT NULL REFERENCES users (id),
    secret_hash         TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    last_seen_at        TEXT NOT NULL,
    idle_expires_at     TEXT NOT NULL,
    absolute_expires_at TEXT NOT NULL,
    revoked_at          TEXT,
    ip                  TEXT,
    user_agent          TEXT,
    current_node_id     BLOB REFERENCES nodes (id)
) STRICT;
CREATE UNIQUE INDEX sessions_secret ON sessions (secret_hash);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

-- Every sign-in attempt. `org_id` is NULL when the organization typed does not exist;
-- `user_id` when the login does not.
CREATE TABLE login_attempts (
    id          BLOB PRIMARY KEY NOT NULL,
    org_id      BLOB REFERENCES organizations (id),
    user_id     BLOB REFERENCES users (id),
    login       TEXT NOT NULL,
    at          TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('success', 'bad_credentials', 'locked', 'inactive', 'rate_limited', 'not_allowed')),
    method      TEXT NOT NULL CHECK (method IN ('password', 'pin')),
    ip          TEXT,
    user_agent  TEXT
) STRICT;
CREATE INDEX login_attempts_user ON login_attempts (user_id, at, id);

CREATE INDEX api_tokens_org ON api_tokens (org_id, id);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
