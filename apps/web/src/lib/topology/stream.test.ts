import { describe, expect, it } from 'vitest';
import { fixtureTopology } from './fixture.test-data.ts';
import { effectOf, parseTopologyMessage, withSummary, type TopologyMessage } from './stream.ts';

const t = { ...fixtureTopology(), last_refreshed: '2026-12-06T02:00:00.000Z' };
const msg = (action: TopologyMessage['action'], topology: Record<string, unknown> = {}): TopologyMessage => ({
  type: 'topology',
  network_id: t.network_id,
  id: t.id,
  operation: action === 'created' || action === 'deleted' ? action : 'updated',
  action,
  changed_fields: [],
  topology: { id: t.id, network_id: t.network_id, ...topology },
});

describe('topology stream messages', () => {
  it('parses topology messages only', () => {
    expect(parseTopologyMessage(JSON.stringify(msg('locked')))).toMatchObject({ action: 'locked' });
    expect(
      parseTopologyMessage(
        JSON.stringify({ type: 'stale', network_id: t.network_id, entity: 'Host', ids: [] }),
      ),
    ).toBeNull();
    expect(parseTopologyMessage('not json')).toBeNull();
  });

  it('lays a lock, staleness or rename over the topology without touching its graph', () => {
    expect(effectOf(t, msg('locked'))).toBe('patch');
    expect(effectOf(t, msg('stale'))).toBe('patch');
    expect(effectOf(t, msg('updated'))).toBe('patch');
    const locked = withSummary(t, {
      id: t.id,
      network_id: t.network_id,
      is_locked: true,
      locked_at: '2026-12-06T02:10:00.000Z',
      name: 'Renamed',
    });
    expect(locked).toMatchObject({ is_locked: true, name: 'Renamed' });
    expect(locked.nodes).toBe(t.nodes);
  });

  it('refetches after a rebuild or refresh it has not seen, a full save or an arrangement elsewhere', () => {
    expect(effectOf(t, msg('rebuilt', { last_refreshed: '2026-12-06T02:05:00.000Z' }))).toBe('reload');
    expect(effectOf(t, msg('refreshed', { last_refreshed: '2026-12-06T02:05:00.000Z' }))).toBe('reload');
    // The editor read the topology after this very rebuild already.
    expect(effectOf(t, msg('rebuilt', { last_refreshed: t.last_refreshed }))).toBe('patch');
    expect(effectOf(t, msg('saved'))).toBe('reload');
    expect(effectOf(t, msg('arranged'))).toBe('reload');
    expect(effectOf(t, msg('deleted'))).toBe('gone');
    expect(effectOf(t, { ...msg('locked'), id: 'another' })).toBe('none');
  });
});
