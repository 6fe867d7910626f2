import { randomUUID } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import type { Kdb } from '../db/client.ts';
import { anyOf } from '../db/entity-repository.ts';
import type { DiscoverySessions } from '../db/schema.ts';

export type SessionRow = Omit<Selectable<DiscoverySessions>, 'discovery_type'> & {
  discovery_type: Record<string, unknown>;
};

/** A job as a run of it needs it: its network, daemon, type and run type, and the network of its daemon. */
export interface JobToRun {
  network_id: string;
  daemon_id: string;
  daemon_network_id: string;
  discovery_type: Record<string, unknown>;
  run_type: { type: string };
}

/** The fields a daemon's progress report writes. */
export interface SessionReport {
  phase: string;
  progress: number;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
  terminal: boolean;
}

const rows = (r: Selectable<DiscoverySessions>[]) => r as SessionRow[];
const row = (r: Selectable<DiscoverySessions> | undefined) => r as SessionRow | undefined;
const now = () => sql<Date>`now()`;

/** The SQL of discovery sessions (and of the Historical job each finished session leaves). */
export class SessionsRepository {
  constructor(private readonly db: Kdb) {}

  transaction<T>(fn: (trx: Kdb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /** Serializes one daemon's work requests, so two concurrent polls never hand out two sessions. */
  async lockDaemonWork(trx: Kdb, daemonId: string): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`daemon-work:${daemonId}`}))`.execute(trx);
  }

  async jobVisible(on: Kdb, jobId: string, networkIds: string[]): Promise<boolean> {
    const found = await on
      .selectFrom('discovery')
      .select('id')
      .where('id', '=', jobId)
      .where(anyOf('network_id', networkIds))
      .executeTakeFirst();
    return found !== undefined;
  }

  /** The job, locked for the rest of the transaction (one run is queued at a time). */
  async lockJob(trx: Kdb, jobId: string): Promise<JobToRun | undefined> {
    const found = await trx
      .selectFrom('discovery as d')
      .innerJoin('daemons as dm', 'dm.id', 'd.daemon_id')
      .select([
        'd.network_id',
        'd.daemon_id',
        'd.discovery_type',
        'd.run_type',
        'dm.network_id as daemon_network_id',
      ])
      .where('d.id', '=', jobId)
      .forUpdate('d')
      .executeTakeFirst();
    return found as JobToRun | undefined;
  }

  async openSessionOf(on: Kdb, jobId: string, phases: string[]): Promise<SessionRow | undefined> {
    return row(
      await on
        .selectFrom('discovery_sessions')
        .selectAll()
        .where('discovery_id', '=', jobId)
        .where(anyOf('phase', phases))
        .limit(1)
        .executeTakeFirst(),
    );
  }

  async insertPending(on: Kdb, job: JobToRun, jobId: string): Promise<SessionRow> {
    return row(
      await on
        .insertInto('discovery_sessions')
        .values({
          id: randomUUID(),
          daemon_id: job.daemon_id,
          network_id: job.network_id,
          discovery_id: jobId,
          discovery_type: JSON.stringify(job.discovery_type),
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
    )!;
  }

  async stampLastRun(on: Kdb, jobId: string): Promise<void> {
    await on
      .updateTable('discovery')
      .set({ run_type: sql`jsonb_set(run_type, '{last_run}', to_jsonb(now()))`, updated_at: now() })
      .where('id', '=', jobId)
      .execute();
  }

  async lockInScope(trx: Kdb, sessionId: string, networkIds: string[]): Promise<SessionRow | undefined> {
    return row(
      await trx
        .selectFrom('discovery_sessions')
        .selectAll()
        .where('id', '=', sessionId)
        .where(anyOf('network_id', networkIds))
        .forUpdate()
        .executeTakeFirst(),
    );
  }

  async lock(trx: Kdb, sessionId: string, phases?: string[]): Promise<SessionRow | undefined> {
    let q = trx.selectFrom('discovery_sessions').selectAll().where('id', '=', sessionId);
    if (phases) q = q.where(anyOf('phase', phases));
    return row(await q.forUpdate().executeTakeFirst());
  }

  async flagCancel(on: Kdb, sessionId: string): Promise<SessionRow> {
    return row(
      await on
        .updateTable('discovery_sessions')
        .set({ cancel_requested: true, updated_at: now() })
        .where('id', '=', sessionId)
        .returningAll()
        .executeTakeFirstOrThrow(),
    )!;
  }

  /** A progress report on a session that is already closed: the daemon is told to stop on its next poll. */
  async requestCancel(on: Kdb, sessionId: string): Promise<void> {
    await on
      .updateTable('discovery_sessions')
      .set({ cancel_requested: true })
      .where('id', '=', sessionId)
      .execute();
  }

  async inPhases(networkIds: string[], phases: string[]): Promise<SessionRow[]> {
    return rows(
      await this.db
        .selectFrom('discovery_sessions')
        .selectAll()
        .where(anyOf('network_id', networkIds))
        .where(anyOf('phase', phases))
        .orderBy('created_at')
        .orderBy('id')
        .execute(),
    );
  }

  async runningOf(on: Kdb, daemonId: string, phases: string[]): Promise<SessionRow | undefined> {
    return row(
      await on
        .selectFrom('discovery_sessions')
        .selectAll()
        .where('daemon_id', '=', daemonId)
        .where(anyOf('phase', phases))
        .orderBy('created_at')
        .limit(1)
        .executeTakeFirst(),
    );
  }

  /** The daemon's sessions in these phases, locked. */
  async lockOfDaemon(trx: Kdb, daemonId: string, phases: string[]): Promise<SessionRow[]> {
    return rows(
      await trx
        .selectFrom('discovery_sessions')
        .selectAll()
        .where('daemon_id', '=', daemonId)
        .where(anyOf('phase', phases))
        .forUpdate()
        .execute(),
    );
  }

  /** The daemon's sessions in these phases or with a cancel pending, oldest first (server_poll reconciliation). */
  async openOrCancelling(daemonId: string, phases: string[]): Promise<SessionRow[]> {
    return rows(
      await this.db
        .selectFrom('discovery_sessions')
        .selectAll()
        .where('daemon_id', '=', daemonId)
        .where((eb) => eb.or([anyOf('phase', phases), eb('cancel_requested', '=', true)]))
        .orderBy('created_at')
        .execute(),
    );
  }

  async touchActivity(on: Kdb, sessionId: string): Promise<void> {
    await on
      .updateTable('discovery_sessions')
      .set({ last_activity_at: now() })
      .where('id', '=', sessionId)
      .execute();
  }

  /** Drops the cancel flags of the daemon's sessions in these (closed) phases; returns how many it dropped. */
  async clearStaleCancels(on: Kdb, daemonId: string, phases: string[]): Promise<number> {
    const cleared = await on
      .updateTable('discovery_sessions')
      .set({ cancel_requested: false })
      .where('daemon_id', '=', daemonId)
      .where('cancel_requested', '=', true)
      .where(anyOf('phase', phases))
      .returning('id')
      .execute();
    return cleared.length;
  }

  /** Drops the cancel flag of a session when it is in these (closed) phases. */
  async clearCancel(sessionId: string, phases: string[]): Promise<void> {
    await this.db
      .updateTable('discovery_sessions')
      .set({ cancel_requested: false })
      .where('id', '=', sessionId)
      .where(anyOf('phase', phases))
      .execute();
  }

  /** The daemon's oldest Pending session, now Starting; SKIP LOCKED so concurrent claims never share one. */
  async claimNext(on: Kdb, daemonId: string): Promise<SessionRow | undefined> {
    return row(
      await on
        .updateTable('discovery_sessions')
        .set({ phase: 'Starting', last_activity_at: now(), updated_at: now() })
        .where('id', '=', (eb) =>
          eb
            .selectFrom('discovery_sessions')
            .select('id')
            .where('daemon_id', '=', daemonId)
            .where('phase', '=', 'Pending')
            .orderBy('created_at')
            .orderBy('id')
            .limit(1)
            .forUpdate()
            .skipLocked(),
        )
        .returningAll()
        .executeTakeFirst(),
    );
  }

  async release(sessionId: string): Promise<void> {
    await this.db
      .updateTable('discovery_sessions')
      .set({ phase: 'Pending', updated_at: now() })
      .where('id', '=', sessionId)
      .where('phase', '=', 'Starting')
      .execute();
  }

  /** A report on a session the server does not know (e.g. after a wipe) is recorded as a new session. */
  async insertReported(
    on: Kdb,
    s: { id: string; daemon_id: string; network_id: string; discovery_type: unknown },
    r: SessionReport,
  ): Promise<SessionRow> {
    const running = r.phase === 'Started' || r.phase === 'Scanning';
    return row(
      await on
        .insertInto('discovery_sessions')
        .values({
          id: s.id,
          daemon_id: s.daemon_id,
          network_id: s.network_id,
          discovery_type: JSON.stringify(s.discovery_type),
          phase: r.phase,
          progress: r.progress,
          error: r.error,
          started_at: r.started_at ?? (running ? now() : null),
          finished_at: r.terminal ? (r.finished_at ?? now()) : null,
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
    )!;
  }

  async applyReport(on: Kdb, sessionId: string, r: SessionReport): Promise<SessionRow> {
    const running = r.phase === 'Started' || r.phase === 'Scanning';
    return row(
      await on
        .updateTable('discovery_sessions')
        .set({
          phase: r.phase,
          progress: r.progress,
          error: r.error,
          started_at: running
            ? sql<Date>`COALESCE(started_at, ${r.started_at}::timestamptz, now())`
            : sql<Date>`COALESCE(started_at, ${r.started_at}::timestamptz)`,
          ...(r.terminal ? { finished_at: r.finished_at ?? now(), cancel_requested: false } : {}),
          last_activity_at: now(),
          updated_at: now(),
        })
        .where('id', '=', sessionId)
        .returningAll()
        .executeTakeFirstOrThrow(),
    )!;
  }

  /** Closes a session on the server's side. */
  async finish(on: Kdb, sessionId: string, phase: string, error: string | null): Promise<SessionRow> {
    return row(
      await on
        .updateTable('discovery_sessions')
        .set({
          phase,
          error: sql<string>`COALESCE(${error}, error)`,
          finished_at: sql<Date>`COALESCE(finished_at, now())`,
          cancel_requested: false,
          updated_at: now(),
        })
        .where('id', '=', sessionId)
        .returningAll()
        .executeTakeFirstOrThrow(),
    )!;
  }

  /** Running sessions silent for `seconds`, oldest first, locked (SKIP LOCKED: replicas sweep side by side). */
  async lockStalled(trx: Kdb, phases: string[], seconds: number): Promise<SessionRow[]> {
    return rows(
      await trx
        .selectFrom('discovery_sessions')
        .selectAll()
        .where(anyOf('phase', phases))
        .where('last_activity_at', '<', sql<Date>`now() - make_interval(secs => ${seconds})`)
        .orderBy('last_activity_at')
        .limit(500)
        .forUpdate()
        .skipLocked()
        .execute(),
    );
  }

  async postponeActivity(phases: string[], seconds: number): Promise<number> {
    const moved = await this.db
      .updateTable('discovery_sessions')
      .set({
        last_activity_at: sql<Date>`LEAST(now(), last_activity_at + make_interval(secs => ${seconds}))`,
      })
      .where(anyOf('phase', phases))
      .returning('id')
      .execute();
    return moved.length;
  }

  /**
   * The Historical job of a finished session: named after its job (or, without one, `fallbackName — network`),
   * holding the final payload.
   */
  async insertHistory(
    on: Kdb,
    sessionId: string,
    h: { fallbackName: string; results: unknown; discoveryType: unknown },
  ): Promise<void> {
    await on
      .insertInto('discovery')
      .columns(['id', 'network_id', 'daemon_id', 'name', 'discovery_type', 'run_type'])
      .expression((eb) =>
        eb
          .selectFrom('discovery_sessions as s')
          .innerJoin('networks as n', 'n.id', 's.network_id')
          .leftJoin('discovery as d', 'd.id', 's.discovery_id')
          .select([
            sql<string>`${randomUUID()}::uuid`.as('id'),
            's.network_id',
            's.daemon_id',
            sql<string>`COALESCE(d.name, ${h.fallbackName} || ' — ' || n.name)`.as('name'),
            sql<string>`${JSON.stringify(h.discoveryType)}::jsonb`.as('discovery_type'),
            sql<string>`jsonb_build_object('type', 'Historical', 'results', ${JSON.stringify(h.results)}::jsonb)`.as(
              'run_type',
            ),
          ])
          .where('s.id', '=', sessionId),
      )
      .execute();
  }
}
