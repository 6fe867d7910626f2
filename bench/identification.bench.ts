// Service identification on a 14-host lab (10.77.100.0/24, network namespaces) with known services: our Network
// discovery (`fast` preset, all ports) against `nmap -sT -sV -p-` plus `nmap -sU -sV -p 53,123,161` on the same
// hosts, each scored against the ground truth: `sudo npx tsx bench/identification.bench.ts` (root, iproute2,
// nmap, redis-server, mosquitto). Writes bench/results/identification-<date>.json and a row in docs/benchmarks.md.
import { netnsAvailable, runCommand, sweepStaleLabs } from '@scanopy/lab';
import { commandExists, type Segment } from '../apps/daemon/test/support/scan-lab.ts';
import { DiscoveryLab, page, type LabHost } from './discovery-lab.ts';
import { record, today } from './lib.ts';

const SEGMENT: Segment = { bridge: 'br0', cidr: '10.77.100.0/24', gateway: '10.77.100.1' };
const SCANNER = '10.77.100.2';

const HOSTS: LabHost[] = [
  {
    ip: '10.77.100.11',
    spec: { http: [{ port: 8123, kind: 'http', routes: { '/': page('<title>Home Assistant</title>') } }] },
    tcp: [8123],
    udp: [],
    services: ['Home Assistant'],
  },
  {
    ip: '10.77.100.12',
    spec: { http: [{ port: 80, kind: 'http', routes: { '/': page('<h1>MikroTik RouterOS</h1> v7') } }] },
    tcp: [80],
    udp: [],
    services: ['MikroTik'],
  },
  {
    ip: '10.77.100.13',
    spec: { tcp: [{ port: 22, mode: 'banner', banner: 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n' }] },
    tcp: [22],
    udp: [],
    services: ['SSH'],
  },
  {
    ip: '10.77.100.14',
    spec: { dns: { a: { 'example.com': '203.0.113.7' }, ptr: {} } },
    tcp: [],
    udp: [53],
    services: ['DNS Server'],
  },
  { ip: '10.77.100.15', redis: true, tcp: [6379], udp: [], services: ['Redis'] },
  { ip: '10.77.100.16', tcp: [], udp: [], services: [] },
  {
    ip: '10.77.100.17',
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
  },
  { ip: '10.77.100.18', spec: { ntp: { stratum: 2 } }, tcp: [], udp: [123], services: ['NTP Server'] },
  {
    ip: '10.77.100.19',
    spec: { http: [{ port: 25600, kind: 'http', routes: { '/': page('<title>Komga</title>') } }] },
    tcp: [25600],
    udp: [],
    services: ['Komga'],
  },
  {
    ip: '10.77.100.20',
    spec: { snmp: { community: 'public', sysDescr: 'Lab switch 1.0' } },
    tcp: [],
    udp: [161],
    services: ['SNMP'],
  },
  {
    ip: '10.77.100.21',
    spec: {
      http: [{ port: 8181, kind: 'http', routes: { '/': page('<title>Tautulli</title>') } }],
      tcp: [{ port: 40000, mode: 'silent' }],
    },
    tcp: [8181, 40000],
    udp: [],
    services: ['Tautulli', 'Unclaimed Open Ports'],
  },
  { ip: '10.77.100.22', mqtt: true, tcp: [1883], udp: [], services: ['MQTT'] },
  {
    ip: '10.77.100.23',
    spec: {
      http: [
        {
          port: 80,
          kind: 'http',
          routes: { '/': page('<title>Grafana</title><a href="https://grafana.com/docs">Documentation</a>') },
        },
      ],
    },
    tcp: [80],
    udp: [],
    services: ['Grafana'],
  },
  // A decoy: an SSH server on Redis's port. Naming it needs the banner, not the port number.
  {
    ip: '10.77.100.24',
    spec: { tcp: [{ port: 6379, mode: 'banner', banner: 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n' }] },
    tcp: [6379],
    udp: [],
    services: ['SSH'],
  },
];

/**
 * The ground truth: one row per service a host really runs. `ours` is the catalog definition our discovery must
 * name on that host; `nmap` must match nmap's service name or its product/version text for that port, and a
 * service name nmap marks with "?" (taken from its port table, not confirmed by a probe) counts as a guess, not a
 * correct name. `basis` is what our catalog rule for the expected definition needs: HTTP content, a protocol reply
 * (UDP ports are only reported open when the protocol answers), or only the open TCP port number. The silent port
 * 40000 of .21 is no service at all (ours reports it under the catch-all "Unclaimed Open Ports"), so it is not
 * scored.
 */
type Basis = 'http content' | 'udp reply' | 'port number';
const TRUTH: Array<{
  ip: string;
  proto: 'tcp' | 'udp';
  port: number;
  ours: string;
  basis: Basis;
  nmap: RegExp;
}> = [
  {
    ip: '10.77.100.11',
    proto: 'tcp',
    port: 8123,
    ours: 'Home Assistant',
    basis: 'http content',
    nmap: /home.?assistant/i,
  },
  { ip: '10.77.100.12', proto: 'tcp', port: 80, ours: 'MikroTik', basis: 'http content', nmap: /mikrotik/i },
  { ip: '10.77.100.13', proto: 'tcp', port: 22, ours: 'SSH', basis: 'port number', nmap: /^ssh\b/i },
  { ip: '10.77.100.14', proto: 'udp', port: 53, ours: 'DNS Server', basis: 'udp reply', nmap: /^domain\b/i },
  { ip: '10.77.100.15', proto: 'tcp', port: 6379, ours: 'Redis', basis: 'port number', nmap: /redis/i },
  { ip: '10.77.100.17', proto: 'tcp', port: 8096, ours: 'Emby', basis: 'http content', nmap: /emby/i },
  { ip: '10.77.100.18', proto: 'udp', port: 123, ours: 'NTP Server', basis: 'udp reply', nmap: /^ntp\b/i },
  { ip: '10.77.100.19', proto: 'tcp', port: 25600, ours: 'Komga', basis: 'http content', nmap: /komga/i },
  { ip: '10.77.100.20', proto: 'udp', port: 161, ours: 'SNMP', basis: 'udp reply', nmap: /^snmp\b/i },
  {
    ip: '10.77.100.21',
    proto: 'tcp',
    port: 8181,
    ours: 'Tautulli',
    basis: 'http content',
    nmap: /tautulli/i,
  },
  {
    ip: '10.77.100.22',
    proto: 'tcp',
    port: 1883,
    ours: 'MQTT',
    basis: 'port number',
    nmap: /mqtt|mosquitto/i,
  },
  { ip: '10.77.100.23', proto: 'tcp', port: 80, ours: 'Grafana', basis: 'http content', nmap: /grafana/i },
  { ip: '10.77.100.24', proto: 'tcp', port: 6379, ours: 'SSH', basis: 'port number', nmap: /^ssh\b/i },
];
const CATCH_ALL = 'Unclaimed Open Ports';

const seconds = (ms: number) => Math.round(ms / 100) / 10;

const available = await netnsAvailable();
if (!available.ok) throw new Error(available.reason);
for (const tool of ['nmap', 'redis-server', 'mosquitto'])
  if (!(await commandExists(tool))) throw new Error(`${tool} is missing`);

await sweepStaleLabs();
const lab = new DiscoveryLab({
  segment: SEGMENT,
  scannerIp: SCANNER,
  serverLink: { server: '10.77.101.1/24', scanner: '10.77.101.2/24' },
});

/** nmap's grepable output: `<ip>/<proto>/<port>` → "service version-text" of every open port. */
function parseNmap(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^Host: (\S+) .*Ports: (.*?)(\tIgnored|$)/.exec(line);
    if (!m) continue;
    for (const entry of m[2].split(', ')) {
      // port/state/protocol/owner/service/rpc info/version info/
      const [port, state, proto, , service, , version] = entry.split('/');
      if (state?.startsWith('open'))
        out.set(`${m[1]}/${proto}/${port}`, `${service} ${version ?? ''}`.trim());
    }
  }
  return out;
}

try {
  await lab.start(HOSTS);
  const ips = HOSTS.map((h) => h.ip);
  console.log(`lab up: ${HOSTS.length} hosts`);

  const { ms } = await lab.discover('identification', { scan_preset: 'fast' }, 10 * 60_000);
  const found = await lab.hostsByIp();
  const oursNames = new Map([...found].map(([ip, h]) => [ip, h.services.map((s) => s.service_definition)]));
  const expectedNames = new Map(HOSTS.map((h) => [h.ip, h.services]));
  const oursRows = TRUTH.map((t) => ({
    ...t,
    named: (oursNames.get(t.ip) ?? []).filter((n) => n !== CATCH_ALL).join(', '),
    ok: (oursNames.get(t.ip) ?? []).includes(t.ours),
  }));
  // Names ours gave that no ground-truth row expects (wrong or duplicate identifications).
  const extra = [...oursNames].flatMap(([ip, names]) =>
    names.filter((n) => !(expectedNames.get(ip) ?? []).includes(n)).map((n) => `${ip}: ${n}`),
  );
  const ours = {
    wall_s: seconds(ms),
    correct: oursRows.filter((r) => r.ok).length,
    total: TRUTH.length,
    correct_by_basis: Object.fromEntries(
      (['http content', 'udp reply', 'port number'] as const).map((b) => [
        b,
        `${oursRows.filter((r) => r.basis === b && r.ok).length}/${TRUTH.filter((t) => t.basis === b).length}`,
      ]),
    ),
    extra,
    catch_all_on_silent_port: (oursNames.get('10.77.100.21') ?? []).includes(CATCH_ALL),
  };
  console.log('scanopy', JSON.stringify(ours));

  const version = (await runCommand('nmap', ['--version'])).stdout.split('\n')[0];
  const t1 = performance.now();
  const tcpRun = await lab.scan.lab.runIn(lab.scannerNs, 'nmap', [
    '-sT',
    '-sV',
    '-p-',
    '-T4',
    '-n',
    '-oG',
    '-',
    ...ips,
  ]);
  const tcpMs = performance.now() - t1;
  if (tcpRun.code !== 0) throw new Error(`nmap -sT -sV failed: ${tcpRun.stderr}`);
  const t2 = performance.now();
  const udpRun = await lab.scan.lab.runIn(lab.scannerNs, 'nmap', [
    '-sU',
    '-sV',
    '-p',
    '53,123,161',
    '-n',
    '-oG',
    '-',
    ...ips,
  ]);
  const udpMs = performance.now() - t2;
  if (udpRun.code !== 0) throw new Error(`nmap -sU -sV failed: ${udpRun.stderr}`);
  const nmapPorts = new Map([...parseNmap(tcpRun.stdout), ...parseNmap(udpRun.stdout)]);
  const nmapRows = TRUTH.map((t) => {
    const said = nmapPorts.get(`${t.ip}/${t.proto}/${t.port}`) ?? '(not open)';
    const guess = /^\S+\?/.test(said);
    return {
      ip: t.ip,
      port: `${t.port}/${t.proto}`,
      expected: t.ours,
      said,
      ok: !guess && t.nmap.test(said),
      guess,
    };
  });
  const nmap = {
    version,
    tcp_wall_s: seconds(tcpMs),
    udp_wall_s: seconds(udpMs),
    correct: nmapRows.filter((r) => r.ok).length,
    guessed_right: nmapRows.filter((r) => r.guess && TRUTH[nmapRows.indexOf(r)].nmap.test(r.said)).length,
    total: TRUTH.length,
  };
  console.log('nmap', JSON.stringify(nmap));
  console.table(
    TRUTH.map((t, i) => ({
      host: t.ip,
      port: `${t.port}/${t.proto}`,
      expected: t.ours,
      basis: t.basis,
      scanopy: `${oursRows[i].ok ? 'ok' : 'MISS'} ${oursRows[i].named}`,
      nmap: `${nmapRows[i].ok ? 'ok' : 'MISS'} ${nmapRows[i].said}`,
    })),
  );

  const result = {
    date: today(),
    hosts: HOSTS.length,
    scanopy: { ...ours, rows: oursRows.map(({ nmap: _n, ...r }) => r) },
    nmap: { ...nmap, rows: nmapRows },
  };
  const row =
    `| ${today()} | identification | netns | ${HOSTS.length} hosts, ${TRUTH.length} services: scanopy fast ` +
    `${ours.correct}/${ours.total} named (${ours.wall_s} s; ${extra.length} extra), ` +
    `nmap -sV (TCP -p- -T4, UDP 53,123,161) ${nmap.correct}/${nmap.total} (+${nmap.guessed_right} guessed; ` +
    `${seconds(tcpMs + udpMs)} s) | — |`;
  console.log(`wrote ${record('identification', result, [row])}`);
} finally {
  await lab.teardown();
}
