import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { DaemonApiKey, UserApiKey } from '@scanopy/contracts';
import type { Db, Queryable } from '../../db/client.ts';
import { assertNetwork, getVisible, principal, setTags } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import { AppError } from '../../http/errors.ts';
import { IdParams, ItemResponse, Uuid, UuidArray } from '../../http/schemas.ts';
import { requireUser, roleRank, roles, type Role } from '../../auth/principal.ts';
import { newDaemonApiKey, newUserApiKey, sha256Hex } from '../../auth/tokens.ts';
import { daemonApiKeyDef, userApiKeyDef } from '../defs.ts';

const Name = Type.String({ minLength: 1, maxLength: 100 });
const Expires = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const RoleSchema = Type.Union(roles.map((r) => Type.Literal(r)));

const CreateDaemonKey = Type.Object(
  {
    name: Name,
    network_id: Uuid,
    expires_at: Type.Optional(Expires),
    is_enabled: Type.Optional(Type.Boolean()),
    tags: Type.Optional(UuidArray),
  },
  { additionalProperties: false },
);
const UpdateDaemonKey = Type.Object(
  {
    name: Name,
    expires_at: Type.Optional(Expires),
    is_enabled: Type.Optional(Type.Boolean()),
    tags: Type.Optional(UuidArray),
  },
  { additionalProperties: false },
);
const CreateUserKey = Type.Object(
  {
    name: Name,
    permissions: Type.Optional(RoleSchema),
    network_ids: Type.Optional(UuidArray),
    expires_at: Type.Optional(Expires),
    is_enabled: Type.Optional(Type.Boolean()),
    tags: Type.Optional(UuidArray),
  },
  { additionalProperties: false },
);
const UpdateUserKey = CreateUserKey;

/** Creates a daemon key and returns its plaintext, which is shown once and stored only as a SHA-256 hash. */
export async function createDaemonKey(
  tx: Queryable,
  networkId: string,
  name: string,
  opts: { expires_at?: string | null; is_enabled?: boolean } = {},
) {
  const key = newDaemonApiKey();
  const id = randomUUID();
  await tx.query(
    'INSERT INTO api_keys (id, network_id, name, key_hash, expires_at, is_enabled) VALUES ($1, $2, $3, $4, $5, $6)',
    [id, networkId, name, sha256Hex(key), opts.expires_at ?? null, opts.is_enabled ?? true],
  );
  return { id, key };
}

export async function apiKeyRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;

  app.post(
    '/auth/daemon',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'create_daemon_api_key',
        tags: ['auth/daemon'],
        body: CreateDaemonKey,
        response: { 200: ItemResponse(Type.Object({ api_key: DaemonApiKey, key: Type.String() })) },
      },
    },
    async (req) => {
      const p = principal(req);
      const body = req.body as {
        name: string;
        network_id: string;
        expires_at?: string | null;
        is_enabled?: boolean;
        tags?: string[];
      };
      assertNetwork(p, body.network_id);
      const { id, key } = await db.transaction(async (tx) => {
        const created = await createDaemonKey(tx, body.network_id, body.name, body);
        if (body.tags) await setTags(tx, 'DaemonApiKey', p.organizationId, created.id, body.tags);
        return created;
      });
      return ok({ api_key: await getVisible(db, daemonApiKeyDef, p, id), key });
    },
  );

  app.put(
    '/auth/daemon/:id',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'update_daemon_api_key',
        tags: ['auth/daemon'],
        params: IdParams,
        body: UpdateDaemonKey,
        response: { 200: ItemResponse(DaemonApiKey) },
      },
    },
    async (req) => {
      const p = principal(req);
      const { id } = req.params as { id: string };
      const body = req.body as {
        name: string;
        expires_at?: string | null;
        is_enabled?: boolean;
        tags?: string[];
      };
      await getVisible(db, daemonApiKeyDef, p, id);
      await db.transaction(async (tx) => {
        await tx.query(
          `UPDATE api_keys SET name = $2, expires_at = CASE WHEN $3 THEN $4::timestamptz ELSE expires_at END,
             is_enabled = COALESCE($5, is_enabled), updated_at = now() WHERE id = $1`,
          [id, body.name, 'expires_at' in body, body.expires_at ?? null, body.is_enabled ?? null],
        );
        if (body.tags) await setTags(tx, 'DaemonApiKey', p.organizationId, id, body.tags);
      });
      return ok(await getVisible(db, daemonApiKeyDef, p, id));
    },
  );

  app.post(
    '/auth/daemon/:id/rotate',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'rotate_daemon_api_key',
        tags: ['auth/daemon'],
        params: IdParams,
        response: { 200: ItemResponse(Type.String()) },
      },
    },
    async (req) => {
      const p = principal(req);
      const { id } = req.params as { id: string };
      await getVisible(db, daemonApiKeyDef, p, id);
      const key = newDaemonApiKey();
      // A server_poll daemon's key is kept in clear because the server calls the daemon with it: keep it current,
      // so once the daemon is configured with the new key the server's calls authenticate again.
      await db.query(
        `UPDATE api_keys SET key_hash = $2, updated_at = now(),
           plaintext_key = CASE WHEN plaintext_key IS NULL THEN NULL ELSE $3 END
         WHERE id = $1`,
        [id, sha256Hex(key), key],
      );
      return ok(key);
    },
  );

  // User keys: only the owning user manages them, and a key can never exceed its creator's role or networks.
  async function checkGrant(p: ReturnType<typeof requireUser>, role: Role, networkIds: string[]) {
    if (roleRank(role) > roleRank(p.role)) throw new AppError('auth_permission_denied', { role });
    for (const n of networkIds) assertNetwork(p, n);
  }

  async function writeKeyNetworks(tx: Queryable, keyId: string, networkIds: string[]) {
    await tx.query('DELETE FROM user_api_key_network_access WHERE api_key_id = $1', [keyId]);
    for (const n of new Set(networkIds)) {
      await tx.query('INSERT INTO user_api_key_network_access (api_key_id, network_id) VALUES ($1, $2)', [
        keyId,
        n,
      ]);
    }
  }

  app.post(
    '/auth/keys',
    {
      config: { access: 'session' },
      schema: {
        operationId: 'create_user_api_key',
        tags: ['auth/keys'],
        body: CreateUserKey,
        response: { 200: ItemResponse(Type.Object({ api_key: UserApiKey, key: Type.String() })) },
      },
    },
    async (req) => {
      const p = requireUser(req.principal);
      const body = req.body as {
        name: string;
        permissions?: Role;
        network_ids?: string[];
        expires_at?: string | null;
        is_enabled?: boolean;
        tags?: string[];
      };
      const role = body.permissions ?? 'Viewer';
      await checkGrant(p, role, body.network_ids ?? []);
      const key = newUserApiKey();
      const id = randomUUID();
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO user_api_keys (id, organization_id, user_id, name, key_hash, permissions, expires_at, is_enabled)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [
            id,
            p.organizationId,
            p.userId,
            body.name,
            sha256Hex(key),
            role,
            body.expires_at ?? null,
            body.is_enabled ?? true,
          ],
        );
        await writeKeyNetworks(tx, id, body.network_ids ?? []);
        if (body.tags) await setTags(tx, 'UserApiKey', p.organizationId, id, body.tags);
      });
      return ok({ api_key: await getVisible(db, userApiKeyDef, p, id), key });
    },
  );

  app.put(
    '/auth/keys/:id',
    {
      config: { access: 'session' },
      schema: {
        operationId: 'update_user_api_key',
        tags: ['auth/keys'],
        params: IdParams,
        body: UpdateUserKey,
        response: { 200: ItemResponse(UserApiKey) },
      },
    },
    async (req) => {
      const p = requireUser(req.principal);
      const { id } = req.params as { id: string };
      const body = req.body as {
        name: string;
        permissions?: Role;
        network_ids?: string[];
        expires_at?: string | null;
        is_enabled?: boolean;
        tags?: string[];
      };
      await getVisible(db, userApiKeyDef, p, id);
      if (body.permissions || body.network_ids)
        await checkGrant(p, body.permissions ?? 'Viewer', body.network_ids ?? []);
      await db.transaction(async (tx) => {
        await tx.query(
          `UPDATE user_api_keys SET name = $2, permissions = COALESCE($3, permissions),
             expires_at = CASE WHEN $4 THEN $5::timestamptz ELSE expires_at END, is_enabled = COALESCE($6, is_enabled),
             updated_at = now() WHERE id = $1`,
          [
            id,
            body.name,
            body.permissions ?? null,
            'expires_at' in body,
            body.expires_at ?? null,
            body.is_enabled ?? null,
          ],
        );
        if (body.network_ids) await writeKeyNetworks(tx, id, body.network_ids);
        if (body.tags) await setTags(tx, 'UserApiKey', p.organizationId, id, body.tags);
      });
      return ok(await getVisible(db, userApiKeyDef, p, id));
    },
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
    async (req) => {
      const p = requireUser(req.principal);
      const { id } = req.params as { id: string };
      await getVisible(db, userApiKeyDef, p, id);
      const key = newUserApiKey();
      await db.query('UPDATE user_api_keys SET key_hash = $2, updated_at = now() WHERE id = $1', [
        id,
        sha256Hex(key),
      ]);
      return ok(key);
    },
  );
}
