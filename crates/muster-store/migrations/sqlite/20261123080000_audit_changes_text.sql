-- Audit changes are stored as the exact JSON text that was hashed. SQLite already keeps
-- them as TEXT; this migration exists so both backends have the same versions.
SELECT 1;
