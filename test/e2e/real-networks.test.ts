/**
 * Issue 9, end to end on real kernels: dual-stack guests, several addresses on one port,
 * several ports on one subnet, DHCP/SLAAC addresses, a VLAN (a veth stands in for the
 * VLAN device: the test machines have no 8021q), host routes, and ARP.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab, type LabNetwork, type LabNic } from '../../mocks/lab/lab.js';
import { e2eAvailability } from '../support/e2e.js';

const availability = await e2eAvailability();

const networks: LabNetwork[] = [
  {
    name: 'A',
    v4: { cidr: '203.0.113.0/24', gateway: '203.0.113.1' },
    v6: { cidr: '2001:db8:a::/64', gateway: '2001:db8:a::1' },
  },
  {
    name: 'B',
    v4: { cidr: '192.0.2.0/24', gateway: '192.0.2.1' },
    v6: { cidr: '2001:db8:b::/64', gateway: '2001:db8:b::1' },
  },
];

const MAC = {
  ens3: 'fa:16:3e:09:00:03',
  ens4: 'fa:16:3e:09:00:04',
  ens5: 'fa:16:3e:09:00:05',
  ens6: 'fa:16:3e:09:00:06',
};

const link = (id: string, mac: string) => ({
  id,
  type: 'ovs',
  ethernet_mac_address: mac,
  mtu: 1500,
  vif_id: `vif-${id}`,
});
const v4 = (id: string, linkId: string, ip: string, gateway: string, extraRoutes: object[] = []) => ({
  id,
  type: 'ipv4',
  link: linkId,
  ip_address: ip,
  netmask: '255.255.255.0',
  routes: [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway }, ...extraRoutes],
  network_id: `net-${id}`,
});

async function ownedDump(lab: Lab): Promise<string> {
  const rules4 = await lab.exec('guest', 'ip', ['-j', '-4', 'rule']);
  const rules6 = await lab.exec('guest', 'ip', ['-j', '-6', 'rule']);
  const routes = await lab.exec('guest', 'ip', ['-j', 'route', 'show', 'table', 'all']);
  return [rules4.stdout, rules6.stdout, routes.stdout].join('\n');
}

function answering(reach: Map<string, boolean>): string[] {
  return [...reach]
    .filter(([, ok]) => ok)
    .map(([address]) => address)
    .sort();
}

describe.skipIf(!availability.ok)(`real networks (${availability.reason})`, () => {
  let lab: Lab | undefined;
  let stateDir: string;
  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'multinic-e2e9-'));
  });
  afterEach(async () => {
    await lab?.destroy();
    lab = undefined;
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('dual stack: two NICs on one subnet, one NIC with two IPv4 addresses, IPv6 netmasks in three forms', async () => {
    const nics: LabNic[] = [
      { name: 'ens3', mac: MAC.ens3, network: 'A', addresses: ['203.0.113.21/24', '2001:db8:a::21/64'], primary: true },
      {
        name: 'ens4',
        mac: MAC.ens4,
        network: 'A',
        addresses: ['203.0.113.22/24', '203.0.113.32/24', '2001:db8:a::22/64'],
      },
      { name: 'ens5', mac: MAC.ens5, network: 'B', addresses: ['192.0.2.30/24', '2001:db8:b::30/64'] },
    ];
    const networkData = {
      links: [link('tap-b', MAC.ens4.toUpperCase()), link('tap-a', MAC.ens3), link('tap-c', MAC.ens5)],
      networks: [
        v4('n4-b', 'tap-b', '203.0.113.22', '203.0.113.1'),
        v4('n4-b2', 'tap-b', '203.0.113.32', '203.0.113.1'),
        // the three IPv6 netmask forms Nova writes: dotted hex, a prefix string, CIDR in ip_address
        {
          id: 'n6-b',
          type: 'ipv6',
          link: 'tap-b',
          ip_address: '2001:db8:a::22',
          netmask: 'ffff:ffff:ffff:ffff::',
          routes: [{ network: '::', netmask: '::', gateway: '2001:db8:a::1' }],
        },
        v4('n4-a', 'tap-a', '203.0.113.21', '203.0.113.1'),
        {
          id: 'n6-a',
          type: 'ipv6',
          link: 'tap-a',
          ip_address: '2001:db8:a::21',
          netmask: '64',
          routes: [{ network: '::0', netmask: '0', gateway: '2001:db8:a::1' }],
        },
        v4('n4-c', 'tap-c', '192.0.2.30', '192.0.2.1'),
        {
          id: 'n6-c',
          type: 'ipv6',
          link: 'tap-c',
          ip_address: '2001:db8:b::30/64',
          routes: [{ network: '::/0', gateway: '2001:db8:b::1' }],
        },
      ],
      services: [],
    };
    lab = await createLab({ networks, nics, networkData });
    const all = nics.flatMap((nic) => nic.addresses.map((cidr) => cidr.split('/')[0]!));

    const before = await lab.reachability(all);
    expect(answering(before)).toEqual(['2001:db8:a::21', '203.0.113.21']);

    const run = await lab.multinic(['apply', '--source', 'metadata', '--persist', 'none', '--state-dir', stateDir]);
    expect(run.exitCode, run.stderr).toBe(0);

    const after = await lab.reachability(all);
    expect(answering(after)).toEqual([...all].sort());

    // ARP: the router maps every guest IPv4 address to the MAC of the NIC that owns it,
    // also after its neighbour cache is flushed and filled again by traffic.
    const owner = new Map(
      nics.flatMap((nic) => nic.addresses.filter((a) => !a.includes(':')).map((a) => [a.split('/')[0]!, nic.mac])),
    );
    const neighbours = async () => {
      const dump = await lab!.exec('router', 'ip', ['-j', '-4', 'neigh', 'show']);
      const entries = JSON.parse(dump.stdout || '[]') as { dst: string; lladdr?: string }[];
      return new Map(
        entries.filter((entry) => owner.has(entry.dst) && entry.lladdr).map((entry) => [entry.dst, entry.lladdr]),
      );
    };
    expect(await neighbours()).toEqual(owner);
    await lab.exec('router', 'ip', ['-4', 'neigh', 'flush', 'all']);
    const again = await lab.reachability([...owner.keys()]);
    expect(answering(again)).toEqual([...owner.keys()].sort());
    expect(await neighbours()).toEqual(owner);

    // The sysctls are set on the managed NICs only.
    const sysctl = await lab.exec('guest', 'sysctl', [
      '-n',
      'net.ipv4.conf.ens4.arp_ignore',
      'net.ipv4.conf.ens4.arp_announce',
      'net.ipv4.conf.ens4.rp_filter',
      'net.ipv4.conf.all.arp_ignore',
    ]);
    expect(sysctl.stdout.trim().split('\n')).toEqual(['1', '2', '2', '0']);

    // A rerun changes nothing.
    const dump = await ownedDump(lab);
    const rerun = await lab.multinic(['apply', '--source', 'metadata', '--persist', 'none', '--state-dir', stateDir]);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain('no changes');
    expect(await ownedDump(lab)).toBe(dump);
  });

  it('DHCP and SLAAC: addresses and the DHCP gateway come from the kernel', async () => {
    const nics: LabNic[] = [
      { name: 'ens3', mac: MAC.ens3, network: 'A', addresses: ['203.0.113.21/24', '2001:db8:a::21/64'], primary: true },
      // What a DHCP client and SLAAC leave on the interface: addresses with a lifetime.
      {
        name: 'ens4',
        mac: MAC.ens4,
        network: 'A',
        addresses: ['203.0.113.40/24', '2001:db8:a::40/64'],
        lifetime: 3600,
        allowedAddresses: ['203.0.113.41'],
      },
    ];
    const networkData = {
      links: [link('tap-a', MAC.ens3), link('tap-b', MAC.ens4)],
      networks: [
        v4('n4-a', 'tap-a', '203.0.113.21', '203.0.113.1'),
        {
          id: 'n6-a',
          type: 'ipv6',
          link: 'tap-a',
          ip_address: '2001:db8:a::21',
          netmask: 'ffff:ffff:ffff:ffff::',
          routes: [{ network: '::', netmask: '::', gateway: '2001:db8:a::1' }],
        },
        // No gateway in the metadata: multinic must take the one DHCP / the RA installed.
        { id: 'n4-b', type: 'ipv4_dhcp', link: 'tap-b', network_id: 'net-a' },
        { id: 'n6-b', type: 'ipv6_slaac', link: 'tap-b', network_id: 'net-a6' },
      ],
      services: [],
    };
    lab = await createLab({ networks, nics, networkData });
    // The default routes DHCP and the router advertisement would install, with a worse metric than the primary's.
    await lab.exec('guest', 'ip', [
      'route',
      'add',
      'default',
      'via',
      '203.0.113.1',
      'dev',
      'ens4',
      'metric',
      '200',
      'proto',
      'dhcp',
    ]);
    await lab.exec('guest', 'ip', [
      '-6',
      'route',
      'add',
      'default',
      'via',
      '2001:db8:a::1',
      'dev',
      'ens4',
      'metric',
      '2048',
      'proto',
      'ra',
    ]);
    const dynamic = ['203.0.113.40', '2001:db8:a::40'];
    expect(answering(await lab.reachability(dynamic))).toEqual([]);

    const run = await lab.multinic(['apply', '--source', 'metadata', '--persist', 'none', '--state-dir', stateDir]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(answering(await lab.reachability(['203.0.113.21', '2001:db8:a::21', ...dynamic]))).toEqual([
      '2001:db8:a::21',
      '2001:db8:a::40',
      '203.0.113.21',
      '203.0.113.40',
    ]);

    // The lease changes: the new address is followed, the old rule goes.
    await lab.exec('guest', 'ip', ['addr', 'del', '203.0.113.40/24', 'dev', 'ens4']);
    await lab.exec('guest', 'ip', [
      'addr',
      'add',
      '203.0.113.41/24',
      'dev',
      'ens4',
      'valid_lft',
      '3600',
      'preferred_lft',
      '3600',
    ]);
    await lab.exec('guest', 'ip', [
      'route',
      'replace',
      'default',
      'via',
      '203.0.113.1',
      'dev',
      'ens4',
      'metric',
      '200',
      'proto',
      'dhcp',
    ]);
    const rerun = await lab.multinic(['apply', '--source', 'metadata', '--persist', 'none', '--state-dir', stateDir]);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(await lab.answers('203.0.113.41')).toBe(true);
    const rules = await lab.exec('guest', 'ip', ['-4', 'rule']);
    expect(rules.stdout).toContain('from 203.0.113.41 lookup');
    expect(rules.stdout).not.toContain('203.0.113.40');
  });

  it('a VLAN link (a veth standing in for the VLAN device) and host routes from the metadata', async () => {
    const nics: LabNic[] = [
      { name: 'ens3', mac: MAC.ens3, network: 'A', addresses: ['203.0.113.21/24'], primary: true },
      // Stands in for the VLAN device ens3.101 that would carry 192.0.2.60.
      { name: 'vlan101', mac: MAC.ens6, network: 'B', addresses: ['192.0.2.60/24'] },
    ];
    const networkData = {
      links: [
        link('tap-a', MAC.ens3),
        { id: 'vlan101', type: 'vlan', vlan_link: 'tap-a', vlan_id: 101, vlan_mac_address: MAC.ens6.toUpperCase() },
      ],
      networks: [
        v4('n4-a', 'tap-a', '203.0.113.21', '203.0.113.1'),
        // No default route on the VLAN network, only a host route toward the client's subnet.
        {
          id: 'n4-v',
          type: 'ipv4',
          link: 'vlan101',
          ip_address: '192.0.2.60',
          netmask: '255.255.255.0',
          routes: [{ network: '198.51.100.0', netmask: '255.255.255.128', gateway: '192.0.2.1' }],
        },
      ],
      services: [],
    };
    lab = await createLab({ networks, nics, networkData });
    expect(await lab.answers('192.0.2.60')).toBe(false);

    const run = await lab.multinic(['apply', '--source', 'metadata', '--persist', 'none', '--state-dir', stateDir]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(await lab.answers('192.0.2.60')).toBe(true);

    const status = JSON.parse((await lab.multinic(['status', '--json', '--state-dir', stateDir])).stdout) as {
      nics: { iface: string; table: number }[];
    };
    const table = status.nics.find((nic) => nic.iface === 'vlan101')?.table;
    expect(table).toBeDefined();
    const routes = await lab.exec('guest', 'ip', ['-4', 'route', 'show', 'table', String(table)]);
    expect(routes.stdout).toContain('198.51.100.0/25 via 192.0.2.1 dev vlan101');

    const verify = await lab.multinic(['verify', '--state-dir', stateDir]);
    expect(verify.exitCode, verify.stderr).toBe(0);
    expect(verify.stderr).toMatch(
      /replies from 192\.0\.2\.60 to 198\.51\.100\.\d+ leave vlan101 via 192\.0\.2\.1 \(table \d+\)/,
    );

    // Take the host route away by hand: verify must notice.
    await lab.exec('guest', 'ip', ['route', 'del', '198.51.100.0/25', 'table', String(table)]);
    const broken = await lab.multinic(['verify', '--state-dir', stateDir]);
    expect(broken.exitCode).not.toBe(0);
  });
});
