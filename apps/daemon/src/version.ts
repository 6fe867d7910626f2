import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Sent as X-Daemon-Version and at startup/registration; the server compares it with its own. */
export const DAEMON_VERSION: string = pkg.version;
