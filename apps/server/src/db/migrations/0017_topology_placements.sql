-- Topology point updates write only what the user placed (issue 11). Until now a drag patched the stored graph (a
-- multi-megabyte jsonb column for a 1,000-host network) and the overrides column of the topologies row: every save
-- rewrote the whole graph, and the row's event trigger read the whole row twice to list what changed.
-- Now each placement is its own small row here, keyed by topology and element: a point update inserts or merges one
-- row (about 200 bytes) and never touches the topologies row. Reads lay the placements over the stored graph; a
-- rebuild applies them to the new layout and keeps them (a reset or a change of view deletes them).
-- placement: a node's {position?, size?} or an edge's {source_handle, target_handle}.
CREATE TABLE topology_placements (
  topology_id uuid NOT NULL REFERENCES topologies(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('node', 'edge')),
  element_id text NOT NULL,
  placement jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topology_id, kind, element_id)
);

-- The ids of the stored graph's nodes and edges (a few tens of kilobytes for 1,000 hosts), written with the graph:
-- a point update checks that its node or edge exists without reading the graph itself.
ALTER TABLE topologies ADD COLUMN node_ids text[] NOT NULL DEFAULT '{}';
ALTER TABLE topologies ADD COLUMN edge_ids text[] NOT NULL DEFAULT '{}';
-- What last changed the row (rebuilt, refreshed, locked, unlocked, stale, updated, saved): the topology stream tells
-- open editors what happened, not only that something did.
ALTER TABLE topologies ADD COLUMN last_action text;

UPDATE topologies SET
  node_ids = ARRAY(SELECT e ->> 'id' FROM jsonb_array_elements(nodes) AS x(e) WHERE e ? 'id'),
  edge_ids = ARRAY(SELECT e ->> 'id' FROM jsonb_array_elements(edges) AS x(e) WHERE e ? 'id')
  WHERE jsonb_typeof(nodes) = 'array' AND jsonb_typeof(edges) = 'array';

INSERT INTO topology_placements (topology_id, kind, element_id, placement)
  SELECT t.id, 'node', o.key, o.value
  FROM topologies t, jsonb_each(coalesce(t.overrides -> 'nodes', '{}'::jsonb)) AS o
  WHERE jsonb_typeof(o.value) = 'object'
  UNION ALL
  SELECT t.id, 'edge', o.key, o.value
  FROM topologies t, jsonb_each(coalesce(t.overrides -> 'edges', '{}'::jsonb)) AS o
  WHERE jsonb_typeof(o.value) = 'object';

ALTER TABLE topologies DROP COLUMN overrides;
