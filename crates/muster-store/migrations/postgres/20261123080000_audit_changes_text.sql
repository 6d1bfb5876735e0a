-- Audit changes are stored as the exact JSON text that was hashed: JSONB normalises
-- numbers (1e16 becomes 10000000000000000), which would break the hash chain.
ALTER TABLE audit_events ALTER COLUMN changes TYPE TEXT USING changes::text;
