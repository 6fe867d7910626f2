import { CompiledQuery, type Compilable } from 'kysely';
import type { Kdb } from './client.ts';

/** Stands for the i-th value while a query is built for compiling. */
class Slot {
  constructor(readonly index: number) {}
}

/** SQL text compiled by Kysely, with `Slot`s where each run binds its own values. */
export interface QueryTemplate {
  sql: string;
  parameters: readonly unknown[];
}

/**
 * Builds and compiles a query with `arity` stand-ins for its values (`build` receives them in place of the values),
 * checking that each of the first `required` stand-ins became a parameter: a builder that looked at a value (e.g.
 * `in`, which binds one parameter per item) would not give SQL that fits every value.
 */
export function compileTemplate(
  arity: number,
  build: (values: unknown[]) => Compilable<unknown>,
  required = arity,
): QueryTemplate {
  const slots = Array.from({ length: arity }, (_, i) => new Slot(i));
  const q = build(slots).compile();
  const used = new Set(q.parameters.filter((p) => p instanceof Slot).map((p) => (p as Slot).index));
  if (slots.slice(0, required).some((s) => !used.has(s.index))) {
    throw new Error(`compileTemplate: each value must be bound as a parameter of:\n${q.sql}`);
  }
  return { sql: q.sql, parameters: q.parameters };
}

/** Runs a template with these values (Kysely's `db.executeQuery` of a compiled query). */
export async function runTemplate<O>(db: Kdb, t: QueryTemplate, values: readonly unknown[]): Promise<O[]> {
  const parameters = t.parameters.map((p) => (p instanceof Slot ? values[p.index] : p));
  return (await db.executeQuery(CompiledQuery.raw(t.sql, parameters) as CompiledQuery<O>)).rows;
}

/**
 * A query of fixed shape on the hot read path, built and compiled by Kysely on its first run only: later runs bind
 * their arguments to the same SQL text. Building and compiling the seven queries of a hosts page costs about 0.16 ms
 * per request otherwise.
 *
 * `build` must give SQL that does not depend on the argument values: each argument is bound as one parameter, so a
 * list goes in as `= ANY(${list})` (`anyOf`), never with `in`; arguments must not be inspected while building. Both
 * backends compile with Kysely's PostgreSQL compiler, so one SQL text serves both.
 */
export function compiledOnce<A extends unknown[], O>(
  build: (db: Kdb, ...args: A) => Compilable<O>,
): (db: Kdb, ...args: A) => Promise<O[]> {
  let template: QueryTemplate | undefined;
  return (db, ...args) => {
    template ??= compileTemplate(args.length, (slots) => build(db, ...(slots as A)));
    return runTemplate<O>(db, template, args);
  };
}
