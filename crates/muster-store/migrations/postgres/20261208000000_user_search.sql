-- A million users (issue 8): substring search that does not scan the table, and indexes
-- for the remaining filters of the user list.
--
-- `search_text` holds the text the list's search looks in: "first last", the display
-- name, the login, the email and the employee number, one per line, in lower case. A
-- pg_trgm GIN index answers `LIKE '%…%'` for any substring of three characters or more.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE users ADD COLUMN search_text TEXT GENERATED ALWAYS AS (lower(
    first_name || ' ' || last_name || chr(10) || coalesce(display_name, '') || chr(10)
    || login || chr(10) || coalesce(email, '') || chr(10) || coalesce(employee_number, '')
)) STORED;
CREATE INDEX users_search_trgm ON users USING gin (search_text gin_trgm_ops);

-- Prefix search (queries of one or two characters) on the email and employee number; the
-- names and the login already have theirs.
CREATE INDEX users_org_email ON users (org_id, lower(email));
CREATE INDEX users_org_employee_number ON users (org_id, lower(employee_number));
-- The users placed at a node (the access filter and the node filter), and nodes by name
-- (the search in default-location names).
CREATE INDEX placements_node_user ON placements (node_id, user_id);
CREATE INDEX nodes_org_name ON nodes (org_id, lower(name));
