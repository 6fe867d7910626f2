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
  /**
   * Per connect attempt before a host has given a round-trip sample, and the most a measured timeout may be.
   * Once a host answers, its timeout is SRTT + 4 × RTTVAR, clamped to [rtt_timeout_min_ms, connect_timeout_ms].
   */
  connect_timeout_ms: number;
  /** The least a measured timeout may be. */
  rtt_timeout_min_ms: number;
  /** Extra attempts after a timeout. */
  retries: number;
  retry_delay_ms: number;
  /**
   * A host that has not answered a single probe (no SYN-ACK, no RST) after this many ports timed out is
   * reported as filtering everything, and its remaining ports are not probed.
   */
  silent_host_limit: number;
}

const COMMON = { connect_timeout_ms: 800, rtt_timeout_min_ms: 100, retries: 1, retry_delay_ms: 100 } as const;

/**
 * polite: for networks with fragile devices (printers, cameras, small NAS). normal: the reference's defaults
 * (500 starts/s per host, window up to 200) plus the global cap and the adaptive window. fast: for sturdy
 * networks and lab use. Every live host is scanned at once, each at its own rate; the global cap (SYNs per second
 * of the scanner's own link, a few Mbit/s at most) is what bounds a large subnet.
 */
export const PRESETS: Readonly<Record<PresetName, ScanSettings>> = {
  polite: {
    preset: 'polite',
    scan_rate_pps: 100,
    port_scan_batch_size: 32,
    window_floor: 4,
    global_pps: 5000,
    silent_host_limit: 128,
    ...COMMON,
  },
  normal: {
    preset: 'normal',
    scan_rate_pps: 500,
    port_scan_batch_size: 200,
    window_floor: 16,
    global_pps: 20000,
    silent_host_limit: 256,
    ...COMMON,
  },
  fast: {
    preset: 'fast',
    scan_rate_pps: 5000,
    port_scan_batch_size: 1000,
    window_floor: 64,
    global_pps: 50000,
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
  merged.connect_timeout_ms = int(merged.connect_timeout_ms, 50, 60_000);
  merged.rtt_timeout_min_ms = int(merged.rtt_timeout_min_ms, 10, merged.connect_timeout_ms);
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

/** Host discovery defaults (daemon.md §1.2 `arp_rate_pps`, `arp_retries`) and the kernel's ARP timing. */
export const HOST_DISCOVERY_DEFAULTS = { arp_rate_pps: 50, arp_retries: 2, solicit: 3, retrans_ms: 1000 };

export interface ScanEstimate {
  preset: ScanSettings['preset'];
  /** Addresses swept by host discovery. */
  addresses: number;
  /** Live hosts port-scanned (those already known, before a run; those found, once host discovery is done). */
  hosts: number;
  ports_per_host: number;
  /** One connect per port per live host. */
  probes: number;
  /** Upper bound on connection attempts (every probe timing out and being retried). */
  max_attempts: number;
  /** Every live host is scanned at once (the socket budget permitting). */
  parallel_hosts: number;
  /** Starts per second each host sees (≤ scan_rate_pps). */
  per_host_pps: number;
  /** Starts per second the scanner sends in total (≤ global_pps). */
  total_pps: number;
  /** Host discovery: paced ARP nudges of every address, then the wait for the last answers. */
  host_discovery_s: number;
  /** Port scan of the live hosts, all at once: the pacing bound. */
  port_scan_s: number;
  /** Expected wall time: host discovery, then the port scan. */
  duration_s: number;
  /** Time to scan one live host, answering or dropping probes alike. */
  per_host_duration_s: number;
  /** Ports per second on a host that drops probes: the start rate, as long as its window can carry the timeouts. */
  filtered_ports_per_s: number;
  /** Time spent on a host that answers nothing before it is given up (silent_host_limit). */
  silent_host_s: number;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Paced nudges of `addresses` addresses (arp_rate_pps ÷ solicit per second, enough rounds) plus the last wait. */
export function hostDiscoverySeconds(addresses: number, d = HOST_DISCOVERY_DEFAULTS): number {
  if (addresses <= 0) return 0;
  const rounds = Math.max(1, Math.ceil((1 + d.arp_retries) / d.solicit));
  const perRound = (addresses * d.solicit) / d.arp_rate_pps + (d.solicit * d.retrans_ms + 500) / 1000;
  return round1(rounds * perRound);
}

/**
 * Probes, duration and per-host rate of a scan of `hosts` live hosts × `portsPerHost` ports with `settings`,
 * after host discovery over `addresses` addresses (default: none, i.e. the port scan alone).
 */
export function estimateScan(
  hosts: number,
  portsPerHost: number,
  settings: ScanSettings,
  addresses = 0,
): ScanEstimate {
  const h = Math.max(0, Math.floor(hosts));
  const m = Math.max(0, Math.floor(portsPerHost));
  const parallel = Math.max(1, h);
  const hostCap =
    settings.scan_rate_pps > 0
      ? settings.scan_rate_pps
      : (settings.port_scan_batch_size * 1000) / ASSUMED_RTT_MS;
  const total = Math.min(settings.global_pps > 0 ? settings.global_pps : Infinity, hostCap * parallel);
  const perHost = total / parallel;
  const probes = h * m;
  // Dropped probes hold a window slot for a measured timeout (the floor on a LAN) and do not shrink the window.
  const filteredPerS = Math.min(
    perHost,
    (settings.port_scan_batch_size * 1000) / settings.rtt_timeout_min_ms,
  );
  // A silent host gives no round trip: its probes wait the full timeout; the window still grows on drops.
  const silentPerS = Math.min(perHost, (settings.port_scan_batch_size * 1000) / settings.connect_timeout_ms);
  const attemptMs =
    settings.connect_timeout_ms * (1 + settings.retries) + settings.retry_delay_ms * settings.retries;
  const discovery = hostDiscoverySeconds(addresses);
  const portScan = h === 0 ? 0 : round1(m / perHost);
  return {
    preset: settings.preset,
    addresses: Math.max(0, Math.floor(addresses)),
    hosts: h,
    ports_per_host: m,
    probes,
    max_attempts: probes * (1 + settings.retries),
    parallel_hosts: h,
    per_host_pps: round1(perHost),
    total_pps: round1(total),
    host_discovery_s: discovery,
    port_scan_s: portScan,
    duration_s: round1(discovery + portScan),
    per_host_duration_s: round1(m / perHost),
    filtered_ports_per_s: round1(filteredPerS),
    silent_host_s: round1(Math.min(m, settings.silent_host_limit) / silentPerS + attemptMs / 1000),
  };
}
