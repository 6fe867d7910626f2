import { describe, expect, it } from 'vitest';
import { ENTITY_QUERY_ROOTS, parseRealtimeMessage, throttleDisabled } from './events.ts';

const session = {
  session_id: 's1',
  daemon_id: 'd1',
  network_id: 'n1',
  phase: 'Scanning',
  progress: 40,
  error: null,
  started_at: null,
  finished_at: null,
  discovery_type: { type: 'SelfReport', host_id: 'h1' },
};

describe('parseRealtimeMessage', () => {
  it('reads staleness and session messages of the combined stream', () => {
    const stale = { type: 'stale', network_id: 'n1', entity: 'Host', operation: 'updated', ids: ['h1'] };
    expect(parseRealtimeMessage(JSON.stringify(stale))).toEqual(stale);
    expect(parseRealtimeMessage(JSON.stringify({ type: 'session', session }))).toEqual({
      type: 'session',
      session,
    });
  });

  it('ignores anything else', () => {
    for (const data of [
      '',
      'not json',
      '42',
      '{"type":"stale"}',
      '{"type":"session","session":{"phase":"Nope"}}',
    ]) {
      expect(parseRealtimeMessage(data)).toBeNull();
    }
  });
});

describe('ENTITY_QUERY_ROOTS', () => {
  it('refreshes the lists that embed an entity, not only its own', () => {
    expect(ENTITY_QUERY_ROOTS.Interface).toContain('hosts');
    expect(ENTITY_QUERY_ROOTS.Service).toEqual(expect.arrayContaining(['services', 'hosts']));
    expect(ENTITY_QUERY_ROOTS.Binding).toContain('groups');
  });
});

describe('throttleDisabled', () => {
  it('is on only for ?throttle=off', () => {
    expect(throttleDisabled('?throttle=off')).toBe(true);
    expect(throttleDisabled('?page=2&throttle=off')).toBe(true);
    expect(throttleDisabled('')).toBe(false);
    expect(throttleDisabled('?throttle=on')).toBe(false);
  });
});
