// Default (polite) Network discovery of a 50-host lab /24 (10.77.100.0/24, network namespaces), end to end into the
// API, beside `nmap -sT -T3 --top-ports 1000` from the same scanner namespace, with the peak SYNs per second any
// single lab host received from each: `sudo npx tsx bench/discovery.bench.ts` (root, iproute2, tcpdump, nmap,
// redis-server). Writes bench/results/discovery-<date>.json and a row in docs/benchmarks.md.
import { catalogTcpPorts, estimateScan, resolveScanSettings } from '@scanopy/detection';
import { netnsAvailable, runCommand, sweepStaleLabs } from '@scanopy/lab';
import { commandExists, type Segment } from '../apps/daemon/test/support/scan-lab.ts';
import { DiscoveryLab, page, peakPerDestination, type LabHost } from './discovery-lab.ts';
import { record, today } from './lib.ts';

const SEGMENT: Segment = { bridge: 'br0', cidr: '10.77.100.0/24', gateway: '10.77.100.1' };
const SCANNER = '10.77.100.2';
const FULL_RANGE_LIMIT_S = 600;

/** Ten kinds of host, repeated over 10.77.100.10–59: web UIs, SSH, DNS, NTP, SNMP, redis, and bare hosts. */
function labHost(i: number): LabHost {
  const ip = `10.77.100.${10 + i}`;
  switch (i % 10) {
    case 0:
      return {
        ip,
        spec: {
          http: [{ port: 8123, kind: 'http', routes: { '/': page('<title>Home Assistant</title>') } }],
        },
        tcp: [8123],
        udp: [],
        services: ['Home Assistant'],
      };
    case 1:
      return {
        ip,
        spec: { http: [{ port: 80, kind: 'http', routes: { '/': page('<h1>MikroTik RouterOS</h1> v7') } }] },
        tcp: [80],
        udp: [],
        services: ['MikroTik'],
      };
    case 2:
      return {
        ip,
        spec: { tcp: [{ port: 22, mode: 'banner', banner: 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n' }] },
        tcp: [22],
        udp: [],
        services: ['SSH'],
      };
    case 3:
      return {
        ip,
        spec: { dns: { a: { 'example.com': '203.0.113.7' }, ptr: {} } },
        tcp: [],
        udp: [53],
        services: ['DNS Server'],
      };
    case 4:
      // redis-server on three of these five, nothing on the others.
      return i < 30
        ? { ip, redis: true, tcp: [6379], udp: [], services: ['Redis'] }
        : { ip, tcp: [], udp: [], services: [] };
    case 5:
      return { ip, tcp: [], udp: [], services: [] };
    case 6:
      return {
        ip,
        spec: {
          http: [
            {
              port: 8096,
              kind: 'http',
              routes: { '/emby/System/Info/Public': page('{"ProductName":"Emby Server"}') },
            },
          ],
        },
        tcp: [8096],
        udp: [],
        services: ['Emby'],
      };
    case 7:
      return { ip, spec: { ntp: { stratum: 2 } }, tcp: [], udp: [123], services: ['NTP Server'] };
    case 8:
      return {
        ip,
        spec: { snmp: { community: 'public', sysDescr: 'Lab switch 1.0' } },
        tcp: [],
        udp: [161],
        services: ['SNMP'],
      };
    default:
      return {
        ip,
        spec: {
          http: [{ port: 8181, kind: 'http', routes: { '/': page('<title>Tautulli</title>') } }],
          tcp: [{ port: 22, mode: 'banner', banner: 'SSH-2.0-dropbear_2022.83\r\n' }],
        },
        tcp: [22, 8181],
        udp: [],
        services: ['SSH', 'Tautulli'],
      };
  }
}

const HOSTS = Array.from({ length: 50 }, (_, i) => labHost(i));

/** The ports a discovery's `ports` setting scans ("1-1000,1400,…"; null = the full range). */
function planPorts(spec: string | null): number[] {
  if (spec === null) return Array.from({ length: 65535 }, (_, i) => i + 1);
  return spec.split(',').flatMap((part) => {
    const [a, b = a] = part.split('-').map(Number);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}
const seconds = (ms: number) => Math.round(ms / 100) / 10;

/**
 * Where the wall time went, from the daemon's log lines (seconds after the start-session request): work picked
 * up, session Started, each host's port scan (start = end − duration), its probes and POST, Complete reported,
 * and when the bench's poll saw the final phase.
 */
function timeline(log: string, startedAt: number, endedAt: number) {
  type Line = { time?: string; msg?: string; [k: string]: unknown };
  const all: Line[] = [];
  for (const l of log.split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      const j = JSON.parse(l) as Line;
      if (j.time && Date.parse(j.time) >= startedAt) all.push(j);
    } catch {
      // not a log record
    }
  }
  // This session's lines only (a self-report session may run beside it).
  const session = all.find((j) => j.msg === 'received discovery work')?.session_id;
  const lines = all.filter((j) => j.session_id === session);
  const at = (j: Line) => seconds(Date.parse(j.time!) - startedAt);
  const first = (msg: string, extra?: (j: Line) => boolean) => {
    const j = lines.find((x) => x.msg === msg && (!extra || extra(x)));
    return j ? at(j) : null;
  };
  const span = (xs: number[]) =>
    xs.length ? { first: Math.min(...xs), last: Math.max(...xs), n: xs.length } : null;
  const median = (xs: number[]) =>
    xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : null;
  const scanned = lines.filter((j) => j.msg === 'host scanned');
  const reported = lines.filter((j) => j.msg === 'host reported');
  const stat = (key: string) => {
    const xs = reported.map((j) => seconds(Number(j[key] ?? 0)));
    return { median: median(xs), max: xs.length ? Math.max(...xs) : null };
  };
  return {
    work_received: (() => {
      const j = all.find((x) => x.msg === 'received discovery work');
      return j ? at(j) : null;
    })(),
    started_reported: first('discovery progress reported', (j) => j.phase === 'Started'),
    port_scan_start: span(
      scanned.map((j) => seconds(Date.parse(j.time!) - startedAt - Number(j.duration_ms))),
    ),
    port_scan_end: span(scanned.map(at)),
    port_scan_host_s_median: median(scanned.map((j) => seconds(Number(j.duration_ms)))),
    host_discovery_finished: first('host discovery finished'),
    host_reported: span(reported.map(at)),
    probe_s: stat('probe_ms'),
    udp_s: stat('udp_ms'),
    http_s: stat('http_ms'),
    name_s: stat('name_ms'),
    post_s: stat('post_ms'),
    complete_reported: first('discovery progress reported', (j) => j.phase === 'Complete'),
    bench_saw_end: seconds(endedAt - startedAt),
  };
}

const available = await netnsAvailable();
if (!available.ok) throw new Error(available.reason);
for (const tool of ['nmap', 'tcpdump', 'redis-server'])
  if (!(await commandExists(tool))) throw new Error(`${tool} is missing`);

// Like for like with nmap's 1000 ports: 1–1000 plus the catalog's ports above 1000 (our service ports).
const catalogAbove = [...new Set(catalogTcpPorts)].filter((p) => p > 1000).sort((a, b) => a - b);
const LIKE_PORTS = `1-1000,${catalogAbove.join(',')}`;
const likeCount = 1000 + catalogAbove.length;
const polite = resolveScanSettings({ preset: 'polite' });
const fullEstimate = estimateScan(HOSTS.length, 65535, polite);
const likeEstimate = estimateScan(HOSTS.length, likeCount, polite);

await sweepStaleLabs();
const lab = new DiscoveryLab({
  segment: SEGMENT,
  scannerIp: SCANNER,
  serverLink: { server: '10.77.101.1/24', scanner: '10.77.101.2/24' },
});

try {
  await lab.start(HOSTS);
  console.log(`lab up: ${HOSTS.length} hosts; polite estimate full range ${fullEstimate.duration_s} s`);

  const runOurs = async (label: string, ports: string | null) => {
    const wire = await lab.synCapture();
    const t0 = Date.now();
    const { ms, startedAt, endedAt } = await lab.discover(
      label,
      { scan_preset: 'polite', ports },
      20 * 60_000,
    );
    const steps = timeline(lab.daemonLogText(), startedAt, endedAt);
    const dropped = await wire.stop();
    const found = await lab.hostsByIp();
    const missing = HOSTS.filter((h) => !found.has(h.ip)).map((h) => h.ip);
    let portsRight = 0;
    let servicesRight = 0;
    const wrong: { ip: string; tcp: number[]; want_tcp: number[]; services: string[]; want: string[] }[] = [];
    for (const h of HOSTS) {
      const got = found.get(h.ip);
      if (!got) continue;
      const tcp = got.ports
        .filter((p) => p.protocol === 'Tcp')
        .map((p) => p.number)
        .sort((a, b) => a - b);
      const tcpRight = JSON.stringify(tcp) === JSON.stringify(h.tcp);
      if (tcpRight) portsRight++;
      const names = got.services.map((s) => s.service_definition).sort();
      const want = [...h.services].sort();
      const namesRight = JSON.stringify(names) === JSON.stringify(want);
      if (namesRight) servicesRight++;
      if (!tcpRight || !namesRight) wrong.push({ ip: h.ip, tcp, want_tcp: h.tcp, services: names, want });
    }
    const peak = peakPerDestination(wire.packets);
    // The port scan's own SYNs: the first one to each port of the plan on each host (the lab has no filtered
    // port, so the scan never retries; later SYNs to the same port are the HTTP endpoint probes).
    const inPlan = new Set(planPorts(ports));
    const seen = new Set<string>();
    const scanOnly = wire.packets.filter((p) => {
      const key = `${p.dst}:${p.dport}`;
      if (p.dport === null || !inPlan.has(p.dport) || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const scanPeak = peakPerDestination(scanOnly);
    const out = {
      ports: ports ?? 'all (catalog, then 1-65535)',
      wall_s: seconds(ms),
      hosts_found: found.size,
      missing,
      hosts_with_exact_tcp_ports: portsRight,
      hosts_with_expected_services: servicesRight,
      wrong,
      syns: wire.packets.length,
      capture_dropped: dropped,
      peak_syns_per_s_one_host: peak.count,
      peak_host: peak.dst,
      peak_port_scan_syns_per_s_one_host: scanPeak.count,
      peak_window: {
        ...peak,
        from: new Date(peak.from).toISOString(),
        since_start_s: seconds(peak.from - t0),
      },
      timeline: steps,
    };
    console.log('scanopy', JSON.stringify(out));
    // The daemon's own account of the hosts it got wrong.
    const daemonLines = lab
      .daemonLogText()
      .split('\n')
      .filter((l) => wrong.some((w) => l.includes(`"${w.ip}"`)) && !l.includes('"host scanned"'));
    if (wrong.length) console.log(daemonLines.join('\n'));
    if (missing.length) throw new Error(`hosts missing from the API: ${missing.join(', ')}`);
    return out;
  };

  const like = await runOurs('polite, 1-1000 + catalog', LIKE_PORTS);
  // The full range at 100 starts/s per host and 10 hosts at a time: see the estimate; only run it if it fits.
  const full =
    fullEstimate.duration_s <= FULL_RANGE_LIMIT_S ? await runOurs('polite, full range', null) : null;

  const version = (await runCommand('nmap', ['--version'])).stdout.split('\n')[0];
  const wire = await lab.synCapture();
  const t1 = performance.now();
  const nmapRun = await lab.scan.lab.runIn(lab.scannerNs, 'nmap', [
    '-sT',
    '-T3',
    '--top-ports',
    '1000',
    '-n',
    '--exclude',
    SEGMENT.gateway,
    '-oG',
    '-',
    SEGMENT.cidr,
  ]);
  const nmapMs = performance.now() - t1;
  const dropped = await wire.stop();
  if (nmapRun.code !== 0) throw new Error(`nmap failed: ${nmapRun.stderr}`);
  const nmapUp = new Set<string>();
  const nmapOpen = new Map<string, number[]>();
  for (const line of nmapRun.stdout.split('\n')) {
    const up = /^Host: (\S+) .*Status: Up/.exec(line);
    if (up) nmapUp.add(up[1]);
    const m = /^Host: (\S+) .*Ports: (.*?)(\tIgnored|$)/.exec(line);
    if (!m) continue;
    nmapUp.add(m[1]);
    const open = [...m[2].matchAll(/(\d+)\/open\/tcp/g)].map((x) => Number(x[1]));
    nmapOpen.set(
      m[1],
      open.sort((a, b) => a - b),
    );
  }
  nmapUp.delete(SCANNER);
  const nmapPortsRight = HOSTS.filter(
    (h) => nmapUp.has(h.ip) && JSON.stringify(nmapOpen.get(h.ip) ?? []) === JSON.stringify(h.tcp),
  ).length;
  const nmapPeak = peakPerDestination(wire.packets);
  const nmap = {
    version,
    wall_s: seconds(nmapMs),
    hosts_up: nmapUp.size,
    hosts_with_exact_tcp_ports: nmapPortsRight,
    syns: wire.packets.length,
    capture_dropped: dropped,
    peak_syns_per_s_one_host: nmapPeak.count,
    peak_host: nmapPeak.dst,
    peak_window: { ...nmapPeak, from: new Date(nmapPeak.from).toISOString() },
  };
  console.log('nmap', JSON.stringify(nmap));

  const result = {
    date: today(),
    hosts: HOSTS.length,
    polite_scan_rate_pps: polite.scan_rate_pps,
    polite_global_pps: polite.global_pps,
    like_for_like: { ...like, estimate_s: likeEstimate.duration_s },
    full_range: full ?? {
      skipped: `estimateScan(50 hosts, 65535 ports, polite) = ${fullEstimate.duration_s} s > ${FULL_RANGE_LIMIT_S} s`,
    },
    nmap,
  };
  const rows = [
    `| ${today()} | discovery | netns | 50 hosts, polite, 1–1000 + ${catalogAbove.length} catalog ports: ` +
      `${like.wall_s} s into the API (${like.hosts_found}/50 hosts, exact TCP ports ` +
      `${like.hosts_with_exact_tcp_ports}/50, expected services ${like.hosts_with_expected_services}/50); ` +
      `nmap -sT -T3 --top-ports 1000: ` +
      `${nmap.wall_s} s; peak SYNs/s at one host ${like.peak_syns_per_s_one_host}, port scan alone ` +
      `${like.peak_port_scan_syns_per_s_one_host} (scan_rate_pps ${polite.scan_rate_pps}), ` +
      `nmap ${nmap.peak_syns_per_s_one_host} | — |`,
  ];
  if (full)
    rows.push(
      `| ${today()} | discovery | netns | 50 hosts, polite, full range: ${full.wall_s} s ` +
        `(${full.hosts_found}/50 hosts); peak SYNs/s at one host ${full.peak_syns_per_s_one_host} | — |`,
    );
  console.log(`wrote ${record('discovery', result, rows)}`);
} finally {
  await lab.teardown();
}
