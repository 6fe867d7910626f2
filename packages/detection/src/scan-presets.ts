/**
 * Scan presets and the pre-run estimate. Pure data and arithmetic with no Node imports, so the server can
 * compute the same estimate (it must reach it through a package, not this file, once wired).
 */

export const PRESET_NAMES = ['polite', 'normal', 'fast'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface ScanSettings {
  preset: PresetName | 'custom';
  /** Probe starts per second per target host (0 = unlimited). The reference's `scan_rate_pps`. */
  scan_rate_pps: number;
  /** Largest per-host window of probes in flight (16–1000). The reference's `port_scan_batch_size`. */
  port_scan_batch_size: number;
  /** Smallest per-host window, and where every host starts. */
  window_floor: number;
  /** Probe starts per second across all hosts (0 = unlimited). */
  global_pps: number;
  /** Hosts port-scanned at the same time. */
  max_parallel_hosts: number;
  /** Per connect attempt. */
  connect_timeout_ms: number;
  /** Extra attempts after a timeout. */
  retries: number;
  retry_delay_ms: number;
  /**
   * A host that has not answered a single probe (no SYN-ACK, no RST) after this many ports timed out is
   * reported as filtering everything, and its remaining ports are not probed.
   */
  silent_host_limit: number;
}

const COMMON = { connect_timeout_ms: 800, retries: 1, retry_delay_ms: 100 } as const;

/**
 * polite: for networks with fragile devices (printers, cameras, small NAS). normal: the reference's defaults
 * (500 starts/s per host, window up to 200) plus the global cap and the adaptive window. fast: for sturdy
 * networks and lab use.
 */
export const PRESETS: Readonly<Record<PresetName, ScanSettings>> = {
  polite: {
    preset: 'polite',
    scan_rate_pps: 100,
    port_scan_batch_size: 32,
    window_floor: 4,
    global_pps: 1000,
    max_parallel_hosts: 10,
    silent_host_limit: 128,
    ...COMMON,
  },
  normal: {
    preset: 'normal',
    scan_rate_pps: 500,
    port_scan_batch_size: 200,
    window_floor: 16,
    global_pps: 5000,
    max_parallel_hosts: 10,
    silent_host_limit: 256,
    ...COMMON,
  },
  fast: {
    preset: 'fast',
    scan_rate_pps: 5000,
    port_scan_batch_size: 1000,
    window_floor: 64,
    global_pps: 20000,
    max_parallel_hosts: 8,
    silent_host_limit: 256,
    ...COMMON,
  },
};

export const DEFAULT_PRESET: PresetName = 'normal';

export function isPresetName(value: unknown): value is PresetName {
  return typeof value === 'string' && (PRESET_NAMES as readonly string[]).includes(value);
}

export interface ResolveInput {
  /** The preset a discovery chose; without one, `normal` with the daemon's own rate settings. */
  preset?: PresetName | null;
  /** The daemon's `scan_rate_pps` / `port_scan_batch_size` (config keys); used only when no preset is chosen. */
  daemon?: { scan_rate_pps: number; port_scan_batch_size: number };
  /** Per-discovery overrides, applied last. */
  overrides?: Partial<Omit<ScanSettings, 'preset'>>;
}

/** Preset (or daemon config) + overrides, clamped to sane bounds. */
export function resolveScanSettings(input: ResolveInput = {}): ScanSettings {
  const base: ScanSettings = input.preset
    ? { ...PRESETS[input.preset] }
    : {
        ...PRESETS[DEFAULT_PRESET],
        ...(input.daemon ?? {}),
        preset:
          input.daemon &&
          (input.daemon.scan_rate_pps !== PRESETS.normal.scan_rate_pps ||
            input.daemon.port_scan_batch_size !== PRESETS.normal.port_scan_batch_size)
            ? 'custom'
            : 'normal',
      };
  const merged: ScanSettings = { ...base, ...(input.overrides ?? {}) };
  if (input.overrides && Object.keys(input.overrides).length > 0) merged.preset = 'custom';
  const int = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.floor(n)));
  merged.scan_rate_pps = int(merged.scan_rate_pps, 0, 1_000_000);
  merged.global_pps = int(merged.global_pps, 0, 10_000_000);
  // The reference clamps the batch to 16–1000 where it is used.
  merged.port_scan_batch_size = int(merged.port_scan_batch_size, 16, 1000);
  merged.window_floor = int(merged.window_floor, 1, merged.port_scan_batch_size);
  merged.max_parallel_hosts = int(merged.max_parallel_hosts, 1, 1024);
  merged.connect_timeout_ms = int(merged.connect_timeout_ms, 50, 60_000);
  merged.retries = int(merged.retries, 0, 5);
  merged.retry_delay_ms = int(merged.retry_delay_ms, 0, 10_000);
  merged.silent_host_limit = int(merged.silent_host_limit, 1, 65535);
  return merged;
}

/**
 * Round trip assumed for answering ports when no per-host rate applies (scan_rate_pps 0): a LAN-ish 1 ms, so
 * the window alone bounds the rate. Only used by the estimate.
 */
const ASSUMED_RTT_MS = 1;

export interface ScanEstimate {
  preset: ScanSettings['preset'];
  hosts: number;
  ports_per_host: number;
  /** One connect per port per host. */
  probes: number;
  /** Upper bound on connection attempts (every probe timing out and being retried). */
  max_attempts: number;
  parallel_hosts: number;
  /** Starts per second each host sees (≤ scan_rate_pps). */
  per_host_pps: number;
  /** Starts per second the scanner sends in total (≤ global_pps). */
  total_pps: number;
  /** Expected wall time when hosts answer (open or closed ports): the pacing bound. */
  duration_s: number;
  /** Time to scan one answering host. */
  per_host_duration_s: number;
  /** Ports per second on a host that drops probes (window at its floor, every attempt timing out). */
  filtered_ports_per_s: number;
  /** Time spent on a host that answers nothing before it is given up (silent_host_limit). */
  silent_host_s: number;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Probes, duration and per-host rate of a scan of `hosts` hosts × `portsPerHost` ports with `settings`. */
export function estimateScan(hosts: number, portsPerHost: number, settings: ScanSettings): ScanEstimate {
  const h = Math.max(0, Math.floor(hosts));
  const m = Math.max(0, Math.floor(portsPerHost));
  const parallel = Math.max(1, Math.min(h, settings.max_parallel_hosts));
  const hostCap =
    settings.scan_rate_pps > 0
      ? settings.scan_rate_pps
      : (settings.port_scan_batch_size * 1000) / ASSUMED_RTT_MS;
  const total = Math.min(settings.global_pps > 0 ? settings.global_pps : Infinity, hostCap * parallel);
  const perHost = total / parallel;
  const probes = h * m;
  const attemptMs =
    settings.connect_timeout_ms * (1 + settings.retries) + settings.retry_delay_ms * settings.retries;
  const filteredPerS = (settings.window_floor * 1000) / attemptMs;
  return {
    preset: settings.preset,
    hosts: h,
    ports_per_host: m,
    probes,
    max_attempts: probes * (1 + settings.retries),
    parallel_hosts: h === 0 ? 0 : parallel,
    per_host_pps: round1(perHost),
    total_pps: round1(total),
    duration_s: h === 0 ? 0 : round1(probes / total),
    per_host_duration_s: round1(m / perHost),
    filtered_ports_per_s: round1(filteredPerS),
    silent_host_s: round1(Math.min(m, settings.silent_host_limit) / filteredPerS),
  };
}
