// Default Network discovery (preset normal, all ports) of a lab /24 with 60 live hosts among its 254 addresses,
// end to end into the API, beside `nmap -sT -T4 -p-` on the same /24 from the same scanner namespace:
// `sudo npx tsx bench/lab24.bench.ts` (root, iproute2, nft, tcpdump, nmap). A third of the hosts drop every TCP
// port but one or two (nft), ten have nothing open, the rest run real services (lab-services). tcpdump records the
// SYNs to three sample hosts (a firewalled one, a service, an empty one) for the per-host ceiling. Writes
// bench/results/lab24-<date>.json and a row in docs/benchmarks.md. Goal: ≤ 5 min, ≤ 2× nmap.
import { estimateScan, resolveScanSettings } from '@scanopy/detection';
import { netnsAvailable, runCommand, sweepStaleLabs } from '@scanopy/lab';
import { maxStartsInWindow } from '../apps/daemon/src/scanner/index.ts';
import { commandExists, type Segment } from '../apps/daemon/test/support/scan-lab.ts';
import { DiscoveryLab, page, peakPerDestination, type LabHost } from './discovery-lab.ts';
import { record, today } from './lib.ts';

const SEGMENT: Segment = { bridge: 'br0', cidr: '10.77.110.0/24', gateway: '10.77.110.1' };
const SCANNER = '10.77.110.2';
const LIMIT_MS = 30 * 60_000;

/** 60 hosts spread over the /24 (.3, .7, … .239). */
function labHost(i: number): LabHost {
  const ip = `10.77.110.${3 + 4 * i}`;
  if (i % 3 === 0) {
    // Firewalled: SSH (and on every second one HTTPS too) answers, every other port is dropped.
    const both = i % 2 === 0;
    return {
      ip,
      spec: {
        tcp: [
          { port: 22, mode: 'banner', banner: 'SSH-2.0-OpenSSH_9.6\r\n' },
          ...(both ? [{ port: 443, mode: 'silent' as const }] : []),
        ],
      },
      dropTcp: both ? '{ 1-21, 23-442, 444-65535 }' : '{ 1-21, 23-65535 }',
      tcp: both ? [22, 443] : [22],
      udp: [],
      services: both ? ['SSH', 'Unclaimed Open Ports'] : ['SSH'],
    };
  }
  if (i % 6 === 1) return { ip, tcp: [], udp: [], services: [] };
  switch (i % 4) {
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
        spec: { http: [{ port: 80, kind: 'http', routes: { '*': page('<title>Device</title>') } }] },
        tcp: [80],
        udp: [],
        services: ['Unclaimed Open Ports'],
      };
    case 2:
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

const HOSTS = Array.from({ length: 60 }, (_, i) => labHost(i));
const SAMPLES = [HOSTS[0].ip, HOSTS[2].ip, HOSTS[1].ip];
const seconds = (ms: number) => Math.round(ms / 100) / 10;

const available = await netnsAvailable();
if (!available.ok) throw new Error(available.reason);
for (const tool of ['nmap', 'tcpdump', 'nft'])
  if (!(await commandExists(tool))) throw new Error(`${tool} is missing`);

const normal = resolveScanSettings({ preset: 'normal' });
const estimate = estimateScan(HOSTS.length, 65535, normal, 254);
await sweepStaleLabs();
const lab = new DiscoveryLab({
  segment: SEGMENT,
  scannerIp: SCANNER,
  serverLink: { server: '10.77.111.1/24', scanner: '10.77.111.2/24' },
});

try {
  await lab.start(HOSTS);
  console.log(`lab up: ${HOSTS.length} hosts; estimate ${estimate.duration_s} s`);

  const wire = await lab.synCapture(SAMPLES);
  const { ms } = await lab.discover('default sweep', {}, LIMIT_MS);
  const dropped = await wire.stop();
  const found = await lab.hostsByIp();
  let portsRight = 0;
  let servicesRight = 0;
  const wrong: string[] = [];
  for (const h of HOSTS) {
    const got = found.get(h.ip);
    const tcp = (got?.ports ?? [])
      .filter((p) => p.protocol === 'Tcp')
      .map((p) => p.number)
      .sort((a, b) => a - b);
    if (JSON.stringify(tcp) === JSON.stringify(h.tcp)) portsRight++;
    else wrong.push(`${h.ip} tcp ${tcp.join(',')} ≠ ${h.tcp.join(',')}`);
    const names = (got?.services ?? []).map((s) => s.service_definition).sort();
    if (JSON.stringify(names) === JSON.stringify([...h.services].sort())) servicesRight++;
    else if (got) wrong.push(`${h.ip} services ${names.join(',')} ≠ ${h.services.join(',')}`);
  }
  const peak100 = peakPerDestination(wire.packets, 100);
  const ceiling = maxStartsInWindow(normal.scan_rate_pps, 100 + 5);
  const ours = {
    wall_s: seconds(ms),
    hosts_found: found.size,
    hosts_with_exact_tcp_ports: portsRight,
    hosts_with_expected_services: servicesRight,
    wrong: wrong.slice(0, 20),
    sample_syns: wire.packets.length,
    capture_dropped: dropped,
    peak_syns_per_100ms_one_host: peak100.count,
    ceiling_per_100ms: ceiling,
    peak_host: peak100.dst,
  };
  console.log('scanopy', JSON.stringify(ours));

  const version = (await runCommand('nmap', ['--version'])).stdout.split('\n')[0];
  const t1 = performance.now();
  const nmapRun = await lab.scan.lab.runIn(lab.scannerNs, 'nmap', [
    '-sT',
    '-T4',
    '-p-',
    '-n',
    '--exclude',
    `${SEGMENT.gateway},${SCANNER}`,
    '-oG',
    '-',
    SEGMENT.cidr,
  ]);
  const nmapMs = performance.now() - t1;
  if (nmapRun.code !== 0) throw new Error(`nmap failed: ${nmapRun.stderr}`);
  const nmapOpen = new Map<string, number[]>();
  for (const line of nmapRun.stdout.split('\n')) {
    const m = /^Host: (\S+) .*Ports: (.*?)(\tIgnored|$)/.exec(line);
    if (!m) continue;
    nmapOpen.set(
      m[1],
      [...m[2].matchAll(/(\d+)\/open\/tcp/g)].map((x) => Number(x[1])).sort((a, b) => a - b),
    );
  }
  const nmapRight = HOSTS.filter(
    (h) => JSON.stringify(nmapOpen.get(h.ip) ?? []) === JSON.stringify(h.tcp),
  ).length;
  const nmap = { version, wall_s: seconds(nmapMs), hosts_with_exact_tcp_ports: nmapRight };
  console.log('nmap', JSON.stringify(nmap));

  const ratio = Math.round((ours.wall_s / nmap.wall_s) * 100) / 100;
  const result = { date: today(), hosts: HOSTS.length, addresses: 254, estimate, ours, nmap, ratio };
  const row =
    `| ${today()} | lab24 | netns | /24, 60 live (20 firewalled), normal, all ports: ${ours.wall_s} s into the API ` +
    `(${ours.hosts_found}/60 hosts, ${portsRight} exact ports, ${servicesRight} expected services; estimate ` +
    `${estimate.duration_s} s); nmap -sT -T4 -p-: ${nmap.wall_s} s (${nmapRight} exact); peak SYNs per 100 ms ` +
    `at one host ${ours.peak_syns_per_100ms_one_host} (ceiling ${ceiling}) | ${ratio}× nmap's time |`;
  console.log(`wrote ${record('lab24', result, [row])}`);
} finally {
  await lab.teardown();
}
