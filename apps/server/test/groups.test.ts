import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, startTestServer, type TestServer } from './harness.ts';
import { Seeder } from './fixtures/seed.ts';
import { buildOrg, call, data, type Actor, type Org } from './fixtures/world.ts';
import { sqlRows } from './sql.ts';

describe.each(backends)('groups on %s', (backend) => {
  let s: TestServer;
  let A: Org;
  let B: Org;
  let owner: Actor;
  beforeAll(async () => {
    s = await startTestServer(backend);
    A = await buildOrg(s.app, s.db, 'A');
    B = await buildOrg(s.app, s.db, 'B');
    owner = A.sessions.Owner!;
  });
  afterAll(async () => s?.close());

  const body = (bindingIds: string[], extra: Record<string, unknown> = {}) => ({
    network_id: A.networkId,
    name: 'Web path',
    description: 'client to db',
    group_type: 'RequestPath',
    color: 'Blue',
    binding_ids: bindingIds,
    ...extra,
  });

  it('creates, reads, lists, updates and deletes a group with ordered bindings and tags', async () => {
    const [b1, b2, b3] = [await A.seed.binding(), await A.seed.binding(), await A.seed.binding()];
    const tag = await A.seed.tag();
    const g = await data(call(s.app, owner, 'POST', '/api/v1/groups', body([b2, b1], { tags: [tag] })));
    expect(g).toMatchObject({
      network_id: A.networkId,
      name: 'Web path',
      group_type: 'RequestPath',
      edge_style: 'SmoothStep',
      source: { type: 'Manual' },
      binding_ids: [b2, b1],
      tags: [tag],
    });
    expect(await data(call(s.app, owner, 'GET', `/api/v1/groups/${g.id}`))).toEqual(g);

    const updated = await data(
      call(
        s.app,
        owner,
        'PUT',
        `/api/v1/groups/${g.id}`,
        body([b3, b2], { group_type: 'HubAndSpoke', edge_style: 'Bezier', name: 'Hub' }),
      ),
    );
    expect(updated).toMatchObject({ name: 'Hub', group_type: 'HubAndSpoke', edge_style: 'Bezier' });
    expect(updated.binding_ids).toEqual([b3, b2]);
    expect(updated.tags).toEqual([]);

    // Deleting a binding removes it from every group.
    await data(call(s.app, owner, 'DELETE', `/api/v1/bindings/${b3}`));
    expect((await data(call(s.app, owner, 'GET', `/api/v1/groups/${g.id}`))).binding_ids).toEqual([b2]);

    const list = await data(
      call(s.app, owner, 'GET', `/api/v1/groups?network_id=${A.networkId}&order_by=name`),
    );
    expect(list.map((x: { id: string }) => x.id)).toContain(g.id);
    // The legacy alias is the same route.
    const legacy = await data(call(s.app, owner, 'GET', '/api/groups'));
    expect(legacy.map((x: { id: string }) => x.id)).toContain(g.id);

    await data(call(s.app, owner, 'DELETE', `/api/v1/groups/${g.id}`));
    expect((await call(s.app, owner, 'GET', `/api/v1/groups/${g.id}`)).statusCode).toBe(404);
    const [left] = await sqlRows(s.db, 'SELECT count(*)::int AS n FROM group_bindings WHERE group_id = $1', [
      g.id,
    ]);
    expect(left).toEqual({ n: 0 });
  });

  it('refuses bindings of another network and invalid fields with 400', async () => {
    const net2 = await A.seed.network();
    const foreign = await new Seeder(s.db, A.orgId, net2, A.owner.id).binding();
    const res = await call(s.app, owner, 'POST', '/api/v1/groups', body([foreign]));
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('entity_network_mismatch');
    const bad = await call(s.app, owner, 'POST', '/api/v1/groups', body([], { edge_style: 'Wavy' }));
    expect(bad.statusCode).toBe(400);
    const long = await call(s.app, owner, 'POST', '/api/v1/groups', body([], { name: 'x'.repeat(101) }));
    expect(long.statusCode).toBe(400);
    const g = await data(call(s.app, owner, 'POST', '/api/v1/groups', body([])));
    const moved = await call(s.app, owner, 'PUT', `/api/v1/groups/${g.id}`, body([], { network_id: net2 }));
    expect(moved.statusCode).toBe(400);
  });

  it("hides another org's groups (404) and refuses creating in its network", async () => {
    const g = await data(call(s.app, owner, 'POST', '/api/v1/groups', body([])));
    const other = B.sessions.Owner!;
    expect((await call(s.app, other, 'GET', `/api/v1/groups/${g.id}`)).statusCode).toBe(404);
    expect((await call(s.app, other, 'PUT', `/api/v1/groups/${g.id}`, body([]))).statusCode).toBe(404);
    expect((await call(s.app, other, 'DELETE', `/api/v1/groups/${g.id}`)).statusCode).toBe(404);
    expect((await call(s.app, other, 'POST', '/api/v1/groups', body([]))).statusCode).toBe(400);
    expect(await sqlRows(A.seed.db, 'SELECT 1 FROM groups WHERE id = $1', [g.id])).toHaveLength(1);
  });
});
