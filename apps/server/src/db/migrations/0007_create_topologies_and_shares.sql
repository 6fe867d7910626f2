-- Topologies: a saved diagram of one network (graph, options, and the entity snapshots it was drawn from). This
-- migration stores them; building the graph comes later. The option defaults are the UI's (topology-ui.md §1.4).
CREATE TABLE topologies (
  id uuid PRIMARY KEY,
  network_id uuid NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  nodes jsonb NOT NULL DEFAULT '[]',
  edges jsonb NOT NULL DEFAULT '[]',
  options jsonb NOT NULL DEFAULT '{
    "local": {"hide_edge_types": ["HostVirtualization"], "hide_resize_handles": false,
      "left_zone_title": "Infrastructure", "no_fade_edges": false,
      "tag_filter": {"hidden_host_tag_ids": [], "hidden_service_tag_ids": [], "hidden_subnet_tag_ids": []}},
    "request": {"group_docker_bridges_by_host": true, "hide_ports": false, "hide_service_categories": ["OpenPorts"],
      "hide_vm_title_on_docker_container": false, "left_zone_service_categories": ["DNS", "ReverseProxy"],
      "show_gateway_in_left_zone": true}}',
  hosts jsonb NOT NULL DEFAULT '[]',
  subnets jsonb NOT NULL DEFAULT '[]',
  services jsonb NOT NULL DEFAULT '[]',
  groups jsonb NOT NULL DEFAULT '[]',
  interfaces jsonb NOT NULL DEFAULT '[]',
  ports jsonb NOT NULL DEFAULT '[]',
  bindings jsonb NOT NULL DEFAULT '[]',
  if_entries jsonb NOT NULL DEFAULT '[]',
  entity_tags jsonb NOT NULL DEFAULT '[]',
  removed_hosts uuid[] NOT NULL DEFAULT '{}',
  removed_services uuid[] NOT NULL DEFAULT '{}',
  removed_subnets uuid[] NOT NULL DEFAULT '{}',
  removed_groups uuid[] NOT NULL DEFAULT '{}',
  removed_interfaces uuid[] NOT NULL DEFAULT '{}',
  removed_ports uuid[] NOT NULL DEFAULT '{}',
  removed_bindings uuid[] NOT NULL DEFAULT '{}',
  removed_if_entries uuid[] NOT NULL DEFAULT '{}',
  is_stale boolean NOT NULL DEFAULT false,
  last_refreshed timestamptz NOT NULL DEFAULT now(),
  is_locked boolean NOT NULL DEFAULT false,
  locked_at timestamptz,
  -- Neither is a foreign key: a lock outlives its user, a child outlives its parent.
  locked_by uuid,
  parent_id uuid,
  -- Own column (not entity_tags): the reference keeps topology tags on the row.
  tags uuid[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX topologies_network_created_idx ON topologies (network_id, created_at, id);

-- Shares: public links to one topology. password_hash (Argon2id) never leaves the server.
CREATE TABLE shares (
  id uuid PRIMARY KEY,
  topology_id uuid NOT NULL REFERENCES topologies(id) ON DELETE CASCADE,
  network_id uuid NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
  created_by uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  is_enabled boolean NOT NULL DEFAULT true,
  expires_at timestamptz,
  allowed_domains text[],
  options jsonb NOT NULL DEFAULT '{"show_inspect_panel": true, "show_zoom_controls": true, "show_export_button": true}',
  password_hash text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shares_network_created_idx ON shares (network_id, created_at, id);
CREATE INDEX shares_topology_idx ON shares (topology_id);
CREATE INDEX shares_created_by_idx ON shares (created_by);

CREATE TRIGGER topologies_events AFTER INSERT OR UPDATE OR DELETE ON topologies
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('Topology');
CREATE TRIGGER shares_events AFTER INSERT OR UPDATE OR DELETE ON shares
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('Share');

-- Every network has a default topology; networks made before this migration get theirs here.
INSERT INTO topologies (id, network_id, name)
  SELECT gen_random_uuid(), n.id, 'My Topology' FROM networks n;
