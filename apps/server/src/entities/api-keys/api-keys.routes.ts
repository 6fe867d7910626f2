import { Type } from 'typebox';
import {
  CreateDaemonApiKeyBody,
  CreateUserApiKeyBody,
  DaemonApiKey,
  DaemonApiKeyResponse,
  UpdateDaemonApiKeyBody,
  UpdateUserApiKeyBody,
  UserApiKey,
  UserApiKeyResponse,
} from '@scanopy/contracts';
import { principal, type EntityResource } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { IdParams, ItemResponse, Uuid, UuidArray } from '../../http/schemas.ts';
import { requireUser } from '../../auth/principal.ts';
import type { Services } from '../../services.ts';

export const daemonApiKeyResource: EntityResource = {
  name: 'Daemon API Key',
  path: 'auth/daemon',
  filterSchema: { network_id: Uuid, ids: UuidArray },
  csvFile: 'Daemon API Keys',
  schema: DaemonApiKey,
  access: { read: 'viewer', write: 'member' },
};

export const userApiKeyResource: EntityResource = {
  name: 'User API Key',
  path: 'auth/keys',
  filterSchema: { ids: UuidArray },
  csvFile: 'User API Keys',
  schema: UserApiKey,
  // As the reference: the CSV export also takes a user API key (still only the caller's own keys).
  access: { read: 'session', write: 'session', export: 'viewer' },
};

/**
 * API keys: daemon keys (daemons/daemon-api-keys.service.ts, one network each) and user keys
 * (user-api-keys.service.ts, managed by their owner from a browser session).
 */
export async function apiKeyRoutes(app: RouteApp, { daemonApiKeys, userApiKeys }: Services) {
  app.post(
    '/auth/daemon',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'create_daemon_api_key',
        tags: ['auth/daemon'],
        body: CreateDaemonApiKeyBody,
        response: { 200: ItemResponse(DaemonApiKeyResponse) },
      },
    },
    async (req) => ok(await daemonApiKeys.create(principal(req), req.body)),
  );

  app.put(
    '/auth/daemon/:id',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'update_daemon_api_key',
        tags: ['auth/daemon'],
        params: IdParams,
        body: UpdateDaemonApiKeyBody,
        response: { 200: ItemResponse(DaemonApiKey) },
      },
    },
    async (req) => ok(await daemonApiKeys.update(principal(req), req.params.id, req.body)),
  );

  app.post(
    '/auth/daemon/:id/rotate',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'rotate_key_handler',
        tags: ['auth/daemon'],
        params: IdParams,
        response: { 200: ItemResponse(Type.String()) },
      },
    },
    async (req) => ok(await daemonApiKeys.rotate(principal(req), req.params.id)),
  );

  app.post(
    '/auth/keys',
    {
      config: { access: 'session' },
      schema: {
        operationId: 'create_user_api_key',
        tags: ['auth/keys'],
        body: CreateUserApiKeyBody,
        response: { 200: ItemResponse(UserApiKeyResponse) },
      },
    },
    async (req) => ok(await userApiKeys.create(requireUser(req.principal), req.body)),
  );

  app.put(
    '/auth/keys/:id',
    {
      config: { access: 'session' },
      schema: {
        operationId: 'update_user_api_key',
        tags: ['auth/keys'],
        params: IdParams,
        body: UpdateUserApiKeyBody,
        response: { 200: ItemResponse(UserApiKey) },
      },
    },
    async (req) => ok(await userApiKeys.update(requireUser(req.principal), req.params.id, req.body)),
  );

  app.post(
    '/auth/keys/:id/rotate',
    {
      config: { access: 'session' },
      schema: {
        operationId: 'rotate_user_api_key',
        tags: ['auth/keys'],
        params: IdParams,
        response: { 200: ItemResponse(Type.String()) },
      },
    },
    async (req) => ok(await userApiKeys.rotate(requireUser(req.principal), req.params.id)),
  );
}
