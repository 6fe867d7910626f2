-- A daemon's work poll now marks its running session alive (discovery_sessions.last_activity_at), once per
-- heartbeat. That timestamp alone changing is noise, like last_seen: the payload function flags it suppressed.
-- Note for editors: the migration runner splits statements at a semicolon that ends a line, so function bodies keep
-- their semicolons mid-line.

CREATE OR REPLACE FUNCTION scanopy_event_payload(p_entity text, p_op text, p_old jsonb, p_new jsonb) RETURNS text
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
      -- Heartbeat, key-use and session-liveness timestamps (or nothing at all) changing is noise for viewers and logs.
      'suppress', p_op = 'UPDATE' AND NOT EXISTS (
        SELECT 1 FROM jsonb_array_elements_text(ch.fields) f WHERE f NOT IN ('last_seen', 'last_used', 'last_activity_at'))
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
