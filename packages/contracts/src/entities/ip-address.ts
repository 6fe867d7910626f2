import type { Static } from 'typebox';
import { CreateInterfaceRequest, Interface } from './interface.ts';

/**
 * v0.17 renamed the v0.14 `Interface` (an IP address on a host) to `IPAddress`, served at /api/v1/ip-addresses. It is
 * the same row with the same fields, so the schemas are the v0.14 ones under the new names.
 */
export const IPAddress = Interface;
export type IPAddress = Static<typeof IPAddress>;
export const CreateIPAddressRequest = CreateInterfaceRequest;
export type CreateIPAddressRequest = Static<typeof CreateIPAddressRequest>;
export const UpdateIPAddressRequest = CreateInterfaceRequest;
export type UpdateIPAddressRequest = Static<typeof UpdateIPAddressRequest>;
