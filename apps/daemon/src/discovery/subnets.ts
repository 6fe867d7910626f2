import type { SubnetType } from '@scanopy/contracts';
import type { OwnAddress } from '../platform/interfaces.ts';
import { cidrContains, networkCidr, parseCidr } from '../platform/ipv4.ts';

/** A subnet this machine has an address in, before the server has assigned it an id. */
export interface SubnetCandidate {
  cidr: string;
  subnet_type: SubnetType;
  /** The interface the type was derived from (the first one seen on this CIDR). */
  interface_name: string;
}

export interface AssignedAddress {
  address: OwnAddress;
  cidr: string;
}

/**
 * Name prefixes → subnet type (daemon.md §5), each matched when followed by a digit or the end of
 * the name. Order matters: DockerBridge's `br-<id>` must win over the plain Linux bridge `br`.
 * wlp/wlo/wls are added to WiFi because systemd names Wi-Fi cards that way, just as the reference
 * lists enp/eno/ens for Ethernet.
 */
const TYPE_RULES: ReadonlyArray<[RegExp, SubnetType]> = [
  [/^docker/, 'DockerBridge'],
  [/^br-[a-z0-9]+$/, 'DockerBridge'],
  [/^(tun|utun|wg|tap|ppp|vpn)(\d|$)/, 'VpnTunnel'],
  [/^(wlan|wifi|wl|wlp|wlo|wls)(\d|$)/, 'WiFi'],
  [/^guest(\d|$)/, 'Guest'],
  [/^iot(\d|$)/, 'IoT'],
  [/^dmz(\d|$)/, 'Dmz'],
  [/^(mgmt|ipmi|bmc)(\d|$)/, 'Management'],
  [/^(iscsi|san|storage)(\d|$)/, 'Storage'],
  [/^(macvlan|mvlan)(\d|$)/, 'MacVlan'],
  [/^ipvlan(\d|$)/, 'IpVlan'],
  [/^(eth|en|eno|enp|ens|br)(\d|$)/, 'Lan'],
];

export function subnetTypeOf(interfaceName: string): SubnetType {
  const name = interfaceName.toLowerCase();
  for (const [re, type] of TYPE_RULES) if (re.test(name)) return type;
  return 'Unknown';
}

export function isVpnInterface(interfaceName: string): boolean {
  return subnetTypeOf(interfaceName) === 'VpnTunnel';
}

/**
 * Turns own addresses into subnets: /32s are dropped except on VPN interfaces, where they are
 * widened to /24 (point-to-point tunnels carry a /32 but route a /24); subnets are de-duplicated by
 * CIDR, and each address is assigned to the longest-prefix subnet that contains it.
 */
export function deriveSubnets(addresses: readonly OwnAddress[]): {
  subnets: SubnetCandidate[];
  assigned: AssignedAddress[];
} {
  const byCidr = new Map<string, SubnetCandidate>();
  const kept: OwnAddress[] = [];
  for (const address of addresses) {
    let prefix = address.prefix;
    if (prefix === 32) {
      if (!isVpnInterface(address.name)) continue;
      prefix = 24;
    }
    const cidr = networkCidr(address.ip, prefix);
    if (!byCidr.has(cidr))
      byCidr.set(cidr, { cidr, subnet_type: subnetTypeOf(address.name), interface_name: address.name });
    kept.push(address);
  }
  const subnets = [...byCidr.values()];
  const assigned: AssignedAddress[] = [];
  for (const address of kept) {
    const cidr = longestMatch(subnets, address.ip);
    if (cidr) assigned.push({ address, cidr });
  }
  return { subnets, assigned };
}

export function longestMatch(subnets: readonly { cidr: string }[], ip: string): string | null {
  let best: { cidr: string; prefix: number } | null = null;
  for (const s of subnets) {
    const parsed = parseCidr(s.cidr);
    if (parsed && cidrContains(parsed, ip) && (!best || parsed.prefix > best.prefix)) {
      best = { cidr: s.cidr, prefix: parsed.prefix };
    }
  }
  return best?.cidr ?? null;
}

/** Docker-owned subnets belong to Docker discovery, not self-report. */
export function withoutDockerSubnets(
  subnets: readonly SubnetCandidate[],
  dockerCidrs: readonly string[],
): { kept: SubnetCandidate[]; dropped: SubnetCandidate[] } {
  const docker = new Set(dockerCidrs);
  const kept: SubnetCandidate[] = [];
  const dropped: SubnetCandidate[] = [];
  for (const s of subnets) (s.subnet_type === 'DockerBridge' || docker.has(s.cidr) ? dropped : kept).push(s);
  return { kept, dropped };
}
