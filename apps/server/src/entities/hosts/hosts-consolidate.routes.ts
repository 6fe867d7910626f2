import { ConsolidateHostsParams, HostResponse } from '@scanopy/contracts';
import { principal } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { ItemResponse } from '../../http/schemas.ts';
import type { Services } from '../../services.ts';

export async function hostConsolidateRoutes(app: RouteApp, { hosts }: Services) {
  app.put(
    '/hosts/:destination_host/consolidate/:other_host',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'consolidate_hosts',
        tags: ['hosts'],
        params: ConsolidateHostsParams,
        response: { 200: ItemResponse(HostResponse) },
      },
    },
    async (req) =>
      ok(await hosts.consolidate(principal(req), req.params.destination_host, req.params.other_host)),
  );
}
