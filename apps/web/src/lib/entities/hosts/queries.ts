import { resourceQueries } from '$lib/api/queries.ts';
import type { CreateInterfaceRequest, CreatePortRequest, Interface, Port } from '$lib/api/types.ts';

/** A host's interfaces and ports, written one at a time (the host page); lists come embedded in the host. */
export const interfaceQueries = resourceQueries<Interface, CreateInterfaceRequest>('interfaces');
export const portQueries = resourceQueries<Port, CreatePortRequest>('ports');
