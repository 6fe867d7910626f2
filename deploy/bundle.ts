// Bundles the apps for deployment with esbuild, so that no TypeScript loader (tsx) runs in production:
//
//   node --import tsx deploy/bundle.ts daemon   → apps/daemon/dist/scanopy-daemon.mjs  (one file, no node_modules)
//   node --import tsx deploy/bundle.ts server   → apps/server/dist/main.mjs + dist/migrations/
//   node --import tsx deploy/bundle.ts          → both
//
// The daemon bundle holds everything it needs (the workspace packages, pino, the MAC vendor table and its version),
// so it runs with only `node` (20+) installed. The server bundle inlines the workspace packages (@scanopy/*, shipped
// as TypeScript) and every package except PGlite (it loads its wasm and data files next to its own module) and
// argon2 (a native addon), which must stay in node_modules: dist/external-packages.json lists them with their
// versions, for `npm install` beside the bundle (the image and the systemd install do that). The server bundle keeps
// the repository layout around it (apps/server/dist/main.mjs reads ../package.json, dist/migrations and the web
// build at <root>/apps/web/build), which the image reproduces.
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ES modules have no `require`; CommonJS packages inside the bundle (pino, …) call it for Node built-ins.
const requireShim =
  "import { createRequire as __scanopyRequire } from 'node:module';\nconst require = __scanopyRequire(import.meta.url);";

const packageVersion = (dir: string): string =>
  (JSON.parse(readFileSync(path.join(repoRoot, dir, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * Replaces files the daemon reads next to its sources at run time (`new URL(…, import.meta.url)`) by their contents:
 * its version (from package.json) and the MAC vendor table. Fails the build when a file no longer has the expected
 * shape, rather than shipping a bundle that cannot find the file.
 */
function inlineDaemonFiles(): Plugin {
  const rewrites: Record<string, (source: string, dir: string) => string> = {
    'version.ts': () =>
      `export const DAEMON_VERSION: string = ${JSON.stringify(packageVersion('apps/daemon'))};\n`,
    'oui.ts': (source, dir) => {
      const table = readFileSync(path.join(dir, 'oui.tsv'), 'utf8');
      const read = 'readFileSync(DATA_FILE, ';
      if (!source.includes(read)) throw new Error('oui.ts no longer reads DATA_FILE with readFileSync');
      return source.replace(/readFileSync\(DATA_FILE, '[^']*'\)/, JSON.stringify(table));
    },
  };
  return {
    name: 'inline-daemon-files',
    setup(b) {
      const daemonSrc = path.join(repoRoot, 'apps/daemon/src');
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const rewrite = rewrites[path.basename(args.path)];
        const dir = path.dirname(args.path);
        if (!rewrite || !(dir === daemonSrc || dir === path.join(daemonSrc, 'probes'))) return undefined;
        return { contents: rewrite(readFileSync(args.path, 'utf8'), dir), loader: 'ts' };
      });
    },
  };
}

/**
 * Packages that cannot be bundled stay in node_modules: PGlite loads its wasm and data files next to its own module,
 * argon2 loads a native addon from a platform package, and pg's optional native driver is not installed. Everything
 * else is bundled, which also spares Node's ESM loader the CommonJS packages (ajv, …) whose named exports it cannot
 * see.
 */
const serverExternals = ['@electric-sql/pglite', '@node-rs/argon2', 'pg-native'];

function externalPackages(): Plugin {
  return {
    name: 'external-packages',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        const external = serverExternals.some((p) => args.path === p || args.path.startsWith(`${p}/`));
        return external ? { path: args.path, external: true } : undefined;
      });
    },
  };
}

export async function bundleDaemon(outfile = path.join(repoRoot, 'apps/daemon/dist/scanopy-daemon.mjs')) {
  await build({
    entryPoints: [path.join(repoRoot, 'apps/daemon/src/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: `#!/usr/bin/env node\n${requireShim}` },
    plugins: [inlineDaemonFiles()],
    legalComments: 'none',
    logLevel: 'warning',
  });
  return outfile;
}

/** Writes `<root>/apps/server/dist` (the repository by default; tests lay out an install elsewhere). */
export async function bundleServer(root = repoRoot) {
  const dist = path.join(root, 'apps/server/dist');
  rmSync(dist, { recursive: true, force: true });
  await build({
    entryPoints: [path.join(repoRoot, 'apps/server/src/main.ts')],
    outfile: path.join(dist, 'main.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: requireShim },
    plugins: [externalPackages()],
    legalComments: 'none',
    logLevel: 'warning',
  });
  cpSync(path.join(repoRoot, 'apps/server/src/db/migrations'), path.join(dist, 'migrations'), {
    recursive: true,
  });
  // What an install must add beside the bundle (`npm install` in the directory holding apps/), at the versions built
  // against; pg-native is optional and not installed.
  const dependencies = Object.fromEntries(
    serverExternals
      .filter((name) => existsSync(path.join(repoRoot, 'node_modules', name, 'package.json')))
      .map((name) => [name, packageVersion(path.join('node_modules', name))]),
  );
  writeFileSync(
    path.join(dist, 'external-packages.json'),
    `${JSON.stringify({ name: 'scanopy-install', private: true, dependencies }, null, 2)}\n`,
  );
  return dist;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const what = process.argv[2] ?? 'all';
  if (!['all', 'daemon', 'server'].includes(what)) {
    console.error('usage: deploy/bundle.ts [daemon|server|all]');
    process.exit(2);
  }
  if (what !== 'server') console.log(`daemon bundle: ${await bundleDaemon()}`);
  if (what !== 'daemon') console.log(`server bundle: ${await bundleServer()}`);
}
