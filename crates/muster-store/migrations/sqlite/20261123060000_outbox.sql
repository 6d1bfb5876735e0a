-- The notification outbox and the carrier → email-to-SMS gateway table.
--
-- Messages are written in the transaction of the change that causes them (the
-- transactional outbox) and delivered later by a background worker, which picks due
-- messages by (status, next_attempt_at). With no SMTP server configured they stay queued
-- and are read on the local mailbox (`GET /api/v1/outbox`).

CREATE TABLE outbox (
    id              BLOB PRIMARY KEY NOT NULL,
    org_id          BLOB NOT NULL REFERENCES organizations (id),
    user_id         BLOB REFERENCES users (id),
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    category        TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    last_error      TEXT
) STRICT;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_org_created ON outbox (org_id, created_at, id);
CREATE INDEX outbox_user ON outbox (user_id);

-- Mobile carriers and the domain of their email-to-SMS gateway: a text to 555-010-1234 on
-- Verizon is an email to 5550101234@vtext.com. Shared by every organization.
CREATE TABLE sms_gateways (
    carrier      TEXT PRIMARY KEY NOT NULL,
    email_domain TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX sms_gateways_carrier ON sms_gateways (lower(carrier));

INSERT INTO sms_gateways (carrier, email_domain) VALUES
    ('Verizon', 'vtext.com'),
    ('AT&T', 'txt.att.net'),
    ('T-Mobile', 'tmomail.net'),
    ('Sprint', 'messaging.sprintpcs.com'),
    ('US Cellular', 'email.uscc.net'),
    ('Boost', 'sms.myboostmobile.com'),
    ('Cricket', 'sms.cricketwireless.net'),
    ('Google Fi', 'msg.fi.google.com'),
    ('Metro', 'mymetropcs.com');
