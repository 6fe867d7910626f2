import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleDaemon } from '../bundle.ts';
import { cleanEnv, execStart, repoRoot, serviceLines, tempDir, unitsDir } from './support.ts';

const run = promisify(execFile);
const units = ['scanopy-server.service', 'scanopy-daemon.service'];
const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
const skipReason = analyze ? null : 'systemd-analyze not installed (apt-get install systemd)';
if (skipReason && process.env.CI) throw new Error(`CI must verify the systemd units: ${skipReason}`);

/**
 * The units in deploy/systemd are what docs/deployment.md installs: systemd must accept them without a warning, and
 * what their ExecStart runs (the bundles at the documented paths, with their flags and commands) must exist.
 */
describe(`systemd units${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const dir = tempDir('systemd');
  let daemonBundle = '';
  beforeAll(async () => {
    daemonBundle = await bundleDaemon(path.join(dir, 'scanopy-daemon.mjs'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(skipReason !== null)('pass systemd-analyze verify without a warning', async () => {
    for (const unit of units) {
      let text = readFileSync(path.join(unitsDir, unit), 'utf8');
      // The units run Debian's /usr/bin/node; on a machine whose node lives elsewhere, verify with that one.
      if (!existsSync('/usr/bin/node')) text = text.replaceAll('/usr/bin/node', process.execPath);
      writeFileSync(path.join(dir, unit), text);
    }
    const { stdout, stderr } = await run(analyze!, ['verify', '--man=no', ...units.map((u) => `./${u}`)], {
      cwd: dir,
    }).catch((err: { stdout: string; stderr: string }) => {
      throw new Error(`systemd-analyze verify failed:\n${err.stderr}${err.stdout}`);
    });
    expect(stderr + stdout).toBe('');
  });

  it('run node on the daemon bundle with flags the daemon accepts', async () => {
    const [node, bundle, ...flags] = execStart('scanopy-daemon.service');
    expect(node).toBe('/usr/bin/node');
    expect(path.basename(bundle!)).toBe(path.basename(daemonBundle));
    expect(flags.length).toBeGreaterThan(0);
    // The daemon refuses an unknown flag with exit code 2 before it looks at --version.
    copyFileSync(daemonBundle, path.join(dir, 'daemon.mjs'));
    const { stdout } = await run(process.execPath, [path.join(dir, 'daemon.mjs'), ...flags, '--version'], {
      cwd: dir,
      env: cleanEnv({}),
    });
    expect(stdout).toMatch(/^scanopy-daemon \d+\.\d+\.\d+/);
    // The state directory systemd creates is where the daemon keeps its id and key.
    const state = serviceLines('scanopy-daemon.service').find(([k]) => k === 'StateDirectory')![1];
    expect(flags.join(' ')).toContain(`/var/lib/${state}/`);
  });

  it('run the server bundle with settings the server reads', async () => {
    const [node, main, ...args] = execStart('scanopy-server.service');
    expect(node).toBe('/usr/bin/node');
    // deploy/bundle.ts writes apps/server/dist/main.mjs, installed under /opt/scanopy.
    expect(main).toBe('/opt/scanopy/apps/server/dist/main.mjs');
    expect(args).toEqual(['serve']);
    // That the bundle knows the command is checked where the bundle is built (install.test.ts).
    // Every variable the unit sets is a setting the server reads.
    const config = readFileSync(path.join(repoRoot, 'docs/configuration.md'), 'utf8');
    const envs = serviceLines('scanopy-server.service')
      .filter(([k]) => k === 'Environment')
      .flatMap(([, v]) => v.split(/\s+/).map((kv) => kv.split('=')[0]!))
      .filter((name) => name.startsWith('SCANOPY_'));
    expect(envs.length).toBeGreaterThan(0);
    for (const name of envs) expect(config).toContain(`\`${name}\``);
    const state = serviceLines('scanopy-server.service').find(([k]) => k === 'StateDirectory')![1];
    expect(envs).toContain('SCANOPY_DATA_DIR');
    expect(
      serviceLines('scanopy-server.service').find(
        ([k, v]) => k === 'Environment' && v.includes('DATA_DIR'),
      )![1],
    ).toContain(`SCANOPY_DATA_DIR=/var/lib/${state}`);
  });
});
