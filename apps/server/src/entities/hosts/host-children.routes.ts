import { Type, type TSchema } from 'typebox';
import {
  Binding,
  CreateBindingRequest,
  CreateInterfaceRequest,
  CreatePortRequest,
  CreateServiceRequest,
  Interface,
  Port,
  Service,
  ServiceCategory,
  UpdateBindingRequest,
  UpdateInterfaceRequest,
  UpdatePortRequest,
  UpdateServiceRequest,
} from '@scanopy/contracts';
import { principal, type EntityResource } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { IdParams, ItemResponse, Search, Uuid, UuidArray } from '../../http/schemas.ts';
import type { Services } from '../../services.ts';

const childAccess = { read: 'viewer', write: 'member' } as const;

export const interfaceResource: EntityResource = {
  name: 'Interface',
  path: 'interfaces',
  filterSchema: { network_id: Uuid, host_id: Uuid, subnet_id: Uuid, ids: UuidArray },
  csvFile: 'Interfaces',
  schema: Interface,
  access: childAccess,
};
export const portResource: EntityResource = {
  name: 'Port',
  path: 'ports',
  filterSchema: { network_id: Uuid, host_id: Uuid, ids: UuidArray },
  csvFile: 'Ports',
  schema: Port,
  access: childAccess,
};
export const serviceResource: EntityResource = {
  name: 'Service',
  path: 'services',
  filterSchema: {
    network_id: Uuid,
    host_id: Uuid,
    ids: UuidArray,
    tag_ids: UuidArray,
    // The definition's catalog category (repeat for several); not a reference filter.
    category: Type.Array(ServiceCategory, { maxItems: 100 }),
    search: Search,
  },
  csvFile: 'Services',
  schema: Service,
  access: childAccess,
};
export const bindingResource: EntityResource = {
  name: 'Binding',
  path: 'bindings',
  filterSchema: {
    network_id: Uuid,
    service_id: Uuid,
    port_id: Uuid,
    interface_id: Uuid,
    // v0.17 name of interface_id.
    ip_address_id: Uuid,
    ids: UuidArray,
  },
  csvFile: 'Bindings',
  schema: Binding,
  access: childAccess,
};

const write = <B extends TSchema>(operationId: string, tag: string, body: B, item: TSchema) => ({
  config: { access: 'member' as const },
  schema: { operationId, tags: [tag], body, response: { 200: ItemResponse(item) } },
});
const update = <B extends TSchema>(operationId: string, tag: string, body: B, item: TSchema) => ({
  config: { access: 'member' as const },
  schema: { operationId, tags: [tag], params: IdParams, body, response: { 200: ItemResponse(item) } },
});

/** Single-child writes of a host: interfaces, ports, services and bindings. */
export async function hostChildRoutes(app: RouteApp, { hostChildren: children }: Services) {
  app.post(
    '/interfaces',
    write('create_interface', 'interfaces', CreateInterfaceRequest, Interface),
    async (req) => ok(await children.createInterface(principal(req), req.body)),
  );
  app.put(
    '/interfaces/:id',
    update('update_interface', 'interfaces', UpdateInterfaceRequest, Interface),
    async (req) => ok(await children.updateInterface(principal(req), req.params.id, req.body)),
  );
  app.post('/ports', write('create_port', 'ports', CreatePortRequest, Port), async (req) =>
    ok(await children.createPort(principal(req), req.body)),
  );
  app.put('/ports/:id', update('update_port', 'ports', UpdatePortRequest, Port), async (req) =>
    ok(await children.updatePort(principal(req), req.params.id, req.body)),
  );
  app.post('/services', write('create_service', 'services', CreateServiceRequest, Service), async (req) =>
    ok(await children.createService(principal(req), req.body)),
  );
  app.put('/services/:id', update('update_service', 'services', UpdateServiceRequest, Service), async (req) =>
    ok(await children.updateService(principal(req), req.params.id, req.body)),
  );
  app.post('/bindings', write('create_binding', 'bindings', CreateBindingRequest, Binding), async (req) =>
    ok(await children.createBinding(principal(req), req.body)),
  );
  app.put('/bindings/:id', update('update_binding', 'bindings', UpdateBindingRequest, Binding), async (req) =>
    ok(await children.updateBinding(principal(req), req.params.id, req.body)),
  );
}
