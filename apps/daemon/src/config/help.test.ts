import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { helpText, keyDocs } from './help.ts';
import { KEY_SPECS } from './keys.ts';

describe('--help', () => {
  it('lists every key with its env var, flag and default', () => {
    const text = helpText('9.9.9');
    for (const doc of keyDocs()) {
      expect(text).toContain(`  ${doc.key}\n`);
      if (doc.env) expect(text).toContain(`env ${doc.env}`);
      if (doc.flag) expect(text).toContain(`flag ${doc.flag}`);
    }
    expect(text).toContain('flag -d, --daemon-port  env SCANOPY_DAEMON_PORT  default: 60073');
    expect(text).toContain('flag --heartbeat-interval  env SCANOPY_HEARTBEAT_INTERVAL  default: 30');
    expect(keyDocs().map((d) => d.key)).toEqual(KEY_SPECS.map((s) => s.key));
  });
});

describe('docs/configuration.md', () => {
  it('documents every daemon key with its env var, flag and default', () => {
    const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
    const doc = readFileSync(path.join(repoRoot, 'docs/configuration.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Daemon'));
    for (const d of keyDocs()) {
      const row = section.split('\n').find((l) => l.startsWith(`| \`${d.key}\` `));
      expect(row, `${d.key} missing from the Daemon section`).toBeDefined();
      const cells = row!.split('|').map((c) => c.trim());
      expect(cells[2]).toBe(d.env ? `\`${d.env}\`` : '—');
      expect(cells[3]).toBe(d.flag ? `\`${d.flag}\`` : '—');
      const shown =
        d.default === '(none)' ? 'unset' : d.default === '(all)' ? 'empty (all)' : `\`${d.default}\``;
      expect(cells[4]).toBe(shown);
    }
  });
});
