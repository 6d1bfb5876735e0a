-- Delivery of the outbox over SMTP: a worker claims due messages by setting a lease
-- (claimed_until) in a short transaction, so that two server processes never send the same
-- message at once; a lease left by a process that died expires and the message is claimed
-- again (delivery is at-least-once).

ALTER TABLE outbox ADD COLUMN claimed_until TIMESTAMPTZ;
