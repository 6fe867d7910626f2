import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { backends, registerOwner, startTestServer, type TestServer } from './harness.ts';
import { listenLocal, SseClient } from './events-sse.helpers.ts';

const wait = { timeout: 10_000, interval: 10 };

describe.each(backends)('tag changes on the web UI event stream on %s', (backend) => {
  let s: TestServer;
  let base: string;

  beforeAll(async () => {
    s = await startTestServer(backend, { sseKeepAliveSeconds: 1 });
    base = await listenLocal(s.app);
  });
  afterAll(async () => s?.close());

  it("streams a tag's create, update and delete and its assignment to the organization's members only", async () => {
    const a = await registerOwner(s.app);
    const b = await registerOwner(s.app);
    const open = (path: string, cookie: string | undefined) =>
      SseClient.open(base, path, { cookie: `session_id=${cookie ?? ''}` });
    const streamA = await open('/api/v1/events/stream', a.client.cookie);
    const streamB = await open('/api/v1/events/stream', b.client.cookie);
    const topologyA = await open('/api/v1/topology/stream', a.client.cookie);

    const tag = await a.client.json('POST', '/api/v1/tags', { name: 'prod', color: 'Red' });
    await a.client.json('PUT', `/api/v1/tags/${tag.id}`, { name: 'production', color: 'Red' });
    const host = await a.client.json('POST', '/api/v1/hosts', {
      name: 'nas',
      network_id: a.networkId,
      tags: [],
    });
    await a.client.json('POST', '/api/v1/tags/assign/bulk-add', {
      entity_type: 'Host',
      entity_ids: [host.id],
      tag_id: tag.id,
    });
    await a.client.json('DELETE', `/api/v1/tags/${tag.id}`);
    // B's own write after all of A's: once B sees it, anything of A's would have arrived before.
    const other = await b.client.json('POST', '/api/v1/tags', { name: 'other', color: 'Blue' });

    const tagMessage = (id: string, operation: string) => ({
      type: 'stale',
      network_id: null,
      entity: 'Tag',
      operation,
      ids: [id],
    });
    await vi.waitFor(() => expect(streamA.messages).toContainEqual(tagMessage(tag.id, 'deleted')), wait);
    expect(streamA.messages).toContainEqual(tagMessage(tag.id, 'created'));
    expect(streamA.messages).toContainEqual(tagMessage(tag.id, 'updated'));
    // Assigning (and the delete removing the assignment) is an update of the host, on its network.
    expect(
      streamA.messages.filter(
        (m: { entity: string; ids: string[] }) => m.entity === 'Host' && m.ids.includes(host.id),
      ),
    ).toContainEqual({
      type: 'stale',
      network_id: a.networkId,
      entity: 'Host',
      operation: 'updated',
      ids: [host.id],
    });

    await vi.waitFor(() => expect(streamB.messages).toContainEqual(tagMessage(other.id, 'created')), wait);
    expect(streamB.messages).toEqual([tagMessage(other.id, 'created')]);
    expect(streamA.messages).not.toContainEqual(tagMessage(other.id, 'created'));
    // The topology stream stays per network: rows on no network never reach it.
    expect(topologyA.messages.some((m: { network_id: string | null }) => m.network_id === null)).toBe(false);

    for (const st of [streamA, streamB, topologyA]) st.close();
  });
});
