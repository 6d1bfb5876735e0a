-- Retention (muster purge, and hourly in muster serve) finds what has ended by these.
CREATE INDEX sessions_absolute_expiry ON sessions (absolute_expires_at);
CREATE INDEX sessions_idle_expiry ON sessions (idle_expires_at);
CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX login_attempts_at ON login_attempts (at);
CREATE INDEX outbox_finished_created ON outbox (created_at) WHERE status <> 'queued';

-- Sign-in resolves the organization by handle or by name (in lowercase); with many tenants
-- the name must not be a table scan.
CREATE INDEX organizations_lower_name ON organizations (lower(name));
