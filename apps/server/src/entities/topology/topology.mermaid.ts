import type { Graph } from './topology.builder.ts';

/** Mermaid node ids: letters, digits and underscores only. */
const mid = (id: string) => `n_${id.replace(/[^A-Za-z0-9]/g, '')}`;
/** Labels go in double quotes; Mermaid has no escape for a quote inside one, so it becomes #quot;. */
const label = (s: string) => `"${s.replace(/"/g, '#quot;').replace(/[\r\n]+/g, ' ')}"`;

/**
 * A Mermaid flowchart of a topology graph: one subgraph per container, one node per card, one link per edge
 * (dashed for host and virtualization edges, arrows for request paths). Titles come from `names`.
 */
export function toMermaid(graph: Graph, names: (nodeId: string) => string): string {
  const lines = ['flowchart TB'];
  const containers = graph.nodes.filter((n) => n.node_type === 'SubnetNode');
  for (const c of containers) {
    lines.push(`  subgraph ${mid(c.id)}[${label(c.header ?? names(c.id))}]`);
    for (const n of graph.nodes.filter((x) => x.subnet_id === c.id && x.node_type === 'InterfaceNode')) {
      lines.push(`    ${mid(n.id)}[${label(names(n.id))}]`);
    }
    lines.push('  end');
  }
  for (const e of graph.edges) {
    const arrow = e.edge_type === 'RequestPath' || e.edge_type === 'HubAndSpoke' ? '-->' : '-.-';
    const text = e.label ? `|${label(e.label)}|` : '';
    lines.push(`  ${mid(e.source)} ${arrow}${text} ${mid(e.target)}`);
  }
  return lines.join('\n') + '\n';
}
