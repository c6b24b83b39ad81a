/**
 * Issue 4, end to end: a flapping metadata service, no metadata service at all, the
 * last-good cache (--offline), and real config drives (vfat and iso9660 images on loop
 * devices, read in user space where the kernel cannot mount them).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { THREE_NIC_GUEST, THREE_NIC_NETWORK_DATA, THREE_NIC_NETWORKS } from '../../mocks/lab/guests.js';
import { createLab, type Lab, type MockConfig } from '../../mocks/lab/lab.js';
import { e2eAvailability } from '../support/e2e.js';

const availability = await e2eAvailability();
const ALL = ['203.0.113.21', '203.0.113.22', '192.0.2.30'];

function has(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const configDriveTools = ['mkfs.vfat', 'mcopy', 'genisoimage', 'losetup', 'blkid'].filter((tool) => !has(tool));
if (configDriveTools.length > 0 && process.env.CI)
  throw new Error(`missing ${configDriveTools.join(', ')} (apt-get install dosfstools mtools genisoimage)`);

async function routingDump(lab: Lab): Promise<string> {
  const parts = await Promise.all([
    lab.exec('guest', 'ip', ['-4', 'rule']),
    lab.exec('guest', 'ip', ['-6', 'rule']),
    lab.exec('guest', 'ip', ['route', 'show', 'table', 'all']),
  ]);
  return parts.map((part) => part.stdout).join('\n');
}

describe.skipIf(!availability.ok)(`where network_data.json comes from (${availability.reason})`, () => {
  let lab: Lab | undefined;
  let work: string;
  const start = async (metadata: false | MockConfig) => {
    lab = await createLab({
      networks: THREE_NIC_NETWORKS,
      nics: THREE_NIC_GUEST,
      networkData: THREE_NIC_NETWORK_DATA,
      metadata,
    });
    return lab;
  };
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'multinic-e2e4-'));
  });
  afterEach(async () => {
    await lab?.destroy();
    lab = undefined;
    await rm(work, { recursive: true, force: true });
  });

  it('succeeds when the first three answers of the metadata service fail', async () => {
    const guest = await start({ failFirst: { count: 3, status: 500 } });
    const result = await guest.multinic(['apply', '--source', 'metadata', '--persist', 'none', '--state-dir', work]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/metadata service not answering yet \(.*HTTP 500\), retry 2 in/);
    expect(result.stderr).toMatch(/retry 4 in/);
    const statuses = (await guest.metadata.requests())
      .filter((request) => request.path.endsWith('network_data.json'))
      .map((request) => request.status);
    expect(statuses).toEqual([500, 500, 500, 200]);
    expect([...(await guest.reachability(ALL)).values()]).toEqual([true, true, true]);
  });

  it('with no metadata service and no cache, exits 69 within the deadline and changes nothing', async () => {
    const guest = await start(false);
    const before = await routingDump(guest);
    const started = Date.now();
    const result = await guest.multinic([
      'apply',
      '--source',
      'metadata',
      '--deadline',
      '3',
      '--timeout',
      '1',
      '--persist',
      'none',
      '--state-dir',
      work,
    ]);
    const took = Date.now() - started;
    expect(result.exitCode).toBe(69);
    expect(result.stderr).toContain(
      'http://169.254.169.254/openstack/latest/network_data.json: no answer within the deadline of 3 s',
    );
    expect(took).toBeLessThan(15_000); // the deadline bounds the run (a generous margin for a busy machine)
    expect(await routingDump(guest)).toBe(before);
    // --offline has no cache to fall back on either, and says where it looked.
    const offline = await guest.multinic(['apply', '--offline', '--persist', 'none', '--state-dir', work]);
    expect(offline.exitCode).toBe(69);
    expect(offline.stderr).toContain(`${work}/network_data.json: no cached network_data.json`);
    expect(await routingDump(guest)).toBe(before);
  });

  it('applies from the last good document with --offline, asking no network', async () => {
    const guest = await start({});
    expect(
      (await guest.multinic(['apply', '--source', 'metadata', '--persist', 'none', '--state-dir', work])).exitCode,
    ).toBe(0);
    // A later boot: rules gone (as after a reboot), metadata service gone.
    for (const table of ['10001', '10002', '10003']) {
      await guest.exec('guest', 'ip', ['rule', 'del', 'lookup', table]);
      await guest.exec('guest', 'ip', ['route', 'flush', 'table', table]);
    }
    await guest.metadata.setConfig({ notFound: true });
    const requestsBefore = (await guest.metadata.requests()).length;
    const result = await guest.multinic(['apply', '--offline', '--persist', 'none', '--state-dir', work]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('(cached, --offline)');
    expect((await guest.metadata.requests()).length).toBe(requestsBefore);
    expect([...(await guest.reachability(ALL)).values()]).toEqual([true, true, true]);
  });

  it('an IPv6-only guest asks fe80::a9fe:a9fe on the interface of its IPv6 default route', async () => {
    const networkData = {
      links: [
        { id: 'tap3', type: 'ovs', ethernet_mac_address: 'fa:16:3e:b6:00:03' },
        { id: 'tap4', type: 'ovs', ethernet_mac_address: 'fa:16:3e:b6:00:04' },
      ],
      networks: [
        {
          id: 'n3',
          type: 'ipv6',
          link: 'tap3',
          ip_address: '2001:db8:a::21',
          netmask: 'ffff:ffff:ffff:ffff::',
          routes: [{ network: '::', netmask: '::', gateway: 'fe80::a9fe:a9fe' }],
        },
        {
          id: 'n4',
          type: 'ipv6',
          link: 'tap4',
          ip_address: '2001:db8:a::22',
          netmask: 'ffff:ffff:ffff:ffff::',
          routes: [{ network: '::', netmask: '::', gateway: 'fe80::a9fe:a9fe' }],
        },
      ],
    };
    lab = await createLab({
      networks: [{ name: 'v6only', v6: { cidr: '2001:db8:a::/64', gateway: '2001:db8:a::1' } }],
      nics: [
        { name: 'ens3', mac: 'fa:16:3e:b6:00:03', network: 'v6only', addresses: ['2001:db8:a::21/64'], primary: true },
        { name: 'ens4', mac: 'fa:16:3e:b6:00:04', network: 'v6only', addresses: ['2001:db8:a::22/64'] },
      ],
      networkData,
    });
    expect([...(await lab.reachability()).values()]).toEqual([true, false]);
    const result = await lab.multinic(['apply', '--source', 'metadata', '--persist', 'none', '--state-dir', work]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('no IPv4 route to 169.254.169.254; asking http://[fe80::a9fe:a9fe%ens3]');
    expect(result.stderr).toContain(
      'network_data.json from http://[fe80::a9fe:a9fe%ens3]/openstack/latest/network_data.json',
    );
    expect([...(await lab.reachability()).values()]).toEqual([true, true]);
  });

  describe.skipIf(configDriveTools.length > 0)(
    `from a config drive (${configDriveTools.length ? `missing ${configDriveTools.join(', ')}` : 'dosfstools, mtools, genisoimage'})`,
    () => {
      const loops: string[] = [];
      afterEach(() => {
        for (const loop of loops.splice(0)) execFileSync('losetup', ['-d', loop]);
      });

      async function configDriveImage(type: 'vfat' | 'iso9660', withNetworkData = true): Promise<string> {
        const tree = join(work, `tree-${type}`);
        await mkdir(join(tree, 'openstack', 'latest'), { recursive: true });
        if (withNetworkData)
          await writeFile(
            join(tree, 'openstack', 'latest', 'network_data.json'),
            JSON.stringify(THREE_NIC_NETWORK_DATA),
          );
        await writeFile(
          join(tree, 'openstack', 'latest', 'meta_data.json'),
          '{"uuid": "00000000-0000-4000-8000-000000000001"}',
        );
        const image = join(work, `config-drive.${type === 'vfat' ? 'img' : 'iso'}`);
        if (type === 'vfat') {
          // As Nova builds it (nova/virt/configdrive.py): a 64 MiB vfat labelled config-2.
          execFileSync('truncate', ['-s', '64M', image]);
          execFileSync('mkfs.vfat', ['-n', 'config-2', image], { stdio: 'ignore' });
          execFileSync('mcopy', ['-s', '-i', image, join(tree, 'openstack'), '::/']);
        } else {
          execFileSync('genisoimage', [
            '-o',
            image,
            '-ldots',
            '-allow-lowercase',
            '-allow-multidot',
            '-l',
            '-V',
            'config-2',
            '-r',
            '-J',
            '-quiet',
            tree,
          ]);
        }
        const loop = execFileSync('losetup', ['-f', '--show', image]).toString().trim();
        loops.push(loop);
        return loop;
      }

      it.each(['vfat', 'iso9660'] as const)(
        'finds a %s config drive labelled config-2 and applies from it, with no metadata service',
        async (type) => {
          const loop = await configDriveImage(type);
          const guest = await start(false);
          const result = await guest.multinic(['apply', '--persist', 'none', '--state-dir', work, '--deadline', '2']);
          expect(result.exitCode, result.stderr).toBe(0);
          expect(result.stderr).toContain(`network_data.json from config drive ${loop} (${type})`);
          expect([...(await guest.reachability(ALL)).values()]).toEqual([true, true, true]);
        },
      );

      it("the hotplug run (multinic@.service's command) asks the metadata service, not the drive, and the attached port answers (issue 13)", async () => {
        const loop = await configDriveImage('vfat');
        const guest = await start({});
        const boot = await guest.multinic(['apply', '--persist', 'none', '--state-dir', work]);
        expect(boot.stderr).toContain(`network_data.json from config drive ${loop} (vfat)`);
        // interface-attach: the metadata service lists the new port; the drive never will.
        const four = structuredClone(THREE_NIC_NETWORK_DATA) as { links: object[]; networks: object[] };
        four.links.push({ id: 'tap-ens6', type: 'ovs', ethernet_mac_address: 'fa:16:3e:a1:00:06' });
        four.networks.push({
          id: 'network6',
          type: 'ipv4',
          link: 'tap-ens6',
          ip_address: '192.0.2.36',
          netmask: '255.255.255.0',
          routes: [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: '192.0.2.1' }],
        });
        await guest.metadata.setNetworkData(four);
        await guest.addNic({
          name: 'ens6',
          mac: 'fa:16:3e:a1:00:06',
          network: 'net-b',
          addresses: ['192.0.2.36/24'],
          unconfigured: true,
        });
        const unit = await readFile(join(import.meta.dirname, '..', '..', 'cloud-init', 'multinic@.service'), 'utf8');
        const env: Record<string, string> = {
          MULTINIC_HOTPLUG_WAIT: '20',
          MULTINIC_HOTPLUG_SOURCE: 'metadata',
          MULTINIC_ARGS: `--persist none --state-dir ${work} --root ${join(work, 'root')}`,
        }; // --root: an empty tree, no network owner
        const argv = (/^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '')
          .split(' ')
          .slice(1) // the program: the lab runs the built CLI
          .flatMap((word) =>
            /^\$[A-Z_]+$/.test(word)
              ? (env[word.slice(1)] ?? '').split(' ').filter(Boolean)
              : [word.replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => env[name] ?? '')],
          );
        expect(argv.slice(0, 3)).toEqual(['apply', '--source', 'metadata']);
        const hotplug = await guest.multinic(argv);
        expect(hotplug.exitCode, hotplug.stderr).toBe(0);
        expect(hotplug.stderr).toContain(
          'network_data.json from http://169.254.169.254/openstack/latest/network_data.json',
        );
        expect(hotplug.stderr).not.toContain('config drive');
        expect([...(await guest.reachability([...ALL, '192.0.2.36'])).values()]).toEqual([true, true, true, true]);
      });

      it('with a config drive and no metadata service, the hotplug run says what can be done without one (exit 69)', async () => {
        await configDriveImage('vfat');
        const guest = await start(false);
        const result = await guest.multinic([
          'apply',
          '--source',
          'metadata',
          '--wait',
          '5',
          '--deadline',
          '2',
          '--persist',
          'none',
          '--state-dir',
          work,
        ]);
        expect(result.exitCode, result.stderr).toBe(69);
        expect(result.stderr).toContain('Only the metadata service lists a port attached after boot');
        expect(result.stderr).toContain('MULTINIC_HOTPLUG_SOURCE=auto');
      });

      it('with a config drive of an older cloud (no network_data.json on it), --source auto asks the metadata service', async () => {
        const loop = await configDriveImage('vfat', false);
        const guest = await start({});
        const result = await guest.multinic(['apply', '--persist', 'none', '--state-dir', work]);
        expect(result.exitCode, result.stderr).toBe(0);
        expect(result.stderr).toContain(`config drive ${loop} (vfat)`);
        expect(result.stderr).toContain('asking the metadata service');
        expect(result.stderr).toContain(
          'network_data.json from http://169.254.169.254/openstack/latest/network_data.json',
        );
        expect([...(await guest.reachability(ALL)).values()]).toEqual([true, true, true]);
      });
    },
  );
});
