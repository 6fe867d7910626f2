import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Reported to clients and daemons; daemons compare it with their own. */
export const SERVER_VERSION: string = pkg.version;
