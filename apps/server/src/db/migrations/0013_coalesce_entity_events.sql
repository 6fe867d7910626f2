-- One event per entity type and operation of a write, instead of one per changed row: ingesting one host with its
-- interfaces, ports, services and bindings used to send some 44 notifications, each fanned out to every stream.
-- The row triggers of 0002 (same function names, so no trigger is re-created) now append to event_outbox; a deferred
-- constraint trigger flushes the transaction's rows once, at commit: it groups them by (entity, operation), sends
-- the groups on `scanopy_events` and deletes them. NOTIFY stays what makes events transactional (a rolled-back write
-- sends nothing) and reach every replica.
-- Notification format (one or more per group, see events/notifications.ts for the reading side):
--   {tx, entity, operation, network_id, organization_id, ids, changed_fields, suppress, part, parts, sessions?}
-- A group is split by network (so a stream can show a client only the ids on its networks) and into parts of at
-- most 100 ids, which keeps every payload well under NOTIFY's 8000-byte limit; `part`/`parts` number the pieces of
-- one group, which the listener joins back into one event. changed_fields (the union over the group) and suppress
-- (true only when every row change of the group was noise) describe the whole group in every part.
-- DiscoverySession parts carry one session each (`sessions`: its last snapshot in the transaction), so a large
-- discovery_type can still be left out and read back from the row, as before.

-- Rows live only inside the transaction that wrote them (the flush deletes them before commit), so the table needs
-- neither WAL nor crash safety.
CREATE UNLOGGED TABLE event_outbox (
  tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
  seq bigint GENERATED ALWAYS AS IDENTITY,
  entity text NOT NULL,
  operation text NOT NULL,
  id text NOT NULL,
  network_id text,
  organization_id text,
  changed_fields text[] NOT NULL,
  suppress boolean NOT NULL,
  session jsonb,
  -- Set on a transaction's first row only: the flush trigger is queued once per transaction, not once per row.
  flush boolean NOT NULL
);
CREATE INDEX event_outbox_tx_idx ON event_outbox (tx);

CREATE FUNCTION scanopy_buffer_event(
  p_entity text, p_operation text, p_id text, p_network text, p_org text, p_fields text[], p_suppress boolean,
  p_session jsonb
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  -- Transaction-local, so it resets at commit and rollback, and also when a savepoint holding the first row (and
  -- with it the queued flush) rolls back.
  v_first boolean := coalesce(current_setting('scanopy.events_pending', true), '') = '';
BEGIN
  IF v_first THEN
    PERFORM set_config('scanopy.events_pending', 'on', true);
  END IF;
  INSERT INTO event_outbox (entity, operation, id, network_id, organization_id, changed_fields, suppress, session, flush)
  VALUES (p_entity, p_operation, p_id, p_network, p_org, p_fields, p_suppress, p_session, v_first);
END
$$;

CREATE OR REPLACE FUNCTION scanopy_notify_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_new jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
  v_old jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
  v_row jsonb := coalesce(v_new, v_old);
  v_entity text := TG_ARGV[0];
  v_fields text[] := '{}';
  v_network text;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    SELECT coalesce(array_agg(n.key ORDER BY n.key), '{}') INTO v_fields
    FROM jsonb_each(v_new) n
    WHERE n.key <> 'updated_at' AND n.value IS DISTINCT FROM (v_old -> n.key);
  END IF;
  v_network := CASE WHEN v_entity = 'Network' THEN v_row ->> 'id' ELSE v_row ->> 'network_id' END;
  PERFORM scanopy_buffer_event(
    v_entity,
    CASE TG_OP WHEN 'INSERT' THEN 'created' WHEN 'UPDATE' THEN 'updated' ELSE 'deleted' END,
    v_row ->> 'id',
    v_network,
    CASE
      WHEN v_entity = 'Organization' THEN v_row ->> 'id'
      WHEN v_row ? 'organization_id' THEN v_row ->> 'organization_id'
      ELSE scanopy_org_of_network(v_network) END,
    v_fields,
    -- Heartbeat, key-use and session-liveness timestamps (or nothing at all) changing is noise for viewers and logs.
    TG_OP = 'UPDATE' AND v_fields <@ ARRAY['last_seen', 'last_used', 'last_activity_at'],
    CASE WHEN v_entity = 'DiscoverySession' AND TG_OP <> 'DELETE' THEN jsonb_build_object(
      'session_id', v_row -> 'id', 'daemon_id', v_row -> 'daemon_id', 'network_id', v_row -> 'network_id',
      'phase', v_row -> 'phase', 'progress', v_row -> 'progress', 'error', v_row -> 'error',
      'discovery_type', v_row -> 'discovery_type', 'started_at', v_row -> 'started_at',
      'finished_at', v_row -> 'finished_at') END);
  RETURN NULL;
END
$$;

-- Link tables are not entities: a change there is an update of the entity it belongs to.
CREATE OR REPLACE FUNCTION scanopy_notify_link() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_row jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
  v_entity text;
  v_id text;
  v_network text;
  v_org text;
BEGIN
  IF TG_TABLE_NAME = 'entity_tags' THEN
    v_entity := v_row ->> 'entity_type';
    v_id := v_row ->> 'entity_id';
    v_network := CASE v_entity
      WHEN 'Network' THEN v_id
      WHEN 'Host' THEN (SELECT network_id::text FROM hosts WHERE hosts.id = v_id::uuid)
      WHEN 'Service' THEN (SELECT network_id::text FROM services WHERE services.id = v_id::uuid)
      WHEN 'Subnet' THEN (SELECT network_id::text FROM subnets WHERE subnets.id = v_id::uuid)
      WHEN 'Daemon' THEN (SELECT network_id::text FROM daemons WHERE daemons.id = v_id::uuid)
      WHEN 'DaemonApiKey' THEN (SELECT network_id::text FROM api_keys WHERE api_keys.id = v_id::uuid)
      END;
  ELSIF TG_TABLE_NAME = 'user_network_access' THEN
    v_entity := 'User';
    v_id := v_row ->> 'user_id';
    v_network := v_row ->> 'network_id';
  ELSE
    v_entity := 'UserApiKey';
    v_id := v_row ->> 'api_key_id';
    v_network := v_row ->> 'network_id';
  END IF;
  v_org := CASE WHEN v_entity = 'UserApiKey' AND v_network IS NULL
    THEN (SELECT organization_id::text FROM user_api_keys WHERE user_api_keys.id = v_id::uuid)
    ELSE scanopy_org_of_network(v_network) END;
  PERFORM scanopy_buffer_event(
    v_entity, 'updated', v_id, v_network, v_org,
    ARRAY[CASE WHEN TG_TABLE_NAME = 'entity_tags' THEN 'tags' ELSE 'network_ids' END], false, NULL);
  RETURN NULL;
END
$$;

CREATE FUNCTION scanopy_flush_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  n record;
BEGIN
  -- Rows written after this flush (only possible after SET CONSTRAINTS ... IMMEDIATE) queue a flush of their own.
  PERFORM set_config('scanopy.events_pending', '', true);
  FOR n IN
    WITH mine AS (
      DELETE FROM event_outbox WHERE tx = pg_current_xact_id()
      RETURNING seq, entity, operation, id, network_id, organization_id, changed_fields, suppress, session
    ),
    fields AS (
      SELECT m.entity, m.operation, jsonb_agg(DISTINCT f ORDER BY f) AS changed_fields
      FROM mine m CROSS JOIN LATERAL unnest(m.changed_fields) AS f
      GROUP BY m.entity, m.operation
    ),
    groups AS (
      SELECT g.entity, g.operation, g.seq, g.suppress, coalesce(f.changed_fields, '[]'::jsonb) AS changed_fields
      FROM (
        SELECT entity, operation, min(seq) AS seq, bool_and(suppress) AS suppress FROM mine GROUP BY entity, operation
      ) g
      LEFT JOIN fields f USING (entity, operation)
    ),
    -- A row written several times is listed once, with its last session snapshot.
    entries AS (
      SELECT entity, operation, network_id, organization_id, id, min(seq) AS seq,
        (array_agg(session ORDER BY seq DESC))[1] AS session
      FROM mine
      GROUP BY entity, operation, network_id, organization_id, id
    ),
    chunked AS (
      SELECT e.*,
        (row_number() OVER (PARTITION BY entity, operation, network_id, organization_id ORDER BY seq) - 1)
          / CASE WHEN entity = 'DiscoverySession' THEN 1 ELSE 100 END AS chunk
      FROM entries e
    ),
    chunks AS (
      SELECT entity, operation, network_id, organization_id, min(seq) AS seq, jsonb_agg(id ORDER BY seq) AS ids,
        jsonb_agg(session ORDER BY seq) FILTER (WHERE session IS NOT NULL) AS sessions
      FROM chunked
      GROUP BY entity, operation, network_id, organization_id, chunk
    ),
    parts AS (
      SELECT c.*, g.suppress, g.changed_fields, g.seq AS group_seq,
        row_number() OVER (PARTITION BY c.entity, c.operation ORDER BY c.seq) AS part,
        count(*) OVER (PARTITION BY c.entity, c.operation) AS parts
      FROM chunks c JOIN groups g USING (entity, operation)
    )
    SELECT jsonb_build_object(
        'tx', pg_current_xact_id()::text, 'entity', p.entity, 'operation', p.operation,
        'network_id', p.network_id, 'organization_id', p.organization_id, 'ids', p.ids,
        'changed_fields', p.changed_fields, 'suppress', p.suppress, 'part', p.part, 'parts', p.parts)
      || CASE WHEN p.sessions IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('sessions', p.sessions) END AS j
    FROM parts p
    ORDER BY p.group_seq, p.part
  LOOP
    -- An oversized discovery_type is left out; the listener reads it back from the row.
    PERFORM pg_notify('scanopy_events', CASE WHEN octet_length(n.j::text) < 7800 THEN n.j::text
      ELSE (n.j #- '{sessions,0,discovery_type}')::text END);
  END LOOP;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER event_outbox_flush AFTER INSERT ON event_outbox
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.flush) EXECUTE FUNCTION scanopy_flush_events();

DROP FUNCTION scanopy_event_payload(text, text, jsonb, jsonb);
DROP FUNCTION scanopy_link_payload(text, jsonb);
