-- Lists and exports are ordered by (created_at, id) within the caller's networks; these indexes let a page (or an
-- export batch) be read in order instead of sorting the whole table.
CREATE INDEX hosts_network_created_idx ON hosts (network_id, created_at, id);
CREATE INDEX subnets_network_created_idx ON subnets (network_id, created_at, id);
CREATE INDEX services_network_created_idx ON services (network_id, created_at, id);
CREATE INDEX interfaces_network_created_idx ON interfaces (network_id, created_at, id);
CREATE INDEX ports_network_created_idx ON ports (network_id, created_at, id);
CREATE INDEX bindings_network_created_idx ON bindings (network_id, created_at, id);
CREATE INDEX daemons_network_created_idx ON daemons (network_id, created_at, id);
CREATE INDEX entity_tags_entity_idx ON entity_tags (entity_id, entity_type);
DROP INDEX IF EXISTS hosts_network_idx;

-- Invites (0003) publish events like every other entity.
CREATE TRIGGER invites_events AFTER INSERT OR UPDATE OR DELETE ON invites
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('Invite');
