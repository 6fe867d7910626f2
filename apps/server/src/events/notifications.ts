import { entityEvent, type EntityEvent, type EventScope, type SessionSnapshot } from './bus.ts';

/**
 * One NOTIFY on `scanopy_events` (migration 0013): the ids one write touched of one entity type, with one operation,
 * on one network, at most 100 of them. `part` of `parts` numbers the pieces of that (entity, operation) group;
 * changed_fields and suppress describe the whole group.
 */
export interface EventPart {
  tx: string;
  entity: string;
  operation: EntityEvent['operation'];
  network_id: string | null;
  organization_id: string | null;
  ids: string[];
  changed_fields: string[];
  suppress: boolean;
  part: number;
  parts: number;
  sessions?: SessionSnapshot[];
}

const operations = new Set(['created', 'updated', 'deleted']);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const optionalString = (v: unknown) => (typeof v === 'string' ? v : null);

/** A NOTIFY payload as an event part, or undefined when it is not one of ours. */
export function parsePart(raw: string): EventPart | undefined {
  let v: Partial<Record<keyof EventPart, unknown>>;
  try {
    v = JSON.parse(raw) as typeof v;
  } catch {
    return undefined;
  }
  if (
    typeof v.tx !== 'string' ||
    typeof v.entity !== 'string' ||
    typeof v.operation !== 'string' ||
    !operations.has(v.operation) ||
    !isStrings(v.ids) ||
    typeof v.part !== 'number' ||
    typeof v.parts !== 'number'
  ) {
    return undefined;
  }
  const p: EventPart = {
    tx: v.tx,
    entity: v.entity,
    operation: v.operation as EventPart['operation'],
    network_id: optionalString(v.network_id),
    organization_id: optionalString(v.organization_id),
    ids: v.ids,
    changed_fields: isStrings(v.changed_fields) ? v.changed_fields : [],
    suppress: v.suppress === true,
    part: v.part,
    parts: v.parts,
  };
  if (Array.isArray(v.sessions)) {
    // PostgreSQL writes timestamps as "2025-01-01T10:00:00.123456+00:00"; the API speaks ISO 8601 in UTC.
    const iso = (t: string | null) => (t ? new Date(t).toISOString() : null);
    p.sessions = (v.sessions as SessionSnapshot[]).map((s) => ({
      ...s,
      started_at: iso(s.started_at),
      finished_at: iso(s.finished_at),
    }));
  }
  return p;
}

/** The parts of one group as the event they make up. */
export function assemble(parts: EventPart[]): EntityEvent {
  const ordered = [...parts].sort((a, b) => a.part - b.part);
  const scopes = new Map<string, EventScope>();
  for (const p of ordered) {
    const key = `${p.network_id ?? ''}/${p.organization_id ?? ''}`;
    const scope = scopes.get(key);
    if (scope) scope.ids.push(...p.ids);
    else scopes.set(key, { network_id: p.network_id, organization_id: p.organization_id, ids: [...p.ids] });
  }
  const sessions = ordered.flatMap((p) => p.sessions ?? []);
  const [first] = ordered;
  return entityEvent(
    {
      entity: first.entity,
      operation: first.operation,
      changed_fields: [...new Set(ordered.flatMap((p) => p.changed_fields))].sort(),
      suppress: ordered.every((p) => p.suppress),
      sessions: sessions.length ? sessions : undefined,
    },
    [...scopes.values()],
  );
}

/**
 * Joins the parts of each group back into one event. A transaction's notifications reach a listener together, in
 * the order sent (PostgreSQL serializes the commits that notify), so parts are gathered per group until all have
 * come.
 */
export class EventAssembler {
  private readonly pending = new Map<string, EventPart[]>();
  private tx: string | undefined;

  /** Takes one part; returns the events it completes, in order. */
  add(p: EventPart): EntityEvent[] {
    // Missing parts of an earlier transaction can no longer come: publish what arrived rather than hold it forever.
    const out = this.tx !== undefined && p.tx !== this.tx ? this.drain() : [];
    this.tx = p.tx;
    const key = `${p.entity}/${p.operation}`;
    let got = this.pending.get(key);
    if (!got) {
      got = [];
      this.pending.set(key, got);
    }
    got.push(p);
    if (got.length >= p.parts) {
      this.pending.delete(key);
      out.push(assemble(got));
    }
    return out;
  }

  /** Forgets incomplete groups (the listener reconnected: whatever they were missing is lost). */
  reset(): void {
    this.pending.clear();
    this.tx = undefined;
  }

  private drain(): EntityEvent[] {
    const out = [...this.pending.values()].map(assemble);
    this.pending.clear();
    return out;
  }
}
