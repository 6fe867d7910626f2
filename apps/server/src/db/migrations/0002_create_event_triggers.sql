-- Entity events: every committed write to an entity table is announced on the `scanopy_events` channel, so all
-- writers (routes, ingestion, background jobs, other replicas) publish in one place and only committed data is seen.
-- Payloads carry ids and field names only: NOTIFY refuses payloads of 8000 bytes or more.
-- A table added later gets events by attaching scanopy_notify_row('<DisplayName>') to it, as below.
-- Note for editors: the migration runner splits statements at a semicolon that ends a line, so function bodies keep
-- their semicolons mid-line.

CREATE FUNCTION scanopy_org_of_network(p_network text) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT organization_id::text FROM networks WHERE id = p_network::uuid
$$;

CREATE FUNCTION scanopy_event_payload(p_entity text, p_op text, p_old jsonb, p_new jsonb) RETURNS text
LANGUAGE sql STABLE AS $$
  WITH r AS (SELECT coalesce(p_new, p_old) AS row),
  ch AS (
    SELECT coalesce(jsonb_agg(n.key ORDER BY n.key), '[]'::jsonb) AS fields
    FROM jsonb_each(CASE WHEN p_op = 'UPDATE' THEN p_new END) n
    WHERE n.key <> 'updated_at' AND n.value IS DISTINCT FROM (p_old -> n.key)
  ),
  ev AS (
    SELECT jsonb_build_object(
      'entity', p_entity,
      'operation', CASE p_op WHEN 'INSERT' THEN 'created' WHEN 'UPDATE' THEN 'updated' ELSE 'deleted' END,
      'id', r.row ->> 'id',
      'network_id', CASE WHEN p_entity = 'Network' THEN r.row ->> 'id' ELSE r.row ->> 'network_id' END,
      'organization_id', CASE
        WHEN p_entity = 'Organization' THEN r.row ->> 'id'
        WHEN r.row ? 'organization_id' THEN r.row ->> 'organization_id'
        ELSE scanopy_org_of_network(r.row ->> 'network_id') END,
      'changed_fields', ch.fields,
      -- Heartbeat and key-use timestamps (or nothing at all) changing is noise for viewers and logs.
      'suppress', p_op = 'UPDATE' AND NOT EXISTS (
        SELECT 1 FROM jsonb_array_elements_text(ch.fields) f WHERE f NOT IN ('last_seen', 'last_used'))
    ) || CASE WHEN p_entity = 'DiscoverySession' AND p_op <> 'DELETE' THEN jsonb_build_object('session',
      jsonb_build_object(
        'session_id', r.row -> 'id', 'daemon_id', r.row -> 'daemon_id', 'network_id', r.row -> 'network_id',
        'phase', r.row -> 'phase', 'progress', r.row -> 'progress', 'error', r.row -> 'error',
        'discovery_type', r.row -> 'discovery_type', 'started_at', r.row -> 'started_at',
        'finished_at', r.row -> 'finished_at'))
      ELSE '{}'::jsonb END AS j
    FROM r, ch
  )
  -- An oversized discovery_type is left out; the listener reads it back from the row.
  SELECT CASE WHEN octet_length(j::text) < 7800 THEN j::text
    ELSE (j #- '{session,discovery_type}')::text END
  FROM ev
$$;

CREATE FUNCTION scanopy_notify_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('scanopy_events', scanopy_event_payload(TG_ARGV[0], TG_OP, to_jsonb(OLD), to_jsonb(NEW))); RETURN NULL; END
$$;

-- Link tables are not entities: a change there is an update of the entity it belongs to.
CREATE FUNCTION scanopy_link_payload(p_table text, p_row jsonb) RETURNS text LANGUAGE sql STABLE AS $$
  WITH l AS (
    SELECT
      CASE p_table WHEN 'entity_tags' THEN p_row ->> 'entity_type' WHEN 'user_network_access' THEN 'User'
        ELSE 'UserApiKey' END AS entity,
      CASE p_table WHEN 'entity_tags' THEN p_row ->> 'entity_id' WHEN 'user_network_access' THEN p_row ->> 'user_id'
        ELSE p_row ->> 'api_key_id' END AS id,
      CASE p_table WHEN 'entity_tags' THEN 'tags' ELSE 'network_ids' END AS field,
      CASE WHEN p_table <> 'entity_tags' THEN p_row ->> 'network_id'
        ELSE (CASE p_row ->> 'entity_type'
          WHEN 'Network' THEN p_row ->> 'entity_id'
          WHEN 'Host' THEN (SELECT network_id::text FROM hosts WHERE id = (p_row ->> 'entity_id')::uuid)
          WHEN 'Service' THEN (SELECT network_id::text FROM services WHERE id = (p_row ->> 'entity_id')::uuid)
          WHEN 'Subnet' THEN (SELECT network_id::text FROM subnets WHERE id = (p_row ->> 'entity_id')::uuid)
          WHEN 'Daemon' THEN (SELECT network_id::text FROM daemons WHERE id = (p_row ->> 'entity_id')::uuid)
          WHEN 'DaemonApiKey' THEN (SELECT network_id::text FROM api_keys WHERE id = (p_row ->> 'entity_id')::uuid)
          END) END AS network_id
  )
  SELECT jsonb_build_object(
    'entity', l.entity, 'operation', 'updated', 'id', l.id, 'network_id', l.network_id,
    'organization_id', CASE WHEN l.entity = 'UserApiKey' AND l.network_id IS NULL
      THEN (SELECT organization_id::text FROM user_api_keys WHERE id = l.id::uuid)
      ELSE scanopy_org_of_network(l.network_id) END,
    'changed_fields', jsonb_build_array(l.field), 'suppress', false)::text
  FROM l
$$;

CREATE FUNCTION scanopy_notify_link() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('scanopy_events', scanopy_link_payload(TG_TABLE_NAME, coalesce(to_jsonb(NEW), to_jsonb(OLD)))); RETURN NULL; END
$$;

CREATE TRIGGER organizations_events AFTER INSERT OR UPDATE OR DELETE ON organizations
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('Organization');
CREATE TRIGGER users_events AFTER INSERT OR UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('User');
CREATE TRIGGER networks_events AFTER INSERT OR UPDATE OR DELETE ON networks
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('Network');
CREATE TRIGGER tags_events AFTER INSERT OR UPDATE OR DELETE ON tags
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('Tag');
CREATE TRIGGER subnets_events AFTER INSERT OR UPDATE OR DELETE ON subnets
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('Subnet');
CREATE TRIGGER hosts_events AFTER INSERT OR UPDATE OR DELETE ON hosts
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('Host');
CREATE TRIGGER interfaces_events AFTER INSERT OR UPDATE OR DELETE ON interfaces
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('Interface');
CREATE TRIGGER ports_events AFTER INSERT OR UPDATE OR DELETE ON ports
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('Port');
CREATE TRIGGER services_events AFTER INSERT OR UPDATE OR DELETE ON services
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('Service');
CREATE TRIGGER bindings_events AFTER INSERT OR UPDATE OR DELETE ON bindings
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('Binding');
CREATE TRIGGER daemons_events AFTER INSERT OR UPDATE OR DELETE ON daemons
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('Daemon');
CREATE TRIGGER api_keys_events AFTER INSERT OR UPDATE OR DELETE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('DaemonApiKey');
CREATE TRIGGER user_api_keys_events AFTER INSERT OR UPDATE OR DELETE ON user_api_keys
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('UserApiKey');
CREATE TRIGGER discovery_events AFTER INSERT OR UPDATE OR DELETE ON discovery
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('Discovery');
CREATE TRIGGER discovery_sessions_events AFTER INSERT OR UPDATE OR DELETE ON discovery_sessions
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_row('DiscoverySession');

CREATE TRIGGER entity_tags_events AFTER INSERT OR DELETE ON entity_tags
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_link();
CREATE TRIGGER user_network_access_events AFTER INSERT OR DELETE ON user_network_access
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_link();
CREATE TRIGGER user_api_key_network_access_events AFTER INSERT OR DELETE ON user_api_key_network_access
  FOR EACH ROW EXECUTE FUNCTION scanopy_notify_link();
