import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BUNDLE_IN_SERVER_IMAGE,
  DAEMON_BUNDLE,
  DAEMON_IMAGE,
  dockerRunCommand,
  SERVER_IMAGE,
} from '../../apps/web/src/lib/entities/daemons/commands.ts';
import { repoRoot } from './support.ts';

const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');

/** The create-daemon wizard's commands name what deploy/ builds: images, the bundle's path, the state volume. */
describe('the create-daemon wizard and deploy/', () => {
  it('takes the bundle from where the server image keeps it', () => {
    const dockerfile = read('deploy/docker/server.Dockerfile');
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(finalStage).toMatch(/^WORKDIR \/app$/m);
    expect(finalStage).toContain('COPY --from=build /src/apps/daemon/dist apps/daemon/dist');
    expect(BUNDLE_IN_SERVER_IMAGE).toBe(`/app/apps/daemon/dist/${DAEMON_BUNDLE}`);
    expect(read('deploy/bundle.ts')).toContain(`'apps/daemon/dist/${DAEMON_BUNDLE}'`);
  });

  it('uses the image names and the daemon state directory of the compose file and the daemon image', () => {
    const compose = read('deploy/docker-compose.yml');
    expect(compose).toContain(`\${SCANOPY_SERVER_IMAGE:-${SERVER_IMAGE}}`);
    expect(compose).toContain(`\${SCANOPY_DAEMON_IMAGE:-${DAEMON_IMAGE}}`);
    const state = /SCANOPY_CONFIG_PATH=(\S+)\/config\.json/.exec(
      read('deploy/docker/daemon.Dockerfile'),
    )![1]!;
    expect(compose).toContain(`daemon-config:${state}`);
    const run = dockerRunCommand({
      serverUrl: 'http://s:60072',
      networkId: 'n',
      apiKey: 'k',
      name: 'd',
      mode: 'daemon_poll',
    });
    expect(run).toContain(`scanopy-daemon-config:${state}`);
  });
});
