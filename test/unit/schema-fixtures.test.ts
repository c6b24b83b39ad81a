import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseNetworkData } from '../../src/schema/parse.js';

const here = fileURLToPath(new URL('../fixtures/', import.meta.url));
const files = [
  ...readdirSync(join(here, 'network_data'))
    .filter((name) => name.endsWith('.json'))
    .map((name) => join('network_data', name)),
  join('guests', 'three-nics.json'),
];

describe('real network_data.json documents (test/fixtures, see SOURCES.md)', () => {
  it('has the documents SOURCES.md lists', () => {
    const sources = readFileSync(join(here, 'network_data', 'SOURCES.md'), 'utf8');
    for (const file of files)
      expect(sources).toContain(`\`${file.replace(/^network_data\//, '').replace(/^guests\//, '../guests/')}\``);
  });

  describe.each(files)('%s', (file) => {
    const json = JSON.parse(readFileSync(join(here, file), 'utf8')) as { links: unknown[]; networks?: unknown[] };
    it('parses, keeping every link and every network of a known type', () => {
      const { data } = parseNetworkData(json);
      expect(data.links).toHaveLength(json.links.length);
      expect(data.networks).toHaveLength(json.networks?.length ?? 0);
      for (const link of data.links)
        expect(link.mac === undefined || /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(link.mac)).toBe(true);
    });
  });

  it('reads the bond and its VLANs of the Open Telekom Cloud bare-metal document', () => {
    const { data } = parseNetworkData(
      JSON.parse(readFileSync(join(here, 'network_data', 'otc-bms-bond-vlan.json'), 'utf8')),
    );
    const bond = data.links.find((link) => link.id === 'interface0');
    expect(bond).toMatchObject({
      kind: 'bond',
      mac: 'fa:16:3e:3f:15:55',
      bond: { memberIds: ['eth0', 'eth1'], mode: '1' },
    });
    expect(data.links.find((link) => link.id === 'interface1')).toMatchObject({
      kind: 'vlan',
      mac: 'fa:16:3e:87:0b:67',
      vlan: { parentId: 'interface0', vlanId: 2315 },
    });
    expect(data.networks.find((network) => network.id === 'network0')).toMatchObject({
      source: 'dhcp',
      gateway: '192.168.66.1',
    });
    expect(data.networks.find((network) => network.id === 'network2')?.address).toEqual({
      address: '192.168.81.99',
      prefix: 22,
    });
  });

  it('reads a metal3 document whose links have names instead of MACs', () => {
    const { data, notes } = parseNetworkData(
      JSON.parse(readFileSync(join(here, 'network_data', 'metal3-bond-vlans-no-mac.json'), 'utf8')),
    );
    expect(data.links.find((link) => link.id === 'eno4')).toMatchObject({ kind: 'physical', name: 'eno4' });
    expect(data.links.find((link) => link.id === 'bond0.41')).toMatchObject({
      kind: 'vlan',
      vlan: { parentId: 'bond0', vlanId: 41 },
    });
    expect(data.links.find((link) => link.id === 'bond0.41')?.mac).toBeUndefined();
    const oam6 = data.networks.find((network) => network.id === 'oam-ipv6');
    expect(oam6).toMatchObject({
      family: 6,
      gateway: '2001:1890:1001:293d::1',
      address: { address: '2001:1890:1001:293d::139', prefix: 64 },
    });
    expect(notes.some((note) => note.message.includes('assuming /64'))).toBe(true);
  });

  it('accepts the unknown link type "cascading" as physical, with a warning', () => {
    const { data, notes } = parseNetworkData(
      JSON.parse(readFileSync(join(here, 'network_data', 'otc-bms-cascading-dhcp.json'), 'utf8')),
    );
    expect(data.links[0]).toMatchObject({ kind: 'physical', mac: 'fa:16:3e:f7:c1:47' });
    expect(notes).toContainEqual({
      level: 'warn',
      message: 'link tap68a9272d-71 (fa:16:3e:f7:c1:47): unknown type "cascading", treated as a physical link',
    });
  });

  const read = (name: string) => parseNetworkData(JSON.parse(readFileSync(join(here, 'network_data', name), 'utf8')));

  it('reads the Rackspace config drive (glean): links typed null are physical NICs, MACs lower case, IPv6 in dotted hex', () => {
    const { data, notes } = read('glean-rax-iad-null-type.json');
    expect(data.links.map((link) => [link.id, link.kind, link.mac])).toEqual([
      ['tap8056a42d-1c', 'physical', 'bc:76:4e:20:d7:2f'],
      ['tap0cf01405-9d', 'physical', 'bc:76:4e:20:d7:33'],
    ]);
    expect(notes.filter((note) => note.message.includes('no type given'))).toHaveLength(2);
    expect(data.networks.find((network) => network.id === 'network1')).toMatchObject({
      family: 6,
      address: { address: '2001:4802:7807:103:be76:4eff:fe20:d72f', prefix: 64 },
      gateway: 'fe80::def',
      routes: [{ family: 6, destination: { address: 'fd30::', prefix: 48 }, gateway: 'fe80::f001' }],
    });
    expect(
      data.networks.find((network) => network.id === 'network2')?.routes.map((route) => route.destination),
    ).toEqual([
      { address: '10.176.0.0', prefix: 12 },
      { address: '10.208.0.0', prefix: 12 },
    ]);
  });

  it("reads glean's liberty document: three bonds, VLANs on a NIC and on a bond, DHCP on bonds and VLANs", () => {
    const { data } = read('glean-liberty-bonds-vlans.json');
    expect(data.links.filter((link) => link.kind === 'bond').map((link) => [link.id, link.bond?.memberIds])).toEqual([
      ['bond0', ['tap234ab34c-f5', 'tap234ab34c-f6']],
      ['bond1', ['tap234ab34c-f7', 'tap234ab34c-f8']],
      ['bond2', ['tap234ab34c-f9', 'tap234ab34c-fa']],
    ]);
    expect(data.links.filter((link) => link.kind === 'vlan').map((link) => [link.id, link.vlan, link.mac])).toEqual([
      ['vlan0', { parentId: 'ethwithvlan', vlanId: 25 }, 'bc:76:4e:12:a4:bc'],
      ['vlan1', { parentId: 'ethwithvlan', vlanId: 26 }, 'bc:76:4e:12:a4:bd'],
      ['vlan2', { parentId: 'bond1', vlanId: 27 }, 'bc:76:4e:12:a4:be'],
    ]);
    expect(data.networks.find((network) => network.id === 'network8')).toMatchObject({
      linkId: 'bond2',
      source: 'static',
      gateway: '192.0.2.1',
    });
    expect(data.networks.filter((network) => network.source === 'dhcp').map((network) => network.linkId)).toEqual([
      'tap8aac87b9-37',
      'vlan0',
      'vlan1',
      'bond0',
      'vlan2',
    ]);
  });

  it("reads Ironic's sample: a prefix inside ip_address and IPv6 route netmasks in dotted hex; gateways off every subnet are left out, with warnings", () => {
    const { data, notes } = read('ironic-json-samples.json');
    expect(data.links.find((link) => link.id === 'bond0')).toMatchObject({
      kind: 'bond',
      bond: { memberIds: ['interface0', 'interface1'], mode: '802.3ad' },
    });
    expect(data.links.find((link) => link.id === 'vlan0')).toMatchObject({
      kind: 'vlan',
      mac: 'a0:36:9f:2c:e8:80',
      vlan: { parentId: 'bond0', vlanId: 101 },
    });
    const v6 = data.networks.find((network) => network.family === 6);
    expect(v6).toMatchObject({ address: { address: '2001:cdba::3257:9652', prefix: 24 } });
    // fd00::1 and fd00::1:1 lie outside 2001:cd00::/24, 11.0.0.1 and 23.253.157.1 outside
    // 10.184.0.0/20 (interface0): the kernel would refuse those routes, so they are left out.
    expect(v6?.gateway).toBeUndefined();
    expect(v6?.routes).toEqual([]);
    expect(notes.map((note) => note.message).filter((message) => message.includes('outside every subnet'))).toEqual([
      'networks[0].routes[0].gateway: 11.0.0.1 is outside every subnet of link "interface0" (10.184.0.0/20); the kernel would refuse a route through it, left out',
      'networks[0].routes[1].gateway: 23.253.157.1 is outside every subnet of link "interface0" (10.184.0.0/20); the kernel would refuse a route through it, left out',
      'networks[1].routes[0].gateway: fd00::1 is outside every subnet of link "interface0" (2001:cd00::/24); the kernel would refuse a route through it, left out',
      'networks[1].routes[1].gateway: fd00::1:1 is outside every subnet of link "interface0" (2001:cd00::/24); the kernel would refuse a route through it, left out',
    ]);
  });

  it('reads cloud-init\'s IPv6 netmask forms: "" means /64 (with a note), "64" is a prefix, upper case is made canonical', () => {
    const { data, notes } = read('cloud-init-net-ipv6-netmask-forms.json');
    expect(data.networks.map((network) => [network.id, network.address])).toEqual([
      ['network0', { address: '172.19.1.34', prefix: 22 }],
      ['network1', { address: '2001:db8::10', prefix: 64 }],
      ['network2', { address: '2001:db9::10', prefix: 64 }],
      ['network3', { address: '2001:db10::10', prefix: 64 }],
    ]);
    expect(data.networks[1]?.gateway).toBe('2001:db8::1');
    expect(notes.map((note) => note.message)).toEqual([expect.stringContaining('network network1: no netmask')]);
  });

  it("reads cloud-init's NETWORK_DATA_3: a tap link, a link typed null, IPv4 and IPv6 on one NIC", () => {
    const { data, notes } = read('cloud-init-configdrive-tap-null-type.json');
    expect(data.links.map((link) => [link.id, link.kind])).toEqual([
      ['tap77a0dc5b-72', 'physical'],
      ['tap7d6b7bec-93', 'physical'],
    ]);
    expect(notes.map((note) => note.message)).toEqual([
      'link tap7d6b7bec-93 (fa:16:3e:a8:14:69): no type given, treated as a physical link',
    ]);
    expect(
      data.networks
        .filter((network) => network.linkId === 'tap77a0dc5b-72')
        .map((network) => [network.family, network.address?.prefix, network.gateway]),
    ).toEqual([
      [4, 25, '172.17.48.1'],
      [6, 64, 'fdb8:52d0:9d14::1'],
    ]);
  });

  it("reads Nova's documented example: one bridge port on DHCP", () => {
    const { data, notes } = read('nova-docs-bridge-dhcp.json');
    expect(data.links).toMatchObject([{ kind: 'physical', type: 'bridge', mac: 'fa:16:3e:9c:bf:3d' }]);
    expect(data.networks).toMatchObject([{ linkId: 'tapcd9f6d46-4a', family: 4, source: 'dhcp' }]);
    expect(data.networks[0]?.address).toBeUndefined();
    expect(notes).toEqual([]);
  });
});
