-- A million users (issue 8): substring search that does not scan the table, and indexes
-- for the remaining filters of the user list.
--
-- `users_search` holds, per user (same rowid as in `users`), the text the list's search
-- looks in: "first last", the display name, the login, the email and the employee
-- number, one per line. The trigram tokenizer indexes every three-character substring,
-- so a quoted phrase query finds any substring of three characters or more through the
-- index. Triggers keep it in step with `users`.
CREATE VIRTUAL TABLE users_search USING fts5 (text, tokenize = 'trigram case_sensitive 0');

CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, text) VALUES (new.rowid,
        new.first_name || ' ' || new.last_name || char(10) || coalesce(new.display_name, '')
        || char(10) || new.login || char(10) || coalesce(new.email, '') || char(10)
        || coalesce(new.employee_number, ''));
END;

CREATE TRIGGER users_search_update
AFTER UPDATE OF first_name, last_name, display_name, login, email, employee_number ON users
BEGIN
    UPDATE users_search SET text =
        new.first_name || ' ' || new.last_name || char(10) || coalesce(new.display_name, '')
        || char(10) || new.login || char(10) || coalesce(new.email, '') || char(10)
        || coalesce(new.employee_number, '')
    WHERE rowid = new.rowid;
END;

CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    DELETE FROM users_search WHERE rowid = old.rowid;
END;

INSERT INTO users_search (rowid, text)
SELECT rowid,
    first_name || ' ' || last_name || char(10) || coalesce(display_name, '') || char(10)
    || login || char(10) || coalesce(email, '') || char(10) || coalesce(employee_number, '')
FROM users;

-- Prefix search (queries of one or two characters) on the email and employee number; the
-- names and the login already have theirs.
CREATE INDEX users_org_email ON users (org_id, lower(email));
CREATE INDEX users_org_employee_number ON users (org_id, lower(employee_number));
-- The users placed at a node (the access filter and the node filter), and nodes by name
-- (the search in default-location names).
CREATE INDEX placements_node_user ON placements (node_id, user_id);
CREATE INDEX nodes_org_name ON nodes (org_id, lower(name));
