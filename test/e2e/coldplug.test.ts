/**
 * Issue 13: udev's coldplug at boot replays "add" for every NIC, and each started a
 * multinic@ run after multinic.service, queued on the lock, to change nothing. The units'
 * own commands decide now: multinic.service lists the NICs it covers (name and ifindex)
 * before its run and keeps the list when the run succeeds; multinic@.service's
 * ExecCondition skips a NIC on that list. Run here as systemd would run them (`$$` is `$`,
 * `%I` the instance), with `sh`, in a network namespace made here (its own /sys/class/net)
 * and a private mount namespace with its own /run: the host's NICs and /run are never seen.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eAvailability } from '../support/e2e.js';

const exec = promisify(execFile);
const availability = await e2eAvailability();
const repo = join(import.meta.dirname, '..', '..');

/** The `sh -c` script of a unit line (`Key=/bin/sh -c '...'`), as systemd hands it to sh. */
function shellOf(unit: string, key: string, instance = ''): string {
  const line = new RegExp(`^${key}=-?/bin/sh -c '(.*)'$`, 'm').exec(unit)?.[1];
  if (!line) throw new Error(`no ${key}=/bin/sh -c '...' line`);
  return line.replaceAll('%I', instance).replaceAll('$$', '$');
}

describe.skipIf(!availability.ok)(
  `coldplug at boot starts no multinic@ run the boot unit covered (${availability.reason})`,
  () => {
    const ns = `mncold${randomBytes(3).toString('hex')}`;
    let boot: string;
    let hotplug: string;

    beforeAll(async () => {
      await exec('ip', ['netns', 'add', ns]);
      for (const name of ['ens3', 'ens4'])
        await exec('ip', ['-n', ns, 'link', 'add', name, 'type', 'veth', 'peer', 'name', `p${name}`]);
      boot = await readFile(join(repo, 'cloud-init', 'multinic.service'), 'utf8');
      hotplug = await readFile(join(repo, 'cloud-init', 'multinic@.service'), 'utf8');
    });
    afterAll(async () => {
      await exec('ip', ['netns', 'del', ns]).catch(() => undefined);
    });

    it('skips the coldplug instances of the NICs the boot run covered; runs for an attached NIC, a removed one, a re-attached name, and after a failed boot', async () => {
      const pre = shellOf(boot, 'ExecStartPre');
      const post = /^ExecStartPost=-?(.*)$/m.exec(boot)?.[1] ?? 'false';
      const condition = (nic: string) =>
        `sh -c '${shellOf(hotplug, 'ExecCondition', nic).replaceAll("'", "'\\''")}'; echo "${nic}=$?"`;
      const script = [
        'set -u',
        'mount -t tmpfs tmpfs /run',
        // A boot whose run failed: the list is made, not kept; every instance runs.
        pre,
        condition('ens3'),
        // A boot whose run succeeded.
        pre,
        post,
        condition('ens3'),
        condition('ens4'),
        // Attached after boot; ens4 detached; then a NIC attached under the name ens4 again.
        'ip link add ens6 type veth peer name pens6',
        condition('ens6'),
        'ip link del ens4',
        condition('ens4'),
        'ip link add ens4 type veth peer name pens4b',
        condition('ens4'),
        'cat /run/multinic/boot-nics',
      ].join('\n');
      const { stdout } = await exec('ip', ['netns', 'exec', ns, 'unshare', '-m', 'sh', '-c', script]);
      const lines = stdout.trim().split('\n');
      // ExecCondition: exit 0 runs the unit, 1 skips it.
      expect(lines.filter((line) => /^ens\d=\d+$/.test(line))).toEqual([
        'ens3=0',
        'ens3=1',
        'ens4=1',
        'ens6=0',
        'ens4=0',
        'ens4=0',
      ]);
      // The list names the namespace's NICs (lo, ens3, ens4 and the veth peers), with their ifindex.
      expect(
        lines
          .filter((line) => /^\S+ \d+$/.test(line))
          .map((line) => line.split(' ')[0])
          .sort(),
      ).toEqual(['ens3', 'ens4', 'lo', 'pens3', 'pens4']);
    });
  },
);
