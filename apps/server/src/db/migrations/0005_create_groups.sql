-- Groups: ordered sets of service bindings drawn as one path (RequestPath) or a hub with spokes in the topology.
CREATE TABLE groups (
  id uuid PRIMARY KEY,
  network_id uuid NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  group_type text NOT NULL CHECK (group_type IN ('RequestPath', 'HubAndSpoke')),
  color text NOT NULL,
  edge_style text NOT NULL DEFAULT 'SmoothStep',
  source jsonb NOT NULL DEFAULT '{"type":"Manual"}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX groups_network_created_idx ON groups (network_id, created_at, id);

CREATE TABLE group_bindings (
  group_id uuid NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  binding_id uuid NOT NULL REFERENCES bindings(id) ON DELETE CASCADE,
  position integer NOT NULL,
  PRIMARY KEY (group_id, binding_id)
);
CREATE INDEX group_bindings_binding_idx ON group_bindings (binding_id);

CREATE TRIGGER groups_events AFTER INSERT OR UPDATE OR DELETE ON groups
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('Group');
CREATE INDEX discovery_network_created_idx ON discovery (network_id, created_at, id);
