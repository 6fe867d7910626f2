/**
 * Whether a share page may show inside a frame of `parent` (an origin like https://wiki.example.com), given the
 * frame-ancestors policy the server sent with the share's data ("frame-ancestors *", "frame-ancestors 'none'" or a
 * list of hosts, `*.example.com` also matching example.com). The HTML page itself comes from the static build
 * without that header, so the viewer applies the server's policy before drawing anything.
 */
export function embedAllowedBy(policy: string | null, parent: string | null): boolean {
  const sources = /frame-ancestors\s+([^;]+)/i
    .exec(policy ?? '')?.[1]
    ?.trim()
    .split(/\s+/) ?? ['*'];
  if (sources.includes('*')) return true;
  if (!parent) return false;
  let host: string;
  let hostPort: string;
  try {
    const url = new URL(parent);
    host = url.hostname.toLowerCase();
    hostPort = url.host.toLowerCase();
  } catch {
    return false;
  }
  return sources.some((raw) => {
    const s = raw.toLowerCase().replace(/^https?:\/\//, '');
    if (s === "'none'") return false;
    if (s === "'self'") return typeof location !== 'undefined' && hostPort === location.host.toLowerCase();
    if (s.startsWith('*.')) return host === s.slice(2) || host.endsWith(s.slice(1));
    return s.includes(':') ? hostPort === s : host === s;
  });
}

/** The origin of the page framing this one, or null when it cannot be told (or there is none). */
export function parentOrigin(): string | null {
  const ancestors = (location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  if (ancestors?.length) return ancestors.item(0);
  try {
    return document.referrer ? new URL(document.referrer).origin : null;
  } catch {
    return null;
  }
}
