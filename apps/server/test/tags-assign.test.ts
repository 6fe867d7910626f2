import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, startTestServer, type TestServer } from './harness.ts';
import { buildOrg, call, data, type Actor, type Org } from './fixtures/world.ts';
import { sqlRows } from './sql.ts';

describe.each(backends)('tag assignment on %s', (backend) => {
  let s: TestServer;
  let A: Org;
  let B: Org;
  let owner: Actor;
  beforeAll(async () => {
    s = await startTestServer(backend);
    A = await buildOrg(s.app, s.db, 'A', { staff: true });
    B = await buildOrg(s.app, s.db, 'B');
    owner = A.sessions.Owner!;
  });
  afterAll(async () => s?.close());

  const tagsOf = async (path: string) => (await data(call(s.app, owner, 'GET', path))).tags as string[];

  it('replaces the tag set of an entity', async () => {
    const host = await A.seed.host();
    const [t1, t2] = [await A.seed.tag(), await A.seed.tag()];
    const body = { entity_id: host, entity_type: 'Host', tag_ids: [t1, t2, t1] };
    await data(call(s.app, A.sessions.Member!, 'PUT', '/api/v1/tags/assign', body));
    expect(await tagsOf(`/api/v1/hosts/${host}`)).toEqual([t1, t2].sort());
    await data(call(s.app, owner, 'PUT', '/api/v1/tags/assign', { ...body, tag_ids: [t2] }));
    expect(await tagsOf(`/api/v1/hosts/${host}`)).toEqual([t2]);

    const group = await A.seed.group();
    await data(
      call(s.app, owner, 'PUT', '/api/v1/tags/assign', {
        entity_id: group,
        entity_type: 'Group',
        tag_ids: [t1],
      }),
    );
    expect(await tagsOf(`/api/v1/groups/${group}`)).toEqual([t1]);
    await data(
      call(s.app, owner, 'PUT', '/api/v1/tags/assign', {
        entity_id: A.networkId,
        entity_type: 'Network',
        tag_ids: [t1],
      }),
    );
    expect(await tagsOf(`/api/v1/networks/${A.networkId}`)).toEqual([t1]);
  });

  it('adds and removes one tag on many entities, counting only real changes', async () => {
    const hosts = [await A.seed.host(), await A.seed.host()];
    const tag = await A.seed.tag();
    const body = { entity_ids: hosts, entity_type: 'Host', tag_id: tag };
    expect(await data(call(s.app, owner, 'POST', '/api/v1/tags/assign/bulk-add', body))).toEqual({
      affected_count: 2,
    });
    expect(await data(call(s.app, owner, 'POST', '/api/v1/tags/assign/bulk-add', body))).toEqual({
      affected_count: 0,
    });
    for (const h of hosts) expect(await tagsOf(`/api/v1/hosts/${h}`)).toEqual([tag]);
    const one = { ...body, entity_ids: [hosts[0]] };
    expect(await data(call(s.app, owner, 'POST', '/api/v1/tags/assign/bulk-remove', one))).toEqual({
      affected_count: 1,
    });
    expect(await tagsOf(`/api/v1/hosts/${hosts[0]}`)).toEqual([]);
    expect(await tagsOf(`/api/v1/hosts/${hosts[1]}`)).toEqual([tag]);
  });

  it("refuses entities the caller cannot see (404), other orgs' tags, unknown types and Viewers", async () => {
    const host = await A.seed.host();
    const bHost = await B.seed.host();
    const tag = await A.seed.tag();
    const bTag = await B.seed.tag();
    const put = (actor: Actor, b: unknown) => call(s.app, actor, 'PUT', '/api/v1/tags/assign', b);
    expect((await put(owner, { entity_id: bHost, entity_type: 'Host', tag_ids: [tag] })).statusCode).toBe(
      404,
    );
    // The id exists, but as a Host, not as a Service.
    expect((await put(owner, { entity_id: host, entity_type: 'Service', tag_ids: [] })).statusCode).toBe(404);
    expect((await put(owner, { entity_id: host, entity_type: 'Host', tag_ids: [bTag] })).statusCode).toBe(
      400,
    );
    expect((await put(owner, { entity_id: host, entity_type: 'Spaceship', tag_ids: [] })).statusCode).toBe(
      400,
    );
    expect(
      (await put(A.sessions.Viewer!, { entity_id: host, entity_type: 'Host', tag_ids: [tag] })).statusCode,
    ).toBe(403);
    const bulk = (b: unknown) => call(s.app, owner, 'POST', '/api/v1/tags/assign/bulk-add', b);
    expect((await bulk({ entity_ids: [host, bHost], entity_type: 'Host', tag_id: tag })).statusCode).toBe(
      404,
    );
    expect((await bulk({ entity_ids: [host], entity_type: 'Host', tag_id: bTag })).statusCode).toBe(404);
    expect((await bulk({ entity_ids: [], entity_type: 'Host', tag_id: tag })).statusCode).toBe(400);
    const [n] = await sqlRows(
      s.db,
      'SELECT count(*)::int AS n FROM entity_tags WHERE entity_id = ANY($1::uuid[])',
      [[host, bHost]],
    );
    expect(n).toEqual({ n: 0 });
  });
});
