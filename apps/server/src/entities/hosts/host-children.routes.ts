import type { FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import {
  Binding,
  CreateBindingRequest,
  CreateInterfaceRequest,
  CreatePortRequest,
  CreateServiceRequest,
  Interface,
  Port,
  Service,
  UpdateBindingRequest,
  UpdateInterfaceRequest,
  UpdatePortRequest,
  UpdateServiceRequest,
} from '@scanopy/contracts';
import type { Db } from '../../db/client.ts';
import { assertNetwork, getVisible, principal } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import { AppError, badRequest } from '../../http/errors.ts';
import { IdParams, ItemResponse } from '../../http/schemas.ts';
import { bindingDef, interfaceDef, portDef, serviceDef } from './hosts.defs.ts';
import { portTypeOf } from './port-types.ts';
import {
  assertInterfaceFree,
  assertPortFree,
  checkInterface,
  freshId,
  loadRef,
  putBinding,
  renumberInterfaces,
  saveService,
  type HostRef,
} from './hosts.service.ts';

type ServiceRef = { id: string; host_id: string; network_id: string };

/**
 * A child never changes owner: moving an interface or port would strand the bindings of the old host's services,
 * so an update naming another parent (or network) is refused.
 */
function sameOwner(
  entity: string,
  cur: Record<string, unknown>,
  body: Record<string, unknown>,
  parent: string,
) {
  if (body.network_id !== cur.network_id) {
    throw new AppError('entity_network_mismatch', { detail: `A ${entity} cannot move to another network` });
  }
  if (body[parent] !== cur[parent])
    throw badRequest(`A ${entity} cannot move to another ${parent.replace('_id', '')}`);
}

export async function hostChildRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;
  const write = (operationId: string, tag: string, body: TSchema, item: TSchema, withId = false) => ({
    config: { access: 'member' as const },
    schema: {
      operationId,
      tags: [tag],
      ...(withId ? { params: IdParams } : {}),
      body,
      response: { 200: ItemResponse(item) },
    },
  });

  app.post(
    '/interfaces',
    write('create_interface', 'interfaces', CreateInterfaceRequest, Interface),
    async (req) => {
      const p = principal(req);
      const b = req.body as CreateInterfaceRequest;
      assertNetwork(p, b.network_id);
      const id = await db.transaction(async (tx) => {
        const host = await loadRef<HostRef>(tx, p, 'hosts', b.host_id, b.network_id, 'Host');
        const { mac } = await checkInterface(tx, p, host.network_id, b);
        await assertInterfaceFree(tx, host.id, b, null);
        const newId = await freshId(tx, 'interfaces', b.id);
        // New interfaces go last; an explicit position is honoured by moving the new row there.
        await tx.query(
          `INSERT INTO interfaces (id, host_id, subnet_id, network_id, ip_address, mac_address, name, position)
         VALUES ($1, $2, $3, $4, $5::inet, $6::macaddr, $7,
           (SELECT COALESCE(max(position) + 1, 0) FROM interfaces WHERE host_id = $2))`,
          [newId, host.id, b.subnet_id, host.network_id, b.ip_address, mac, b.name ?? null],
        );
        if (b.position !== undefined)
          await renumberInterfaces(tx, host.id, { id: newId, position: b.position });
        return newId;
      });
      return ok(await getVisible(db, interfaceDef, p, id));
    },
  );

  app.put(
    '/interfaces/:id',
    write('update_interface', 'interfaces', UpdateInterfaceRequest, Interface, true),
    async (req) => {
      const p = principal(req);
      const { id } = req.params as { id: string };
      const b = req.body as UpdateInterfaceRequest;
      await db.transaction(async (tx) => {
        const cur = await getVisible(tx, interfaceDef, p, id);
        sameOwner('interface', cur, b, 'host_id');
        const { mac } = await checkInterface(tx, p, b.network_id, b);
        await assertInterfaceFree(tx, b.host_id, b, id);
        // A MAC, once known, identifies the interface: it is never overwritten.
        await tx.query(
          `UPDATE interfaces SET subnet_id = $2, ip_address = $3::inet, mac_address = COALESCE(mac_address, $4::macaddr),
           name = $5, updated_at = now() WHERE id = $1`,
          [id, b.subnet_id, b.ip_address, mac, b.name ?? null],
        );
        if (b.position !== undefined && b.position !== cur.position) {
          await renumberInterfaces(tx, b.host_id, { id, position: b.position });
        }
      });
      return ok(await getVisible(db, interfaceDef, p, id));
    },
  );

  app.post('/ports', write('create_port', 'ports', CreatePortRequest, Port), async (req) => {
    const p = principal(req);
    const b = req.body as CreatePortRequest;
    assertNetwork(p, b.network_id);
    const id = await db.transaction(async (tx) => {
      const host = await loadRef<HostRef>(tx, p, 'hosts', b.host_id, b.network_id, 'Host');
      await assertPortFree(tx, host.id, b, null);
      const newId = await freshId(tx, 'ports', b.id);
      // The type always follows number and protocol, so a client cannot label port 8000 as "Ssh".
      await tx.query(
        'INSERT INTO ports (id, host_id, network_id, port_number, protocol, port_type) VALUES ($1, $2, $3, $4, $5, $6)',
        [newId, host.id, host.network_id, b.number, b.protocol, portTypeOf(b.number, b.protocol)],
      );
      return newId;
    });
    return ok(await getVisible(db, portDef, p, id));
  });

  app.put('/ports/:id', write('update_port', 'ports', UpdatePortRequest, Port, true), async (req) => {
    const p = principal(req);
    const { id } = req.params as { id: string };
    const b = req.body as UpdatePortRequest;
    await db.transaction(async (tx) => {
      sameOwner('port', await getVisible(tx, portDef, p, id), b, 'host_id');
      await assertPortFree(tx, b.host_id, b, id);
      await tx.query(
        'UPDATE ports SET port_number = $2, protocol = $3, port_type = $4, updated_at = now() WHERE id = $1',
        [id, b.number, b.protocol, portTypeOf(b.number, b.protocol)],
      );
    });
    return ok(await getVisible(db, portDef, p, id));
  });

  app.post('/services', write('create_service', 'services', CreateServiceRequest, Service), async (req) => {
    const p = principal(req);
    const b = req.body as CreateServiceRequest;
    assertNetwork(p, b.network_id);
    const id = await db.transaction(async (tx) => {
      const host = await loadRef<HostRef>(tx, p, 'hosts', b.host_id, b.network_id, 'Host');
      const newId = await freshId(tx, 'services');
      await saveService(tx, p, host, { ...b, id: newId, bindings: b.bindings ?? [] }, { exists: false });
      return newId;
    });
    return ok(await getVisible(db, serviceDef, p, id));
  });

  app.put(
    '/services/:id',
    write('update_service', 'services', UpdateServiceRequest, Service, true),
    async (req) => {
      const p = principal(req);
      const { id } = req.params as { id: string };
      const b = req.body as UpdateServiceRequest;
      await db.transaction(async (tx) => {
        sameOwner('service', await getVisible(tx, serviceDef, p, id), b, 'host_id');
        const host = { id: b.host_id, network_id: b.network_id };
        await saveService(tx, p, host, { ...b, id }, { exists: true, position: b.position });
      });
      return ok(await getVisible(db, serviceDef, p, id));
    },
  );

  app.post('/bindings', write('create_binding', 'bindings', CreateBindingRequest, Binding), async (req) => {
    const p = principal(req);
    const b = req.body as CreateBindingRequest;
    assertNetwork(p, b.network_id);
    const id = await db.transaction(async (tx) => {
      const svc = await loadRef<ServiceRef>(
        tx,
        p,
        'services',
        b.service_id,
        b.network_id,
        'Service',
        'id, host_id, network_id',
      );
      const newId = await freshId(tx, 'bindings', b.id);
      await putBinding(tx, svc, { ...b, id: newId });
      return newId;
    });
    return ok(await getVisible(db, bindingDef, p, id));
  });

  app.put(
    '/bindings/:id',
    write('update_binding', 'bindings', UpdateBindingRequest, Binding, true),
    async (req) => {
      const p = principal(req);
      const { id } = req.params as { id: string };
      const b = req.body as UpdateBindingRequest;
      await db.transaction(async (tx) => {
        sameOwner('binding', await getVisible(tx, bindingDef, p, id), b, 'service_id');
        const [svc] = await tx.query<ServiceRef>(
          'SELECT id, host_id, network_id FROM services WHERE id = $1',
          [b.service_id],
        );
        await putBinding(tx, svc, { ...b, id });
      });
      return ok(await getVisible(db, bindingDef, p, id));
    },
  );
}
