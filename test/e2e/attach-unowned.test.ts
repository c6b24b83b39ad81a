/**
 * Issue 13, end to end in namespaces: a port attached to a guest whose network
 * configuration cloud-init rendered at first boot (a Debian 12 tree: ifupdown stanzas for
 * ens3-ens5 only) comes up with no address and nobody to configure it. `apply` puts the
 * metadata's addresses on it and it answers; after a reboot-equivalent (its addresses and
 * rules flushed, the boot unit's `apply --offline`) it answers again; gone from the
 * metadata and the guest, exactly what was added is gone. And a NIC that appears while a
 * run waits is taken as soon as it is there.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLab, type Lab, type LabNetwork, type LabNic } from '../../mocks/lab/lab.js';
import { e2eAvailability } from '../support/e2e.js';
import { runWaitingForGuest } from '../support/run-waiting.js';

const availability = await e2eAvailability();

const NETWORKS: LabNetwork[] = [
  {
    name: 'net-a',
    v4: { cidr: '203.0.113.0/24', gateway: '203.0.113.1' },
    v6: { cidr: '2001:db8:a::/64', gateway: '2001:db8:a::1' },
  },
  { name: 'net-b', v4: { cidr: '192.0.2.0/24', gateway: '192.0.2.1' } },
];
const GUEST: LabNic[] = [
  { name: 'ens3', mac: 'fa:16:3e:d1:00:01', network: 'net-a', addresses: ['203.0.113.21/24'], primary: true },
  { name: 'ens4', mac: 'fa:16:3e:d1:00:02', network: 'net-a', addresses: ['203.0.113.22/24'] },
  { name: 'ens5', mac: 'fa:16:3e:d1:00:03', network: 'net-b', addresses: ['192.0.2.30/24'] },
];
/** The attached port: two addresses, plugged as a hotplug leaves it (down, no address). */
const ENS6: LabNic = {
  name: 'ens6',
  mac: 'fa:16:3e:d1:00:06',
  network: 'net-a',
  addresses: ['203.0.113.26/24', '2001:db8:a::26/64'],
  unconfigured: true,
};

const link = (id: string, mac: string) => ({ id, type: 'ovs', ethernet_mac_address: mac });
const ipv4 = (id: string, linkId: string, ip: string, gateway: string) => ({
  id,
  type: 'ipv4',
  link: linkId,
  ip_address: ip,
  netmask: '255.255.255.0',
  routes: [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway }],
});
const THREE = {
  links: [link('tap3', GUEST[0]!.mac), link('tap4', GUEST[1]!.mac), link('tap5', GUEST[2]!.mac)],
  networks: [
    ipv4('n3', 'tap3', '203.0.113.21', '203.0.113.1'),
    ipv4('n4', 'tap4', '203.0.113.22', '203.0.113.1'),
    ipv4('n5', 'tap5', '192.0.2.30', '192.0.2.1'),
  ],
  services: [],
};
const FOUR = {
  links: [...THREE.links, link('tap6', ENS6.mac)],
  networks: [
    ...THREE.networks,
    ipv4('n6', 'tap6', '203.0.113.26', '203.0.113.1'),
    {
      id: 'n6v6',
      type: 'ipv6',
      link: 'tap6',
      ip_address: '2001:db8:a::26',
      netmask: 'ffff:ffff:ffff:ffff::',
      routes: [{ network: '::', netmask: '::', gateway: '2001:db8:a::1' }],
    },
  ],
  services: [],
};

/** Debian 12's cloud image as it runs: cloud-init's ENI for the NICs of first boot, ifupdown brought them up. */
const DEBIAN12_TREE: Record<string, string> = {
  'etc/network/interfaces': 'source /etc/network/interfaces.d/*\n',
  'etc/network/interfaces.d/50-cloud-init':
    [
      'auto lo',
      'iface lo inet loopback',
      ...['ens3', 'ens4', 'ens5'].flatMap((name) => [`auto ${name}`, `iface ${name} inet static`]),
    ].join('\n') + '\n',
  'etc/iproute2/rt_tables.d/README': '',
  'run/network/ifstate.ens3': 'ens3\n',
  'run/network/ifstate.ens4': 'ens4\n',
  'run/network/ifstate.ens5': 'ens5\n',
};

async function listTree(root: string, dir = ''): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listTree(root, path)));
    else out.push(`${path}\t${await readFile(join(root, path), 'utf8')}`);
  }
  return out.sort();
}

describe.skipIf(!availability.ok)(`attach with nobody to configure the port (${availability.reason})`, () => {
  let lab: Lab;
  let work: string;
  let root: string;
  let stateDir: string;
  const apply = (...extra: string[]) =>
    lab.multinic(['apply', '--persist', 'auto', '--root', root, '--state-dir', stateDir, ...extra]);
  /** Addresses, links' state, rules and routes of the guest: what "exactly as before" compares. */
  const guestState = async () =>
    (
      await Promise.all([
        lab.exec('guest', 'ip', ['-o', 'addr', 'show']),
        lab.exec('guest', 'ip', ['-o', 'link', 'show']),
        lab.exec('guest', 'ip', ['-4', 'rule']),
        lab.exec('guest', 'ip', ['-6', 'rule']),
        lab.exec('guest', 'ip', ['route', 'show', 'table', 'all']),
        lab.exec('guest', 'ip', ['-6', 'route', 'show', 'table', 'all']),
      ])
    )
      .map((result) => result.stdout.replace(/valid_lft.*$/gm, ''))
      .join('\n');
  const expectAnswers = async (addresses: string[], said: string) => {
    for (const address of addresses) {
      const ok = await lab.answers(address);
      if (!ok)
        process.stderr.write(
          `${address} does not answer\n${said}\n${await guestState()}\n${(await lab.exec('router', 'ip', ['neigh'])).stdout}\n`,
        );
      expect([address, ok]).toEqual([address, true]);
    }
  };

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'multinic-attach-'));
    root = join(work, 'root');
    stateDir = join(work, 'state');
    for (const [path, content] of Object.entries(DEBIAN12_TREE)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
    lab = await createLab({ networks: NETWORKS, nics: GUEST, networkData: THREE });
  });
  afterEach(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if beforeAll failed before it was made
    await lab?.destroy();
    execFileSync('sh', ['-c', `mountpoint -q ${stateDir} && umount -l ${stateDir} || true`]);
    await rm(work, { recursive: true, force: true });
  });

  it('the new port answers after apply, again after a reboot-equivalent, and detach takes back exactly what attach added', async () => {
    const first = await apply();
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toContain('persisted for ifupdown');
    const stateBefore = await guestState();
    const treeBefore = await listTree(root);

    // interface-attach: Nova lists the port, the guest gets a NIC with no address, link down.
    await lab.metadata.setNetworkData(FOUR);
    await lab.addNic(ENS6);
    expect(await lab.answers('203.0.113.26')).toBe(false);
    const attach = await apply('--source', 'metadata', '--wait', '20');
    expect(attach.exitCode, attach.stderr).toBe(0);
    expect(attach.stderr).toContain(
      'ens6 (fa:16:3e:d1:00:06): no network owner configures it: multinic puts on 203.0.113.26/24, 2001:db8:a::26/64 from network_data.json',
    );
    await expectAnswers(
      ['203.0.113.26', '2001:db8:a::26', '203.0.113.21', '203.0.113.22', '192.0.2.30'],
      attach.stderr,
    );
    // The owner's files name only the NICs the owner configures.
    const files = await readdir(join(root, 'etc/network/interfaces.d'));
    expect(files.filter((name) => name.startsWith('multinic-')).sort()).toEqual([
      'multinic-ens3',
      'multinic-ens4',
      'multinic-ens5',
    ]);
    expect((JSON.parse(await readFile(join(stateDir, 'addresses.json'), 'utf8')) as { nics: unknown }).nics).toEqual([
      {
        mac: ENS6.mac,
        iface: 'ens6',
        addresses: [
          { family: 4, address: '203.0.113.26', prefix: 24 },
          { family: 6, address: '2001:db8:a::26', prefix: 64 },
        ],
        linkUp: true,
      },
    ]);

    // A reboot, as far as ens6 goes: its addresses, link state and multinic's rules are gone;
    // the boot unit's command puts everything back from the cached document.
    await lab.exec('guest', 'ip', ['addr', 'flush', 'dev', 'ens6']);
    await lab.exec('guest', 'ip', ['link', 'set', 'ens6', 'down']);
    for (const family of ['-4', '-6']) {
      for (const line of (await lab.exec('guest', 'ip', [family, 'rule', 'show'])).stdout
        .split('\n')
        .filter((rule) => rule.includes(' proto 147'))) {
        const priority = line.split(':')[0]!;
        await lab.exec('guest', 'ip', [family, 'rule', 'del', 'priority', priority]);
      }
    }
    expect(await lab.answers('203.0.113.26')).toBe(false);
    const boot = await apply('--offline', '--wait', '30');
    expect(boot.exitCode, boot.stderr).toBe(0);
    expect(boot.stderr).not.toContain('waiting up to');
    await expectAnswers(['203.0.113.26', '2001:db8:a::26', '203.0.113.22'], boot.stderr);

    // interface-detach, the metadata first (the NIC is still there), then the guest.
    await lab.metadata.setNetworkData(THREE);
    const gone = await apply('--source', 'metadata');
    expect(gone.exitCode, gone.stderr).toBe(0);
    const ens6 = (await lab.exec('guest', 'ip', ['-o', 'addr', 'show', 'dev', 'ens6', 'scope', 'global'])).stdout;
    expect(ens6).toBe('');
    expect((await lab.exec('guest', 'ip', ['-o', 'link', 'show', 'ens6'])).stdout).not.toContain(',UP');
    await lab.removeNic('ens6');
    const after = await apply('--source', 'metadata');
    expect(after.exitCode, after.stderr).toBe(0);
    expect(await guestState()).toBe(stateBefore);
    expect(await listTree(root)).toEqual(treeBefore);
    expect(JSON.parse(await readFile(join(stateDir, 'addresses.json'), 'utf8'))).toEqual({ nics: [] });
  });

  it('a run that fails after the address step takes the addresses off again and sets the link down; the next run configures it (issue 17)', async () => {
    expect((await apply()).exitCode).toBe(0);
    await lab.metadata.setNetworkData(FOUR);
    await lab.addNic(ENS6);
    // Somebody's rule sends what leaves from the new port's address through the main table,
    // ahead of multinic's: verify sees 203.0.113.26 routed by ens3, not ens6, and the run
    // fails after the address step and the routing batch went through.
    const hijack = ['-4', 'rule', 'add', 'from', '203.0.113.26', 'lookup', 'main', 'priority', '5'];
    expect((await lab.exec('guest', 'ip', hijack)).exitCode).toBe(0);
    // The qdisc is left out: a link's first `up` gives it its default one (noop becomes
    // noqueue), which stays after `down`; the flags, the state and the addresses are compared.
    const linksAndAddresses = async () => (await guestState()).replace(/ qdisc \S+/g, '');
    const before = await linksAndAddresses();
    const recordBefore = await readFile(join(stateDir, 'addresses.json'), 'utf8').catch(() => 'absent');
    // A dry run says what it would put on, and changes nothing.
    const dry = await apply('--source', 'metadata', '--dry-run');
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('dry run: would run ip address add 203.0.113.26/24 dev ens6');
    expect(await linksAndAddresses()).toBe(before);
    expect(await readFile(join(stateDir, 'addresses.json'), 'utf8').catch(() => 'absent')).toBe(recordBefore);
    const failed = await apply('--source', 'metadata');
    expect(failed.exitCode, failed.stderr).toBe(70);
    expect(failed.stderr).toContain('no network owner configures it: multinic puts on 203.0.113.26/24');
    expect(failed.stderr).toContain('the guest was put back as it was before this run');
    expect(await linksAndAddresses()).toBe(before);
    expect((await lab.exec('guest', 'ip', ['-o', 'link', 'show', 'ens6'])).stdout).not.toContain(',UP');
    expect(await readFile(join(stateDir, 'addresses.json'), 'utf8').catch(() => 'absent')).toBe(recordBefore);

    expect(
      (
        await lab.exec(
          'guest',
          'ip',
          hijack.map((word) => (word === 'add' ? 'del' : word)),
        )
      ).exitCode,
    ).toBe(0);
    const next = await apply('--source', 'metadata');
    expect(next.exitCode, next.stderr).toBe(0);
    await expectAnswers(['203.0.113.26', '2001:db8:a::26', '203.0.113.21'], next.stderr);
  });

  it('a routing batch the kernel refuses after the port came back: its addresses come off again and addresses.json keeps what it held (issue 17)', async () => {
    expect((await apply()).exitCode).toBe(0);
    await lab.metadata.setNetworkData(FOUR);
    await lab.addNic(ENS6);
    expect((await apply('--source', 'metadata')).exitCode).toBe(0);
    const table = /from 203\.0\.113\.26 lookup (\d+)/.exec((await lab.exec('guest', 'ip', ['-4', 'rule'])).stdout)?.[1];
    expect(table).toBeDefined();
    // Gone from the metadata, still on the guest: multinic takes back its addresses, sets the
    // link down, and ens6 keeps its table. Then somebody puts a route with the key of ens6's
    // subnet route in that table: when the port comes back, the kernel answers "File exists".
    await lab.metadata.setNetworkData(THREE);
    expect((await apply('--source', 'metadata')).exitCode).toBe(0);
    const squatter = ['route', 'add', '203.0.113.0/24', 'dev', 'ens3', 'table', table!];
    expect((await lab.exec('guest', 'ip', squatter)).exitCode).toBe(0);
    const linksAndAddresses = async () => (await guestState()).replace(/ qdisc \S+/g, '');
    const before = await linksAndAddresses();
    const recordBefore = await readFile(join(stateDir, 'addresses.json'), 'utf8');
    expect(JSON.parse(recordBefore)).toEqual({ nics: [] });

    await lab.metadata.setNetworkData(FOUR);
    const refused = await apply('--source', 'metadata');
    expect(refused.exitCode, refused.stderr).toBe(70);
    expect(refused.stderr).toContain('no network owner configures it: multinic puts on 203.0.113.26/24');
    expect(refused.stderr).toMatch(/File exists.*; the guest was put back as it was before this run/);
    expect(await linksAndAddresses()).toBe(before);
    expect(await readFile(join(stateDir, 'addresses.json'), 'utf8')).toBe(recordBefore);

    expect(
      (
        await lab.exec(
          'guest',
          'ip',
          squatter.map((word) => (word === 'add' ? 'del' : word)),
        )
      ).exitCode,
    ).toBe(0);
    const next = await apply('--source', 'metadata');
    expect(next.exitCode, next.stderr).toBe(0);
    await expectAnswers(['203.0.113.26', '2001:db8:a::26'], next.stderr);
  });

  it('a state write that fails after the address step, before any routing changed: the addresses come off again (issue 17)', async () => {
    await mkdir(stateDir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', stateDir]);
    expect((await apply()).exitCode).toBe(0);
    await lab.metadata.setNetworkData(FOUR);
    await lab.addNic(ENS6);
    // A full disk but for one page: addresses.json (one page) is written, the next state
    // file of the run (the sysctl originals, with ens6's) is not.
    execFileSync('sh', ['-c', `dd if=/dev/zero of=${stateDir}/filler bs=4k 2>/dev/null || true`]);
    execFileSync('truncate', ['-s', '-4096', join(stateDir, 'filler')]);
    const linksAndAddresses = async () => (await guestState()).replace(/ qdisc \S+/g, '');
    const before = await linksAndAddresses();
    const failed = await apply('--source', 'metadata');
    expect(failed.exitCode, failed.stderr).toBe(74);
    expect(failed.stderr).toContain('no network owner configures it: multinic puts on 203.0.113.26/24');
    expect(failed.stderr).toMatch(/no space left on device\); the guest was put back as it was before this run/);
    expect(await linksAndAddresses()).toBe(before);
    await expect(readFile(join(stateDir, 'addresses.json'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });

    await rm(join(stateDir, 'filler'));
    const next = await apply('--source', 'metadata');
    expect(next.exitCode, next.stderr).toBe(0);
    await expectAnswers(['203.0.113.26', '2001:db8:a::26'], next.stderr);
  });

  it('a NIC that appears while a run waits is configured as soon as it is there', async () => {
    expect((await apply()).exitCode).toBe(0);
    await lab.metadata.setNetworkData(FOUR);
    const running = apply('--source', 'metadata', '--wait', '60');
    await runWaitingForGuest(lab.names.guest);
    await lab.addNic(ENS6);
    const result = await running;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('waiting up to');
    expect(result.stderr).not.toContain('configuring the others');
    expect(await lab.answers('203.0.113.26')).toBe(true);
    expect(await lab.answers('2001:db8:a::26')).toBe(true);
    // Within the wait's bound, and no `ip monitor` left behind in the guest.
    const pids = (await lab.exec('router', 'ip', ['netns', 'pids', lab.names.guest])).stdout
      .split('\n')
      .filter(Boolean);
    const commands = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')));
    expect(commands.filter((command) => command.startsWith('ip\0-o\0monitor'))).toEqual([]);
  });
});
