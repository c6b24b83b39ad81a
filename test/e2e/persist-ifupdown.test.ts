/**
 * Issue 6 on a real kernel: the ifupdown stanzas restore the routing after a simulated
 * reboot (multinic's rules and tables flushed) when `ifup` runs them, and `ifdown` takes
 * them away; and a second apply rewrites no persisted file, for every backend.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THREE_NIC_GUEST, THREE_NIC_NETWORK_DATA, THREE_NIC_NETWORKS } from '../../mocks/lab/guests.js';
import { createLab, type Lab } from '../../mocks/lab/lab.js';
import { BACKENDS } from '../../src/persist/types.js';
import { e2eAvailability } from '../support/e2e.js';

const availability = await e2eAvailability();
const hasIfup = spawnSync('sh', ['-c', 'command -v ifup']).status === 0;
if (!hasIfup && process.env.CI) throw new Error('missing ifup: apt-get install ifupdown');
const ALL = ['203.0.113.21', '203.0.113.22', '192.0.2.30'];

async function files(root: string): Promise<Map<string, { content: string; mtime: number }>> {
  const result = new Map<string, { content: string; mtime: number }>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(join(root, dir), { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else
        result.set(path, {
          content: await readFile(join(root, path), 'utf8'),
          mtime: (await stat(join(root, path))).mtimeMs,
        });
    }
  };
  await walk('');
  return result;
}

describe.skipIf(!availability.ok || !hasIfup)(
  `persisting on a real guest (${availability.ok ? (hasIfup ? availability.reason : 'no ifup') : availability.reason})`,
  () => {
    let lab: Lab;
    let work: string;
    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), 'multinic-e2e6-'));
      lab = await createLab({
        networks: THREE_NIC_NETWORKS,
        nics: THREE_NIC_GUEST,
        networkData: THREE_NIC_NETWORK_DATA,
      });
    });
    afterAll(async () => {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if beforeAll failed before it was made
      await lab?.destroy();
      await rm(work, { recursive: true, force: true });
    });

    it('ifup restores the routing after a simulated reboot, and ifdown removes it', async () => {
      const root = join(work, 'root-ifupdown');
      const state = join(work, 'state-ifupdown');
      const applied = await lab.multinic([
        'apply',
        '--source',
        'metadata',
        '--persist',
        'ifupdown',
        '--root',
        root,
        '--state-dir',
        state,
      ]);
      expect(applied.exitCode, applied.stderr).toBe(0);
      expect(applied.stderr).toContain('persisted for ifupdown (--persist ifupdown)');
      // Simulated reboot: every rule and table multinic made is gone.
      for (const table of ['10001', '10002', '10003']) {
        await lab.exec('guest', 'ip', ['rule', 'del', 'lookup', table]);
        await lab.exec('guest', 'ip', ['route', 'flush', 'table', table]);
      }
      expect([...(await lab.reachability(ALL)).values()]).toEqual([true, false, false]);

      const ifupState = join(work, 'ifupdown-state');
      const up = async (verb: 'ifup' | 'ifdown', iface: string) => {
        const file = join(root, 'etc/network/interfaces.d', `multinic-${iface}`);
        const result = await lab.exec('guest', verb, [
          '-i',
          file,
          '--state-dir',
          ifupState,
          ...(verb === 'ifdown' ? ['--force'] : []),
          iface,
        ]);
        expect(result.exitCode, `${verb} ${iface}: ${result.stderr}`).toBe(0);
      };
      for (const iface of ['ens3', 'ens4', 'ens5']) await up('ifup', iface);
      expect([...(await lab.reachability(ALL)).values()]).toEqual([true, true, true]);
      const verify = await lab.multinic(['verify', '--state-dir', state]);
      expect(verify.exitCode, verify.stderr).toBe(0);

      // A repeated ifup (ifupdown forgot it was up: a fresh state dir) does not fail on what exists.
      const routingBefore = (await lab.exec('guest', 'ip', ['route', 'show', 'table', 'all'])).stdout;
      const again = await lab.exec('guest', 'ifup', [
        '-i',
        join(root, 'etc/network/interfaces.d/multinic-ens4'),
        '--state-dir',
        join(work, 'fresh-state'),
        'ens4',
      ]);
      expect(again.exitCode, again.stderr).toBe(0);
      expect((await lab.exec('guest', 'ip', ['route', 'show', 'table', 'all'])).stdout).toBe(routingBefore);

      for (const iface of ['ens3', 'ens4', 'ens5']) await up('ifdown', iface);
      const rules = (await lab.exec('guest', 'ip', ['-4', 'rule'])).stdout;
      expect(rules).not.toMatch(/lookup 1000[123]/);
      for (const table of ['10001', '10002', '10003'])
        expect((await lab.exec('guest', 'ip', ['route', 'show', 'table', table])).stdout.trim()).toBe('');
      // ifdown of an `inet manual` stanza takes the link down and flushes its addresses;
      // bring the guest back as it was for the next test.
      for (const nic of THREE_NIC_GUEST) {
        await lab.exec('guest', 'ip', ['link', 'set', nic.name, 'up']);
        for (const address of nic.addresses)
          await lab.exec('guest', 'ip', ['addr', 'replace', address, 'dev', nic.name]);
      }
      await lab.exec('guest', 'ip', ['route', 'replace', 'default', 'via', '203.0.113.1', 'dev', 'ens3']);
    });

    it.each(BACKENDS)('a second apply --persist %s leaves every file byte-identical and unwritten', async (backend) => {
      const root = join(work, `root-${backend}`);
      const state = join(work, `state-${backend}`);
      const first = await lab.multinic([
        'apply',
        '--source',
        'metadata',
        '--persist',
        backend,
        '--root',
        root,
        '--state-dir',
        state,
      ]);
      expect(first.exitCode, first.stderr).toBe(0);
      const before = await files(root);
      expect(before.size).toBeGreaterThan(0);
      await new Promise((done) => setTimeout(done, 20));
      const second = await lab.multinic([
        'apply',
        '--source',
        'metadata',
        '--persist',
        backend,
        '--root',
        root,
        '--state-dir',
        state,
      ]);
      expect(second.exitCode, second.stderr).toBe(0);
      expect(second.stderr).toMatch(/: 0 written, \d+ unchanged, 0 removed/);
      expect(await files(root)).toEqual(before);
    });
  },
);
