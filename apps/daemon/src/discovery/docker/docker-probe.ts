import type { HttpResponse } from '@scanopy/detection';
import type { DockerClient } from '../../platform/docker.ts';

/**
 * In-container HTTP probes of Docker discovery (daemon.md §6, service-detection.md §6): each endpoint
 * is requested from inside the container against 127.0.0.1 with whatever client the image has —
 * curl http, curl https (-k), wget http, wget https, python3 urllib http, python3 https (unverified),
 * then bash's /dev/tcp (http only). Each step has a 1 s budget and follows at most 2 redirects where
 * the client allows it. The first step whose output starts with an HTTP status line wins; every step
 * prints its answer as a raw HTTP response (status line, headers, blank line, body).
 */

/** Python step: prints the response (error statuses too) in the same raw form as `curl -i`. */
const PYTHON_PROBE = `import ssl, sys, urllib.error, urllib.request as rq
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
class Redirects(rq.HTTPRedirectHandler):
    max_redirections = 2
opener = rq.build_opener(Redirects(), rq.HTTPSHandler(context=ctx))
try:
    r = opener.open(sys.argv[1], timeout=1)
except urllib.error.HTTPError as e:
    r = e
out = sys.stdout
out.write('HTTP/1.1 %d %s\\r\\n' % (r.getcode(), r.reason or ''))
for k, v in r.headers.items():
    out.write('%s: %s\\r\\n' % (k, v))
out.write('\\r\\n')
out.flush()
sys.stdout.buffer.write(r.read(65536))
`;

/**
 * POSIX sh, run as `sh -c SCRIPT sh PORT PATH PYTHON`: arguments travel as argv, never through a
 * shell parser. Only shell built-ins are relied on besides the clients themselves (minimal images
 * often lack sed, grep or cat). wget prints headers indented by two spaces on stderr (both GNU and
 * BusyBox with -S); they are collected from there and the body from a temporary file, so wget's
 * progress noise (which repeats the URL) never reaches the body a rule looks at. BusyBox wget knows
 * no -T or --max-redirect, so those are passed to GNU wget only, and `timeout` bounds every step
 * where the image has it. Clients are run by their full path: BusyBox's `timeout` would otherwise
 * run its own wget applet instead of the wget the version check looked at.
 */
export const IN_CONTAINER_PROBE_SCRIPT = `p=$1; u=$2; py=$3
h="http://127.0.0.1:$p$u"; s="https://127.0.0.1:$p$u"
have() { command -v "$1" >/dev/null 2>&1; }
bounded() { if have timeout; then timeout 2 "$@"; else "$@"; fi; }
answer() { case "$1" in HTTP/*) printf '%s' "$1"; exit 0;; esac; }
have curl || have wget || have python3 || have bash || {
  echo "no HTTP client (curl, wget, python3, bash) in the container" >&2; exit 4; }
if have curl; then
  answer "$(curl -sS -i -L --max-redirs 2 -m 1 "$h" 2>&1)"
  answer "$(curl -sS -i -k -L --max-redirs 2 -m 1 "$s" 2>&1)"
fi
if have wget; then
  g=""
  w=$(command -v wget)
  case "$("$w" --version 2>&1)" in *"GNU Wget"*) g="-T 1 --max-redirect=2";; esac
  f=$(mktemp 2>/dev/null) || f="/tmp/.scanopy-probe-$$"
  for x in "$h" "$s"; do
    : > "$f" 2>/dev/null
    o=$(bounded "$w" -S $g --no-check-certificate -O "$f" "$x" 2>&1)
    hd=""
    while IFS= read -r l; do
      case "$l" in "  "[!\\ ]*) hd="$hd\${l#  }
";; esac
    done <<EOF
$o
EOF
    case "$hd" in HTTP/*)
      printf '%s\\n' "$hd"
      while IFS= read -r b || [ -n "$b" ]; do printf '%s\\n' "$b"; done < "$f"
      rm -f "$f" 2>/dev/null
      exit 0;;
    esac
  done
  rm -f "$f" 2>/dev/null
fi
if have python3; then
  for x in "$h" "$s"; do answer "$(bounded python3 -c "$py" "$x" 2>&1)"; done
fi
if have bash; then
  answer "$(bounded bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
printf "GET %s HTTP/1.0\\r\\nHost: 127.0.0.1:%s\\r\\nConnection: close\\r\\n\\r\\n" "$2" "$1" >&3
while IFS= read -r -t 1 l <&3 || [ -n "$l" ]; do printf "%s\\n" "$l"; l=""; done' bash "$p" "$u" 2>&1)"
fi
echo "no HTTP client in the container answered for $h" >&2
exit 3
`;

/** The exec command line for one endpoint. */
export function inContainerProbeCommand(port: number, path: string): string[] {
  return ['sh', '-c', IN_CONTAINER_PROBE_SCRIPT, 'sh', String(port), path, PYTHON_PROBE];
}

export interface ParsedHttpResponse {
  status: number;
  /** Lowercased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

const STATUS_LINE = /^HTTP\/\d(?:\.\d)?\s+(\d{3})\b[^\n]*$/;

/**
 * Parses what a probe step printed: one or more raw HTTP header blocks (redirects and 100-continue
 * come first) and the final body. wget's headers arrive as consecutive blocks without blank lines
 * between them; a new status line starts a new block either way. Returns null when the output does
 * not start with a status line.
 */
export function parseHttpOutput(output: string): ParsedHttpResponse | null {
  let rest = output;
  let result: ParsedHttpResponse | null = null;
  for (;;) {
    const lines: string[] = [];
    let offset = 0;
    let ended = false;
    while (offset < rest.length) {
      const nl = rest.indexOf('\n', offset);
      const line = (nl === -1 ? rest.slice(offset) : rest.slice(offset, nl)).replace(/\r$/, '');
      offset = nl === -1 ? rest.length : nl + 1;
      if (line === '') {
        ended = true;
        break;
      }
      lines.push(line);
    }
    if (lines.length === 0 || !STATUS_LINE.test(lines[0])) return result;
    let status = 0;
    let headers: Record<string, string> = {};
    for (const line of lines) {
      const statusMatch = STATUS_LINE.exec(line);
      if (statusMatch) {
        status = Number(statusMatch[1]);
        headers = {};
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    const body = ended ? rest.slice(offset) : '';
    result = { status, headers, body };
    // curl -L and 100-continue print the next block after the blank line.
    const interim = (status >= 300 && status < 400) || (status >= 100 && status < 200);
    if (!interim || !/^HTTP\/\d/.test(body)) return result;
    rest = body;
  }
}

/** Exit codes after which no other endpoint of the container is worth trying. */
const UNUSABLE_EXIT_CODES = new Set([
  4, // the script found no HTTP client
  126, // sh is not executable
  127, // there is no sh
]);

export interface InContainerProbe {
  /** Null when no client in the image produced an HTTP answer. */
  response: HttpResponse | null;
  /** The image cannot run the probe at all (no shell or no HTTP client): skip its other endpoints. */
  unusable: boolean;
  /** What the probe printed (for logs). */
  output: string;
}

/** Requests one endpoint inside a container. Throws when the exec fails or runs past its deadline. */
export async function probeInContainer(
  docker: DockerClient,
  containerId: string,
  endpoint: { port: number; path: string },
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<InContainerProbe> {
  const path = endpoint.path.startsWith('/') ? endpoint.path : `/${endpoint.path}`;
  const out = await docker.exec(containerId, inContainerProbeCommand(endpoint.port, path), opts);
  const parsed = parseHttpOutput(out.combined);
  return {
    response: parsed ? { port: endpoint.port, path: endpoint.path, ...parsed } : null,
    unusable: !parsed && out.exitCode !== null && UNUSABLE_EXIT_CODES.has(out.exitCode),
    output: out.combined,
  };
}
