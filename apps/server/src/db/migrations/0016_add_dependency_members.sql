-- v0.17 dependencies (the newer name of groups) list their members as bindings (v0.14's binding_ids, in
-- group_bindings) or as services. member_type says which; a Services group keeps its ordered services here, and its
-- v0.14 binding_ids are the bindings of those services, read at query time.
ALTER TABLE groups ADD COLUMN member_type text NOT NULL DEFAULT 'Bindings'
  CHECK (member_type IN ('Bindings', 'Services'));

CREATE TABLE group_services (
  group_id uuid NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  service_id uuid NOT NULL REFERENCES services(id) ON DELETE CASCADE,
  position integer NOT NULL,
  PRIMARY KEY (group_id, service_id)
);
CREATE INDEX group_services_service_idx ON group_services (service_id);
