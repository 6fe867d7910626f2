import type {
  CreateBindingRequest,
  CreateInterfaceRequest,
  CreatePortRequest,
  CreateServiceRequest,
  UpdateBindingRequest,
  UpdateInterfaceRequest,
  UpdatePortRequest,
  UpdateServiceRequest,
} from '@scanopy/contracts';
import type { Principal } from '../../auth/principal.ts';
import type { Row } from '../../db/entity-repository.ts';
import { assertNetwork, type EntityService } from '../../http/crud.ts';
import { AppError, badRequest } from '../../http/errors.ts';
import type { HostWrites } from './host-writes.ts';
import { renumberInterfaces, type HostsRepository } from './hosts.repository.ts';

export interface HostChildEntities {
  interfaces: EntityService<'interfaces'>;
  ports: EntityService<'ports'>;
  services: EntityService<'services'>;
  bindings: EntityService<'bindings'>;
}

/**
 * A child never changes owner: moving an interface or port would strand the bindings of the old host's services,
 * so an update naming another parent (or network) is refused.
 */
function sameOwner(
  entity: string,
  cur: Row,
  body: { network_id: string } & Record<string, unknown>,
  parent: string,
) {
  if (body.network_id !== cur.network_id) {
    throw new AppError('entity_network_mismatch', { detail: `A ${entity} cannot move to another network` });
  }
  if (body[parent] !== cur[parent])
    throw badRequest(`A ${entity} cannot move to another ${parent.replace('_id', '')}`);
}

/** Single-child writes: POST and PUT of /interfaces, /ports, /services and /bindings. */
export class HostChildrenService {
  private readonly repo: HostsRepository;

  constructor(
    private readonly writes: HostWrites,
    private readonly entities: HostChildEntities,
  ) {
    this.repo = writes.repo;
  }

  private async host(
    trx: Parameters<HostWrites['reference']>[0],
    p: Principal,
    hostId: string,
    networkId: string,
  ) {
    const h = await this.writes.reference(trx, p, 'hosts', hostId, networkId, 'Host');
    return { id: h.id as string, network_id: h.network_id as string };
  }

  async createInterface(p: Principal, b: CreateInterfaceRequest) {
    assertNetwork(p, b.network_id);
    const id = await this.repo.transaction(async (trx) => {
      const host = await this.host(trx, p, b.host_id, b.network_id);
      const { mac } = await this.writes.checkInterface(trx, p, host.network_id, b);
      await this.writes.assertInterfaceFree(trx, host.id, b, null);
      const newId = await this.repo.freshId(trx, 'interfaces', b.id);
      // New interfaces go last; an explicit position is honoured by moving the new row there.
      const row = {
        subnet_id: b.subnet_id,
        ip_address: b.ip_address,
        mac_address: mac,
        name: b.name ?? null,
      };
      await this.repo.insertInterface(trx, newId, host, row, null);
      if (b.position !== undefined && b.position !== null) {
        await renumberInterfaces(trx, host.id, { id: newId, position: b.position });
      }
      return newId;
    });
    return this.entities.interfaces.get(p, id);
  }

  async updateInterface(p: Principal, id: string, b: UpdateInterfaceRequest) {
    await this.repo.transaction(async (trx) => {
      const cur = await this.entities.interfaces.get(p, id, trx);
      sameOwner('interface', cur, b, 'host_id');
      const { mac } = await this.writes.checkInterface(trx, p, b.network_id, b);
      await this.writes.assertInterfaceFree(trx, b.host_id, b, id);
      const row = {
        subnet_id: b.subnet_id,
        ip_address: b.ip_address,
        mac_address: mac,
        name: b.name ?? null,
      };
      await this.repo.updateInterface(trx, id, row);
      if (b.position !== undefined && b.position !== null && b.position !== cur.position) {
        await renumberInterfaces(trx, b.host_id, { id, position: b.position });
      }
    });
    return this.entities.interfaces.get(p, id);
  }

  async createPort(p: Principal, b: CreatePortRequest) {
    assertNetwork(p, b.network_id);
    const id = await this.repo.transaction(async (trx) => {
      const host = await this.host(trx, p, b.host_id, b.network_id);
      await this.writes.assertPortFree(trx, host.id, b, null);
      const newId = await this.repo.freshId(trx, 'ports', b.id);
      await this.repo.insertPort(trx, newId, host, b);
      return newId;
    });
    return this.entities.ports.get(p, id);
  }

  async updatePort(p: Principal, id: string, b: UpdatePortRequest) {
    await this.repo.transaction(async (trx) => {
      sameOwner('port', await this.entities.ports.get(p, id, trx), b, 'host_id');
      await this.writes.assertPortFree(trx, b.host_id, b, id);
      await this.repo.updatePort(trx, id, b);
    });
    return this.entities.ports.get(p, id);
  }

  async createService(p: Principal, b: CreateServiceRequest) {
    assertNetwork(p, b.network_id);
    const id = await this.repo.transaction(async (trx) => {
      const host = await this.host(trx, p, b.host_id, b.network_id);
      const newId = await this.repo.freshId(trx, 'services');
      await this.writes.saveService(
        trx,
        p,
        host,
        { ...b, id: newId, bindings: b.bindings ?? [] },
        { exists: false },
      );
      return newId;
    });
    return this.entities.services.get(p, id);
  }

  async updateService(p: Principal, id: string, b: UpdateServiceRequest) {
    await this.repo.transaction(async (trx) => {
      sameOwner('service', await this.entities.services.get(p, id, trx), b, 'host_id');
      const host = { id: b.host_id, network_id: b.network_id };
      await this.writes.saveService(
        trx,
        p,
        host,
        { ...b, id },
        { exists: true, position: b.position ?? undefined },
      );
    });
    return this.entities.services.get(p, id);
  }

  async createBinding(p: Principal, b: CreateBindingRequest) {
    assertNetwork(p, b.network_id);
    const id = await this.repo.transaction(async (trx) => {
      const svc = await this.writes.reference(trx, p, 'services', b.service_id, b.network_id, 'Service');
      const newId = await this.repo.freshId(trx, 'bindings', b.id);
      const owner = {
        id: svc.id as string,
        host_id: svc.host_id as string,
        network_id: svc.network_id as string,
      };
      await this.writes.putBinding(trx, owner, { ...b, id: newId });
      return newId;
    });
    return this.entities.bindings.get(p, id);
  }

  async updateBinding(p: Principal, id: string, b: UpdateBindingRequest) {
    await this.repo.transaction(async (trx) => {
      sameOwner('binding', await this.entities.bindings.get(p, id, trx), b, 'service_id');
      const svc = await this.repo.serviceOwner(trx, b.service_id);
      await this.writes.putBinding(trx, svc, { ...b, id });
    });
    return this.entities.bindings.get(p, id);
  }
}
