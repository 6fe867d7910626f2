-- Field provenance: the host fields a user has edited through the API. Discovery fills only empty fields and never
-- touches a field listed here, so a rescan cannot undo a user's name, hostname or description (even a cleared one).
ALTER TABLE hosts ADD COLUMN edited_fields text[] NOT NULL DEFAULT '{}';
