/**
 * Whether a share page may show inside a frame of `parent` (an origin like https://wiki.example.com), given the
 * frame-ancestors policy the server sent with the share's data ("frame-ancestors *", "frame-ancestors 'none'" or a
 * list of hosts with an optional port or `:*`, `*.example.com` also matching example.com). The server sends the same
 * header with the share's page, so a browser refuses a frame it does not allow before this runs; the viewer applies
 * the policy too, before drawing anything (a second line, and the message the visitor sees).
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
  let port: string;
  try {
    const url = new URL(parent);
    host = url.hostname.toLowerCase();
    hostPort = url.host.toLowerCase();
    port = url.port || (url.protocol === 'https:' ? '443' : '80');
  } catch {
    return false;
  }
  return sources.some((raw) => {
    const s = raw.toLowerCase().replace(/^https?:\/\//, '');
    if (s === "'none'") return false;
    if (s === "'self'") return typeof location !== 'undefined' && hostPort === location.host.toLowerCase();
    // host[:port], the port a number or * (any); without one, the scheme's default port.
    const m = /^(.*?)(?::(\d+|\*))?$/.exec(s)!;
    const [want, wantPort] = [m[1], m[2]];
    if (wantPort && wantPort !== '*' && wantPort !== port) return false;
    if (!wantPort && port !== '80' && port !== '443') return false;
    if (want.startsWith('*.')) return host === want.slice(2) || host.endsWith(want.slice(1));
    return host === want;
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
