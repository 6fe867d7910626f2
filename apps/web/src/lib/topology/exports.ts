import { EDGE_LOOKS, subnetTitle, type TopologyIndex } from './model.ts';
import type { EdgeType, Topology, TopologyNode } from './types.ts';

/** Text exports are built from the diagram as it is drawn now (positions after edits, hidden edge types left out). */
export interface TextExportInput {
  topology: Topology;
  index: TopologyIndex;
  hiddenEdgeTypes: readonly EdgeType[];
}

function cardLines(n: Extract<TopologyNode, { node_type: 'InterfaceNode' }>, index: TopologyIndex): string[] {
  const host = index.hosts.get(n.host_id);
  const iface = n.interface_id ? index.interfaces.get(n.interface_id) : undefined;
  return [n.header ?? host?.name ?? 'Unknown host', ...(iface ? [iface.ip_address] : [])];
}

function visibleEdges({ topology, hiddenEdgeTypes }: TextExportInput) {
  const ids = new Set(topology.nodes.map((n) => n.id));
  return topology.edges.filter(
    (e) => !hiddenEdgeTypes.includes(e.edge_type) && ids.has(e.source) && ids.has(e.target),
  );
}

/** Mermaid labels are quoted; quotes and markup characters become entity codes Mermaid understands. */
function mermaidText(s: string): string {
  return s
    .replace(/&/g, '#amp;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/\|/g, '#124;')
    .replace(/[\r\n]+/g, ' ');
}

const MERMAID_LINKS: Record<EdgeType, string> = {
  Interface: '---',
  PhysicalLink: '---',
  HostVirtualization: '-.->',
  ServiceVirtualization: '-.->',
  RequestPath: '-->',
  HubAndSpoke: '-->',
};

/**
 * A top-down Mermaid flowchart: one subgraph per subnet ("name - cidr"), one node per card ("host<br/>IP"), and the
 * link style by edge type (directed for request paths, dotted for virtualisation, plain for the rest).
 */
export function toMermaid(input: TextExportInput): string {
  const { topology, index } = input;
  const alias = new Map<string, string>();
  const idOf = (id: string, prefix: string) => {
    let a = alias.get(id);
    if (!a) {
      a = `${prefix}${alias.size + 1}`;
      alias.set(id, a);
    }
    return a;
  };
  const lines = ['flowchart TD'];
  const cardsBySubnet = new Map<string, Extract<TopologyNode, { node_type: 'InterfaceNode' }>[]>();
  for (const n of topology.nodes) {
    if (n.node_type !== 'InterfaceNode') continue;
    const list = cardsBySubnet.get(n.subnet_id) ?? [];
    list.push(n);
    cardsBySubnet.set(n.subnet_id, list);
  }
  for (const s of topology.nodes) {
    if (s.node_type !== 'SubnetNode') continue;
    const subnet = index.subnets.get(s.id);
    const title = subnet ? `${subnet.name} - ${subnet.cidr}` : (s.header ?? 'Subnet');
    lines.push(`  subgraph ${idOf(s.id, 's')}["${mermaidText(title)}"]`);
    for (const c of cardsBySubnet.get(s.id) ?? []) {
      lines.push(`    ${idOf(c.id, 'n')}["${cardLines(c, index).map(mermaidText).join('<br/>')}"]`);
    }
    lines.push('  end');
  }
  for (const e of visibleEdges(input)) {
    const link = MERMAID_LINKS[e.edge_type] ?? '---';
    const label = e.label ? `|"${mermaidText(e.label)}"|` : '';
    lines.push(`  ${idOf(e.source, 'n')} ${link}${label} ${idOf(e.target, 'n')}`);
  }
  return `${lines.join('\n')}\n`;
}

function xmlAttr(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\n/g, '&#10;');
}

function htmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const DRAWIO_EDGE: Record<string, string> = {
  Straight: 'edgeStyle=none;',
  SmoothStep: 'edgeStyle=orthogonalEdgeStyle;rounded=1;',
  Step: 'edgeStyle=orthogonalEdgeStyle;rounded=0;',
  Bezier: 'curved=1;',
  SimpleBezier: 'curved=1;',
};

/**
 * A draw.io (diagrams.net) file: an mxGraph model with one container cell per subnet, one vertex per card inside it
 * (geometry relative to the subnet, as in the diagram), and one edge cell per drawn edge.
 */
export function toDrawio(input: TextExportInput): string {
  const { topology, index } = input;
  const cells: string[] = ['<mxCell id="0"/>', '<mxCell id="1" parent="0"/>'];
  const geometry = (n: TopologyNode) =>
    `<mxGeometry x="${n.position.x}" y="${n.position.y}" width="${n.size.x}" height="${n.size.y}" as="geometry"/>`;
  for (const n of topology.nodes) {
    if (n.node_type !== 'SubnetNode') continue;
    const title = n.header ?? subnetTitle(index.subnets.get(n.id), 'Subnet');
    cells.push(
      `<mxCell id="${n.id}" value="${xmlAttr(title)}" style="swimlane;startSize=28;rounded=1;fillColor=#f1f5f9;strokeColor=#94a3b8;fontStyle=1;" vertex="1" parent="1">${geometry(n)}</mxCell>`,
    );
  }
  for (const n of topology.nodes) {
    if (n.node_type !== 'InterfaceNode') continue;
    const host = index.hosts.get(n.host_id);
    const services = index.servicesOn(n.host_id, n.interface_id).map((s) => s.name);
    const [title, ip] = cardLines(n, index);
    const html = [
      `<b>${htmlText(title ?? '')}</b>`,
      ...services.map(htmlText),
      ...(ip ? [htmlText(ip)] : []),
    ];
    cells.push(
      `<mxCell id="${n.id}" value="${xmlAttr(html.join('<br>'))}" tooltip="${xmlAttr(host?.name ?? '')}" style="rounded=1;whiteSpace=wrap;html=1;fillColor=#ffffff;strokeColor=#64748b;" vertex="1" parent="${n.subnet_id}">${geometry(n)}</mxCell>`,
    );
  }
  for (const e of visibleEdges(input)) {
    const look = EDGE_LOOKS[e.edge_type] ?? EDGE_LOOKS.Interface;
    const style = `${DRAWIO_EDGE[look.style] ?? ''}dashed=${look.dashed ? 1 : 0};endArrow=${look.arrow ? 'block' : 'none'};html=1;`;
    cells.push(
      `<mxCell id="${e.id}" value="${xmlAttr(e.label ?? '')}" style="${style}" edge="1" parent="1" source="${e.source}" target="${e.target}"><mxGeometry relative="1" as="geometry"/></mxCell>`,
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<mxfile host="Scanopy" type="device">`,
    `<diagram id="${topology.id}" name="${xmlAttr(topology.name)}">`,
    '<mxGraphModel grid="1" gridSize="25" page="0">',
    '<root>',
    ...cells,
    '</root>',
    '</mxGraphModel>',
    '</diagram>',
    '</mxfile>',
    '',
  ].join('\n');
}

/** `scanopy-<topology>-<yyyy-mm-dd>.<ext>`, safe as a file name. */
export function exportFileName(name: string, ext: string, now = new Date()): string {
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'topology';
  return `scanopy-${slug}-${now.toISOString().slice(0, 10)}.${ext}`;
}

/** Margin around the diagram in image exports, in diagram pixels. */
export const IMAGE_MARGIN = 50;
/** The largest side of an exported image before the diagram is scaled down to fit. */
export const IMAGE_MAX_SIDE = 8000;

/** Pixel size of an image export of a diagram whose nodes span `bounds`, and the zoom that fits it. */
export function imageFrame(bounds: { x: number; y: number; width: number; height: number }) {
  const full = { width: bounds.width + 2 * IMAGE_MARGIN, height: bounds.height + 2 * IMAGE_MARGIN };
  const zoom = Math.min(1, IMAGE_MAX_SIDE / Math.max(full.width, full.height));
  const width = Math.max(1, Math.round(full.width * zoom));
  const height = Math.max(1, Math.round(full.height * zoom));
  return {
    width,
    height,
    zoom,
    x: Math.round((IMAGE_MARGIN - bounds.x) * zoom),
    y: Math.round((IMAGE_MARGIN - bounds.y) * zoom),
  };
}

/** Saves a text or data-URL payload as a download in the browser. */
export function download(fileName: string, payload: string, type?: string) {
  const url = type ? URL.createObjectURL(new Blob([payload], { type })) : payload;
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  if (type) setTimeout(() => URL.revokeObjectURL(url), 1000);
}
