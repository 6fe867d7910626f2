/** Collects SQL conditions with numbered parameters, so list, count and export share one WHERE clause. */
export class Where {
  readonly params: unknown[] = [];
  private readonly conds: string[] = [];

  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  add(cond: string): this {
    this.conds.push(cond);
    return this;
  }

  sql(): string {
    return this.conds.length ? `WHERE ${this.conds.join(' AND ')}` : '';
  }
}

export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 50;

/** limit: default 50, capped at 1000; 0 means all rows. */
export function pageBounds(q: { limit?: number; offset?: number }): { limit: number; offset: number } {
  const limit = q.limit === undefined ? DEFAULT_LIMIT : Math.min(q.limit, MAX_LIMIT);
  return { limit, offset: q.offset ?? 0 };
}
