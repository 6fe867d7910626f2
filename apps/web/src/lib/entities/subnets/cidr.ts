/** Why a CIDR is not valid, or null when it is: shown inline under the field while the user types. */
export function cidrProblem(input: string): string | null {
  const v = input.trim();
  if (!v) return 'Enter a CIDR such as 192.168.1.0/24.';
  const slash = v.indexOf('/');
  if (slash < 0) return 'Add the prefix length, e.g. /24.';
  const addr = v.slice(0, slash);
  const prefixText = v.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return 'The prefix length must be a number, e.g. /24.';
  const prefix = Number(prefixText);
  if (addr.includes(':')) {
    if (!isIpv6(addr)) return `“${addr}” is not an IPv6 address.`;
    if (prefix > 128) return 'An IPv6 prefix length is at most 128.';
    return null;
  }
  const octets = addr.split('.');
  if (octets.length !== 4 || octets.some((o) => !/^\d{1,3}$/.test(o) || Number(o) > 255)) {
    return `“${addr}” is not an IPv4 address.`;
  }
  if (prefix > 32) return 'An IPv4 prefix length is at most 32.';
  return null;
}

function isIpv6(addr: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(addr)) return false;
  const halves = addr.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h ? h.split(':') : []));
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? groups.length < 8 : groups.length === 8;
}
