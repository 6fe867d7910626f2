-- Topology builder: user placements are kept apart from the computed graph, so a rebuild recomputes nodes and edges
-- and then applies what the user placed. overrides = {nodes: {<node id>: {position?, size?}}, edges: {<edge id>:
-- {source_handle, target_handle}}}. view selects which graph the builder draws (L3Logical, Workloads, Applications).
ALTER TABLE topologies ADD COLUMN overrides jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE topologies ADD COLUMN view text NOT NULL DEFAULT 'L3Logical';
