/**
 * Which TCP ports a scan probes, and in which order: the priority ports (the catalog's, so results that identify
 * services arrive early) first, then the rest of the configured ranges in ascending order. Ports are generated
 * lazily: a full range is 65,535 numbers per host.
 */
export interface PortPlan {
  /** Probed first, in this order (duplicates and ports outside 1–65535 are dropped). */
  priority: readonly number[];
  /** Inclusive ranges probed afterwards, ascending, without the priority ports. */
  ranges: ReadonlyArray<readonly [number, number]>;
}

export const FULL_RANGE: ReadonlyArray<readonly [number, number]> = [[1, 65535]];

export class PortSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortSpecError';
  }
}

const isPort = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;

/** Parses "1-1024,8080,9000-9100" (or "all" / "1-65535") into merged ascending ranges. */
export function parsePortSpec(spec: string): Array<[number, number]> {
  if (spec.trim() === 'all') return [[1, 65535]];
  const ranges: Array<[number, number]> = [];
  for (const part of spec.split(',').map((p) => p.trim())) {
    if (!part) continue;
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
    if (!isPort(lo) || !isPort(hi) || hi < lo)
      throw new PortSpecError(`"${part}" is not a port or port range`);
    ranges.push([lo, hi]);
  }
  if (ranges.length === 0) throw new PortSpecError('empty port list');
  return mergeRanges(ranges);
}

export function mergeRanges(ranges: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const sorted = [...ranges].map(([a, b]) => [a, b] as [number, number]).sort((x, y) => x[0] - y[0]);
  const out: Array<[number, number]> = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push(r);
  }
  return out;
}

function uniquePriority(plan: PortPlan): number[] {
  return [...new Set(plan.priority.filter(isPort))];
}

/** The ports of a plan in probing order. */
export function* portOrder(plan: PortPlan): Generator<number> {
  const first = uniquePriority(plan);
  yield* first;
  const seen = new Set(first);
  for (const [lo, hi] of mergeRanges(plan.ranges)) {
    for (let p = Math.max(1, lo); p <= Math.min(65535, hi); p++) if (!seen.has(p)) yield p;
  }
}

/** How many ports a plan probes per host. */
export function planSize(plan: PortPlan): number {
  const first = uniquePriority(plan);
  const ranges = mergeRanges(plan.ranges);
  const inRanges = (p: number) => ranges.some(([lo, hi]) => p >= lo && p <= hi);
  const rangeTotal = ranges.reduce((n, [lo, hi]) => n + Math.min(65535, hi) - Math.max(1, lo) + 1, 0);
  return first.length + rangeTotal - first.filter(inRanges).length;
}
