import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { assertLabAddress, ip, LabError, netnsAvailable, NetnsLab, runCommand } from './netns.ts';

const available = await netnsAvailable();
if (!available.ok && process.env.CI) throw new Error(`CI must run the namespace lab: ${available.reason}`);
const reason = available.ok ? '' : ` (skipped: ${available.reason})`;

describe('assertLabAddress', () => {
  it('accepts addresses inside 10.77.0.0/16 only', () => {
    expect(() => assertLabAddress('10.77.1.2/24')).not.toThrow();
    expect(() => assertLabAddress('10.77.0.0/16')).not.toThrow();
    expect(() => assertLabAddress('10.78.1.2/24')).toThrow(LabError);
    expect(() => assertLabAddress('198.51.100.2/24')).toThrow(/outside the lab range/);
    expect(() => assertLabAddress('10.77.1.2/8')).toThrow(/outside the lab range/);
    expect(() => assertLabAddress('10.77.1.2')).toThrow(/address\/prefix/);
  });

  it('refuses names longer than an interface name can be', () => {
    expect(() => new NetnsLab('sc_prefix_').name('toolongsuffix')).toThrow(/longer than 15/);
  });
});

describe.skipIf(!available.ok)(`NetnsLab${reason}`, () => {
  it('builds a namespace joined to the root namespace and tears it down twice without error', async () => {
    const lab = new NetnsLab();
    try {
      const ns = await lab.addNamespace('t');
      const octet = 100 + (process.pid % 100);
      await lab.addVeth({
        ns,
        nsIfname: 'eth0',
        nsAddress: `10.77.${octet}.2/24`,
        hostSuffix: 'h',
        hostAddress: `10.77.${octet}.1/24`,
      });
      const inside = await lab.runIn(ns, 'ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0']);
      expect(inside.stdout).toContain(`10.77.${octet}.2/24`);
      // A TCP connect from inside the namespace to a listener on the root-side address.
      const listener = net.createServer((s) => s.end('hello'));
      await new Promise<void>((resolve) => listener.listen(0, `10.77.${octet}.1`, resolve));
      const { port } = listener.address() as net.AddressInfo;
      const script = `require('net').connect(${port}, '10.77.${octet}.1').on('data', (d) => { process.stdout.write(d); process.exit(0); }).on('error', () => process.exit(1));`;
      const connect = await lab.runIn(ns, process.execPath, ['-e', script]);
      listener.close();
      expect(connect).toMatchObject({ code: 0, stdout: 'hello' });
      await expect(lab.addAddress('eth0', '198.51.100.1/24', ns)).rejects.toThrow(/outside the lab range/);
    } finally {
      await lab.teardown();
      await lab.teardown();
    }
    expect(await ip('netns', 'list')).not.toContain(lab.prefix);
    expect((await runCommand('ip', ['link', 'show', 'dev', lab.name('h')])).code).not.toBe(0);
  });
});
