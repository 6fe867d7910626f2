import elkModule from 'elkjs/lib/elk.bundled.js';
import type { ELK, ElkNode } from 'elkjs/lib/elk-api.js';
import { subnetLayer, type Graph, type GraphNode } from './topology.builder.ts';

/** §2.5 constants. */
const CARD_PAD = 50;
const SUBNET_PAD = 125;
const TITLE = 50;
const GRID = 25;
const snap = (v: number) => Math.round(v / GRID) * GRID;

/** elkjs is CommonJS: under Node's ESM interop its constructor is the default export's default. */
function newElk(): ELK {
  const mod = elkModule as unknown as { default?: new () => ELK };
  const Ctor = mod.default ?? (elkModule as unknown as new () => ELK);
  return new Ctor();
}

/** Stored user placements, kept apart from the computed graph. */
export interface Overrides {
  nodes?: Record<string, { position?: { x: number; y: number }; size?: { x: number; y: number } }>;
  edges?: Record<string, { source_handle: string; target_handle: string }>;
}

/**
 * Cards of one container on a grid of ⌈√n⌉ columns: infra cards (left zone) first in their own block, then the
 * rest to its right. Returns the container's size and its left-zone width.
 */
function placeCards(cards: GraphNode[]): { w: number; h: number; infra: number } {
  const block = (list: GraphNode[], x0: number) => {
    if (list.length === 0) return { w: 0, h: 0 };
    const cols = Math.ceil(Math.sqrt(list.length));
    const colW: number[] = [];
    const rowH: number[] = [];
    list.forEach((c, k) => {
      const col = k % cols;
      const row = Math.floor(k / cols);
      colW[col] = Math.max(colW[col] ?? 0, c.size.x);
      rowH[row] = Math.max(rowH[row] ?? 0, c.size.y);
    });
    list.forEach((c, k) => {
      const col = k % cols;
      const row = Math.floor(k / cols);
      const x = colW.slice(0, col).reduce((a, b) => a + b + CARD_PAD, 0);
      const y = rowH.slice(0, row).reduce((a, b) => a + b + CARD_PAD, 0);
      c.position = { x: x0 + CARD_PAD + x, y: TITLE + y };
    });
    const w = colW.reduce((a, b) => a + b + CARD_PAD, 0);
    const h = rowH.reduce((a, b) => a + b + CARD_PAD, 0);
    return { w, h };
  };
  const infra = block(
    cards.filter((c) => c.is_infra),
    0,
  );
  const rest = block(
    cards.filter((c) => !c.is_infra),
    infra.w,
  );
  return { w: infra.w + rest.w + CARD_PAD, h: TITLE + Math.max(infra.h, rest.h), infra: infra.w };
}

export interface LayoutInput {
  graph: Graph;
  /** Subnet type of each container node (merged docker boxes: DockerBridge). */
  containerType: (id: string) => unknown;
}

/**
 * Deterministic layout: cards on a grid inside each container (sized to its content), then ELK layered (downwards)
 * over the containers with the cross-container edges, one partition per §2.2 layer so layers keep their order, and
 * the §2.2 horizontal order as the model order within a layer. Inputs are sorted, so the same graph gives the same
 * coordinates.
 */
export async function layoutGraph({ graph, containerType }: LayoutInput): Promise<Graph> {
  const containers = graph.nodes.filter((n) => n.node_type === 'SubnetNode');
  const cardsOf = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) {
    if (n.node_type !== 'InterfaceNode') continue;
    cardsOf.set(n.subnet_id!, [...(cardsOf.get(n.subnet_id!) ?? []), n]);
  }
  for (const c of containers) {
    const { w, h, infra } = placeCards(cardsOf.get(c.id) ?? []);
    c.size = { x: snap(w + GRID / 2), y: snap(h + GRID / 2) };
    c.infra_width = infra;
  }
  const order = (n: GraphNode) => subnetLayer(containerType(n.id));
  const sorted = [...containers].sort((a, b) => {
    const [la, ha] = order(a);
    const [lb, hb] = order(b);
    return la - lb || ha - hb || String(a.header).localeCompare(String(b.header)) || a.id.localeCompare(b.id);
  });
  const parent = new Map(graph.nodes.filter((n) => n.subnet_id).map((n) => [n.id, n.subnet_id!]));
  const containerById = new Map(containers.map((c) => [c.id, c]));
  const lifted = new Map<string, { s: string; t: string }>();
  for (const e of graph.edges) {
    const s = containerById.has(e.source) ? e.source : parent.get(e.source);
    const t = containerById.has(e.target) ? e.target : parent.get(e.target);
    if (!s || !t || s === t) continue;
    const ls = order(containerById.get(s)!)[0];
    const lt = order(containerById.get(t)!)[0];
    // An edge inside one §2.2 layer would push its target a row down; without it both share the row (the builder
    // draws such edges side to side, Right→Left).
    if (ls === lt) continue;
    const [a, b] = ls < lt ? [s, t] : [t, s];
    lifted.set(`${a}>${b}`, { s: a, t: b });
  }
  const layers = [...new Set(sorted.map((c) => order(c)[0]))].sort((a, b) => a - b);
  const root: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.partitioning.activate': 'true',
      'elk.spacing.nodeNode': String(SUBNET_PAD),
      'elk.layered.spacing.nodeNodeBetweenLayers': String(SUBNET_PAD),
      'elk.layered.crossingMinimization.strategy': 'LAYER_SWEEP',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
      'elk.randomSeed': '1',
      'elk.separateConnectedComponents': 'false',
    },
    children: sorted.map((c) => ({
      id: c.id,
      width: c.size.x,
      height: c.size.y,
      layoutOptions: { 'elk.partitioning.partition': String(layers.indexOf(order(c)[0])) },
    })),
    edges: [...lifted.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, { s, t }]) => ({ id, sources: [s], targets: [t] })),
  };
  const elk = newElk();
  const out = await elk.layout(root);
  const pos = new Map((out.children ?? []).map((c) => [c.id, { x: snap(c.x ?? 0), y: snap(c.y ?? 0) }]));
  for (const c of containers) c.position = pos.get(c.id) ?? { x: 0, y: 0 };
  wrapWideLayers(containers, (c) => order(c)[0]);
  return graph;
}

/**
 * ELK puts the containers of one §2.2 layer side by side: thirty LAN subnets make one row some 80,000 px wide, which
 * no screen can fit ("zoom to fit" stops at its minimum zoom). A layer whose row is more than twice as wide as a 16:9
 * frame around the whole diagram would be is wrapped into rows of that frame's width, in ELK's order, and the layers
 * below move down by what the wrapping added. Narrower layers keep ELK's placement. Deterministic like the rest.
 */
function wrapWideLayers(containers: GraphNode[], layerOf: (c: GraphNode) => number): void {
  if (containers.length < 2) return;
  const area = containers.reduce((a, c) => a + (c.size.x + SUBNET_PAD) * (c.size.y + SUBNET_PAD), 0);
  const widest = Math.max(...containers.map((c) => c.size.x));
  const frame = Math.max(widest, Math.sqrt((area * 16) / 9));
  const layers = new Map<number, GraphNode[]>();
  for (const c of containers) layers.set(layerOf(c), [...(layers.get(layerOf(c)) ?? []), c]);
  const bands = [...layers.values()]
    .map((members) => ({
      members: members.sort((a, b) => a.position.x - b.position.x || a.id.localeCompare(b.id)),
      top: Math.min(...members.map((c) => c.position.y)),
      bottom: Math.max(...members.map((c) => c.position.y + c.size.y)),
      left: Math.min(...members.map((c) => c.position.x)),
      right: Math.max(...members.map((c) => c.position.x + c.size.x)),
    }))
    .sort((a, b) => a.top - b.top);
  let shift = 0;
  for (const band of bands) {
    if (band.right - band.left <= 2 * frame) {
      for (const c of band.members) c.position = { x: c.position.x, y: c.position.y + shift };
      continue;
    }
    let x = band.left;
    let y = band.top + shift;
    let rowHeight = 0;
    for (const c of band.members) {
      if (x > band.left && x + c.size.x > band.left + frame) {
        x = band.left;
        y += rowHeight + SUBNET_PAD;
        rowHeight = 0;
      }
      c.position = { x: snap(x), y: snap(y) };
      x += c.size.x + SUBNET_PAD;
      rowHeight = Math.max(rowHeight, c.size.y);
    }
    shift += snap(y + rowHeight - (band.top + shift) - (band.bottom - band.top));
  }
}

/** Applies stored user placements over a computed graph (unknown ids are ignored: their node is gone). */
export function applyOverrides(graph: Graph, o: Overrides): Graph {
  for (const n of graph.nodes) {
    const ov = o.nodes?.[n.id];
    if (ov?.position) n.position = { ...ov.position };
    if (ov?.size) n.size = { ...ov.size };
  }
  for (const e of graph.edges) {
    const ov = o.edges?.[e.id];
    if (ov) Object.assign(e, { source_handle: ov.source_handle, target_handle: ov.target_handle });
  }
  return graph;
}
