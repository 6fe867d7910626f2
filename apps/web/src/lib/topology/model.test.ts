import { describe, expect, it } from 'vitest';
import { toDrawio, toMermaid, imageFrame, exportFileName, IMAGE_MARGIN } from './exports.ts';
import { GW, GW_DMZ, GW_LAN, LAN, NAS, NAS_LAN, WEB, WEB_DMZ, fixtureTopology } from './fixture.test-data.ts';
import type { Topology } from './types.ts';
import {
  indexTopology,
  searchHosts,
  tagFilterOf,
  toFlow,
  UNKNOWN_SERVICE,
  type InterfaceData,
  type SubnetData,
} from './model.ts';

const catalog = (def: string) =>
  def === 'Samba' ? { category: 'Storage', color: 'Green' as const } : UNKNOWN_SERVICE;
const view = {
  hiddenEdgeTypes: ['HostVirtualization' as const],
  leftZoneTitle: 'Infra',
  hidePorts: false,
  highlight: null,
};

describe('toFlow', () => {
  const t = fixtureTopology();
  const index = indexTopology(t);

  it('puts subnets before their cards, children relative to and confined in their subnet', () => {
    const { nodes } = toFlow(t, index, catalog, view);
    expect(nodes.map((n) => n.type)).toEqual([
      'subnet',
      'subnet',
      'interface',
      'interface',
      'interface',
      'interface',
    ]);
    const nas = nodes.find((n) => n.id === NAS_LAN)!;
    expect(nas).toMatchObject({ parentId: LAN, extent: 'parent', position: { x: 350, y: 50 }, width: 250 });
    expect(nodes.find((n) => n.id === LAN)!.data).toMatchObject({
      title: 'LAN (10.0.0.0/24)',
      leftZoneTitle: 'Infra',
    });
  });

  it('lists the services bound to each interface, with "all interfaces" bindings on every card of the host', () => {
    const { nodes } = toFlow(t, index, catalog, view);
    const services = (id: string) =>
      (nodes.find((n) => n.id === id)!.data as InterfaceData).services.map((s) => s.name);
    expect(services(GW_LAN)).toEqual(['Gateway', 'SSH']);
    expect(services(GW_DMZ)).toEqual(['SSH']);
    const nas = nodes.find((n) => n.id === NAS_LAN)!.data as InterfaceData;
    expect(nas).toMatchObject({ hostName: 'nas', footer: 'eth0: 10.0.0.20' });
    expect(nas.services[0]).toMatchObject({ name: 'Samba', category: 'Storage', ports: ['445/tcp'] });
  });

  it('styles edges per type and hides the hidden types', () => {
    const { edges } = toFlow(t, index, catalog, view);
    const byType = Object.fromEntries(edges.map((e) => [e.data.edgeType, e]));
    expect(byType.Interface).toMatchObject({
      sourceHandle: 'Bottom',
      targetHandle: 'Top',
      hidden: false,
      data: { dashed: true },
    });
    expect(byType.RequestPath.markerEnd).toMatchObject({ type: 'arrowclosed' });
    expect(byType.HostVirtualization.hidden).toBe(true);
  });

  it('gives each card its handles from its size, so the canvas need not mount it to find where edges end', () => {
    const { nodes } = toFlow(t, index, catalog, view);
    const nas = nodes.find((n) => n.id === NAS_LAN)!;
    const { width: w, height: h } = nas;
    expect(nas.handles).toEqual([
      { id: 'Top', type: 'source', position: 'top', x: w / 2 - 4, y: -4, width: 8, height: 8 },
      { id: 'Right', type: 'source', position: 'right', x: w - 4, y: h / 2 - 4, width: 8, height: 8 },
      { id: 'Bottom', type: 'source', position: 'bottom', x: w / 2 - 4, y: h - 4, width: 8, height: 8 },
      { id: 'Left', type: 'source', position: 'left', x: -4, y: h / 2 - 4, width: 8, height: 8 },
    ]);
    // No edge ends at these subnets: no handles to measure either.
    expect(nodes.find((n) => n.id === LAN)!.handles).toEqual([]);
  });

  it('search highlights the matching host and fades the others', () => {
    expect(searchHosts(t, '')).toBeNull();
    expect([...searchHosts(t, '10.1.0.10')!]).toEqual([WEB]);
    expect([...searchHosts(t, 'gate')!]).toEqual([GW]);
    const { nodes } = toFlow(t, index, catalog, { ...view, highlight: new Set([WEB]) });
    const data = (id: string) => nodes.find((n) => n.id === id)!.data as InterfaceData;
    expect(data(WEB_DMZ)).toMatchObject({ highlighted: true, faded: false });
    expect(data(GW_LAN)).toMatchObject({ highlighted: false, faded: true });
  });
});

describe('tag filter (§1.4 local options)', () => {
  it('fades tagged hosts and subnets with their edges, and drops tagged services from the cards', () => {
    const t = fixtureTopology();
    const tag = '00000000-0000-4000-8000-0000000000aa';
    const other = '00000000-0000-4000-8000-0000000000bb';
    (t.hosts.find((h) => h.id === WEB)! as { tags: string[] }).tags = [tag];
    (t.subnets.find((x) => x.id === LAN)! as { tags: string[] }).tags = [other];
    const samba = t.services.find((x) => x.name === 'Samba')! as { tags: string[] };
    samba.tags = [tag];
    const index = indexTopology(t);
    const none = toFlow(t, index, catalog, { ...view, tagFilter: tagFilterOf({}) });
    expect(none.nodes.every((n) => !(n.data as { faded: boolean }).faded)).toBe(true);
    expect(none.edges.every((e) => !e.data.faded)).toBe(true);

    const filter = tagFilterOf({
      tag_filter: {
        hidden_host_tag_ids: [tag],
        hidden_service_tag_ids: [tag],
        hidden_subnet_tag_ids: [other],
      },
    });
    const { nodes, edges } = toFlow(t, index, catalog, { ...view, tagFilter: filter });
    const data = (id: string) => nodes.find((n) => n.id === id)!.data;
    expect(data(WEB_DMZ)).toMatchObject({ faded: true, tagFaded: true });
    expect(data(GW_LAN)).toMatchObject({ faded: false });
    expect((data(LAN) as SubnetData).faded).toBe(true);
    expect((data(NAS_LAN) as InterfaceData).services.map((x) => x.name)).not.toContain('Samba');
    // An edge fades when either end is faded by the filter, and only then.
    const tagFaded = new Set(
      nodes.filter((n) => (n.data as { tagFaded: boolean }).tagFaded).map((n) => n.id),
    );
    expect([...tagFaded].sort()).toEqual([LAN, WEB_DMZ].sort());
    expect(edges.some((e) => e.data.faded)).toBe(true);
    for (const e of edges) expect(e.data.faded, e.id).toBe(tagFaded.has(e.source) || tagFaded.has(e.target));
  });
});

describe('text exports', () => {
  const t = fixtureTopology();
  const input = { topology: t, index: indexTopology(t), hiddenEdgeTypes: ['HostVirtualization' as const] };

  it('writes a Mermaid flowchart with one subgraph per subnet and escaped labels', () => {
    const m = toMermaid(input);
    expect(m.startsWith('flowchart TD\n')).toBe(true);
    expect(m).toContain('subgraph s1["LAN - 10.0.0.0/24"]');
    expect(m).toContain('["nas<br/>10.0.0.20"]');
    expect(m.match(/subgraph /g)).toHaveLength(2);
    expect(m).toContain('-->|"web #124; storage"|');
    // The hidden virtualisation edge is left out.
    expect(m.match(/ (---|-->|-\.->)/g)).toHaveLength(2);
  });

  it('writes a draw.io file with one cell per node and per drawn edge', () => {
    const x = toDrawio(input);
    expect(x.match(/vertex="1"/g)).toHaveLength(t.nodes.length);
    expect(x.match(/edge="1"/g)).toHaveLength(2);
    expect(x).toContain(`parent="${LAN}"`);
    expect(x).toContain('name="Home &quot;lab&quot; &lt;main&gt;"');
  });

  it('names files by topology and date, and frames images around the diagram', () => {
    expect(exportFileName('Home "lab" <main>', 'png', new Date('2026-12-05T10:00:00Z'))).toBe(
      'scanopy-home-lab-main-2026-12-05.png',
    );
    expect(imageFrame({ x: 0, y: 0, width: 650, height: 650 })).toMatchObject({
      width: 650 + 2 * IMAGE_MARGIN,
      height: 650 + 2 * IMAGE_MARGIN,
      zoom: 1,
    });
    expect(imageFrame({ x: 0, y: 0, width: 20000, height: 100 }).width).toBe(8000);
  });
});

describe('rebuildPreview', () => {
  it('lists inventory the diagram lacks and drawn hosts that are gone', async () => {
    const { rebuildPreview } = await import('./preview.ts');
    const t = fixtureTopology();
    expect(rebuildPreview(t).empty).toBe(true);
    const newHost = { ...t.hosts[1]!, id: '00000000-0000-4000-8000-000000000099', name: 'printer' };
    const printing = {
      ...t.services[2]!,
      id: '00000000-0000-4000-8000-000000000098',
      host_id: newHost.id,
      bindings: [{ ...t.services[2]!.bindings[0]!, interface_id: null }],
    };
    const changed = {
      ...t,
      hosts: [...t.hosts, newHost],
      services: [...t.services, printing],
      interfaces: [
        ...t.interfaces,
        { ...t.interfaces[1]!, id: '00000000-0000-4000-8000-000000000097', host_id: newHost.id },
      ],
      removed_hosts: [t.hosts[2]!.id],
    };
    expect(rebuildPreview(changed as unknown as Topology)).toMatchObject({
      addedHosts: ['printer'],
      removedHosts: ['web'],
      empty: false,
    });
  });
});

describe('toFlow in the Workloads and Applications views', () => {
  it('shows one service on a service element and every service of a VM on its element', () => {
    const t = fixtureTopology();
    const samba = t.services.find((s) => s.name === 'Samba')!;
    const box = { ...t.nodes[0]!, header: 'nas' };
    const element = (id: string, hostId: string) => ({
      id,
      node_type: 'InterfaceNode' as const,
      subnet_id: LAN,
      host_id: hostId,
      interface_id: null,
      is_infra: false,
      position: { x: 50, y: 50 },
      size: { x: 250, y: 100 },
      header: null,
    });
    const viewed: Topology = { ...t, nodes: [box, element(samba.id, NAS), element(GW, GW)], edges: [] };
    const { nodes } = toFlow(viewed, indexTopology(viewed), catalog, view);
    const data = (id: string) => nodes.find((n) => n.id === id)!.data as InterfaceData;
    expect(data(samba.id).services.map((s) => s.name)).toEqual(['Samba']);
    expect(data(samba.id).footer).toBe(data(samba.id).hostName);
    expect(data(GW).services.map((s) => s.name)).toEqual(['Gateway', 'SSH']);
  });
});
