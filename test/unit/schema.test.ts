import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { InvalidNetworkData } from '../../src/errors.js';
import { PHYSICAL_LINK_TYPES, parseNetworkData } from '../../src/schema/parse.js';

const link = (extra: object = {}) => ({ id: 'tap0', type: 'ovs', ethernet_mac_address: 'fa:16:3e:00:00:01', ...extra });
const network = (extra: object = {}) => ({
  id: 'n0',
  type: 'ipv4',
  link: 'tap0',
  ip_address: '203.0.113.21',
  netmask: '255.255.255.0',
  ...extra,
});
const doc = (links: object[], networks: object[], extra: object = {}) => ({ links, networks, ...extra });

describe('the network_data.json format', () => {
  it.each([...PHYSICAL_LINK_TYPES])('accepts link type %s as a physical link, without a warning', (type) => {
    const { data, notes } = parseNetworkData(doc([link({ type })], []));
    expect(data.links[0]?.kind).toBe('physical');
    expect(notes).toEqual([]);
  });

  it.each([
    ['ipv4', 4, 'static'],
    ['ipv6', 6, 'static'],
    ['ipv4_dhcp', 4, 'dhcp'],
    ['ipv6_dhcp', 6, 'dhcpv6-stateful'],
    ['ipv6_slaac', 6, 'slaac'],
    ['ipv6_dhcpv6-stateful', 6, 'dhcpv6-stateful'],
    ['ipv6_dhcpv6-stateless', 6, 'dhcpv6-stateless'],
  ])('reads network type %s', (type, family, source) => {
    const address =
      family === 4
        ? { ip_address: '203.0.113.21', netmask: '255.255.255.0' }
        : { ip_address: '2001:db8:a::21', netmask: '64' };
    const { data } = parseNetworkData(
      doc([link()], [{ id: 'n', type, link: 'tap0', ...(source === 'static' ? address : {}) }]),
    );
    expect(data.networks[0]).toMatchObject({ family, source });
  });

  it.each([
    ['dotted hex', { ip_address: '2001:db8:a::21', netmask: 'ffff:ffff:ffff:ffff::' }, 64],
    ['a prefix string', { ip_address: '2001:db8:a::21', netmask: '64' }, 64],
    ['CIDR inside ip_address', { ip_address: '2001:db8:a::21/56' }, 56],
    ['empty', { ip_address: '2001:db8:a::21', netmask: '' }, 64],
    ['missing', { ip_address: '2001:db8:a::21' }, 64],
  ])('reads an IPv6 netmask given as %s', (_form, fields, prefix) => {
    const { data } = parseNetworkData(doc([link()], [{ id: 'n', type: 'ipv6', link: 'tap0', ...fields }]));
    expect(data.networks[0]?.address?.prefix).toBe(prefix);
  });

  it.each(['::', '::0', '::/0'])('reads the IPv6 default route written %s, with a link-local gateway', (written) => {
    const { data } = parseNetworkData(
      doc(
        [link()],
        [
          {
            id: 'n',
            type: 'ipv6',
            link: 'tap0',
            ip_address: '2001:db8:a::21',
            netmask: '64',
            routes: [{ network: written, netmask: written === '::/0' ? undefined : '::', gateway: 'FE80::1' }],
          },
        ],
      ),
    );
    expect(data.networks[0]).toMatchObject({ gateway: 'fe80::1', routes: [] });
  });

  it('keeps host routes apart from the default route, and passes fields it does not use (mtu, services) unread', () => {
    const { data } = parseNetworkData(
      doc(
        [link({ ethernet_mac_address: 'FA:16:3E:00:00:01', mtu: 1450, vif_id: 'v', some_future_field: { x: 1 } })],
        [
          network({
            network_id: 'net-uuid',
            routes: [
              { network: '0.0.0.0', netmask: '0.0.0.0', gateway: '203.0.113.1' },
              { network: '198.51.100.0', netmask: '255.255.255.128', gateway: '203.0.113.254' },
            ],
            services: [{ type: 'dns', address: '203.0.113.53' }],
          }),
        ],
        { services: [{ type: 'dns', address: '192.0.2.53' }] },
      ),
    );
    expect(data.links[0]).toEqual({ id: 'tap0', type: 'ovs', kind: 'physical', mac: 'fa:16:3e:00:00:01' });
    expect(data.networks[0]).toMatchObject({
      gateway: '203.0.113.1',
      routes: [{ family: 4, destination: { address: '198.51.100.0', prefix: 25 }, gateway: '203.0.113.254' }],
      networkId: 'net-uuid',
    });
    expect(Object.keys(data)).toEqual(['links', 'networks']);
  });

  it('reads VLANs (vlan_mac_address null or set) and bonds, also bond_links on a phy link', () => {
    const { data } = parseNetworkData(
      doc(
        [
          link({ id: 'eth0', type: 'phy' }),
          link({ id: 'eth1', type: 'phy', ethernet_mac_address: 'fa:16:3e:00:00:02' }),
          link({ id: 'bond0', type: 'phy', bond_links: ['eth0', 'eth1'], bond_mode: '802.3ad' }),
          { id: 'vlan100', type: 'vlan', vlan_link: 'bond0', vlan_id: 100, vlan_mac_address: null },
          { id: 'vlan101', type: 'vlan', vlan_link: 'bond0', vlan_id: '101', vlan_mac_address: 'FA:16:3E:00:01:01' },
        ],
        [],
      ),
    );
    expect(data.links.map((l) => [l.id, l.kind, l.mac ?? null, l.vlan?.vlanId ?? null])).toEqual([
      ['eth0', 'physical', 'fa:16:3e:00:00:01', null],
      ['eth1', 'physical', 'fa:16:3e:00:00:02', null],
      ['bond0', 'bond', 'fa:16:3e:00:00:01', null],
      ['vlan100', 'vlan', null, 100],
      ['vlan101', 'vlan', 'fa:16:3e:00:01:01', 101],
    ]);
  });

  it.each([null, undefined, ''])(
    'accepts a link whose type is %s (Rackspace writes null) as physical, with a warning',
    (type) => {
      const { data, notes } = parseNetworkData(doc([link({ type })], [network()]));
      expect(data.links[0]).toMatchObject({ kind: 'physical', mac: 'fa:16:3e:00:00:01' });
      expect(data.networks).toHaveLength(1);
      expect(notes).toEqual([
        { level: 'warn', message: 'link tap0 (fa:16:3e:00:00:01): no type given, treated as a physical link' },
      ]);
    },
  );

  it('ignores a network of an unknown type, with a warning', () => {
    const { data, notes } = parseNetworkData(doc([link()], [network({ type: 'ipv7' })]));
    expect(data.networks).toEqual([]);
    expect(notes[0]?.message).toContain('unknown type "ipv7"');
  });
});

const malformed: [string, unknown, string][] = [
  ['links missing', { networks: [] }, 'links'],
  [
    'a MAC that is not one',
    doc([link({ ethernet_mac_address: 'fa:16:3e:zz:00:01' })], []),
    'links[0].ethernet_mac_address',
  ],
  ['an IPv4 netmask that is not one', doc([link()], [network({ netmask: '255.0.255.0' })]), 'networks[0].netmask'],
  ['an address of the wrong family', doc([link()], [network({ ip_address: '2001:db8::1' })]), 'networks[0].ip_address'],
  ['a network on a link that does not exist', doc([link()], [network({ link: 'tap9' })]), 'networks[0].link'],
  [
    'a route gateway that is not an address',
    doc([link()], [network({ routes: [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: 'router' }] })]),
    'networks[0].routes[0].gateway',
  ],
  [
    'a VLAN id out of range',
    doc([link(), { id: 'v', type: 'vlan', vlan_link: 'tap0', vlan_id: 5000 }], []),
    'links[1].vlan_id',
  ],
  [
    'a VLAN on a link that does not exist',
    doc([{ id: 'v', type: 'vlan', vlan_link: 'nope', vlan_id: 5 }], []),
    'links[0].vlan_link',
  ],
  ['a duplicate link id', doc([link(), link()], []), 'links[1].id'],
  // Issue 14: what would do harm.
  ['no networks key (it would remove every rule)', { links: [link()] }, 'networks'],
  ['networks: null', { links: [link()], networks: null }, 'networks'],
  [
    'two plain links with one MAC',
    doc([link(), link({ id: 'tap1', ethernet_mac_address: 'FA:16:3E:00:00:01' })], []),
    'links[1].ethernet_mac_address',
  ],
  [
    'a VLAN whose parent is itself',
    doc([link(), { id: 'v', type: 'vlan', vlan_link: 'v', vlan_id: 5 }], []),
    'links[1].vlan_link',
  ],
  [
    'a bond whose member is itself',
    doc([link(), { id: 'b', type: 'bond', bond_links: ['tap0', 'b'], ethernet_mac_address: 'fa:16:3e:00:00:09' }], []),
    'links[1].bond_links',
  ],
  ['a netmask of 0', doc([link()], [network({ netmask: '0.0.0.0' })]), 'networks[0].netmask'],
  ['a netmask of "0"', doc([link()], [network({ netmask: '0' })]), 'networks[0].netmask'],
  [
    'a /0 inside ip_address',
    doc([link()], [network({ ip_address: '2001:db8::5/0', type: 'ipv6' })]),
    'networks[0].ip_address',
  ],
  ['a static IPv4 network without netmask', doc([link()], [network({ netmask: undefined })]), 'networks[0].netmask'],
];

describe('documents judged before they act (issue 14)', () => {
  it('applies "networks": [] as what the document says: no networks', () => {
    expect(parseNetworkData({ links: [link()], networks: [] }).data.networks).toEqual([]);
  });

  it('neither refuses nor warns about fields multinic does not use (mtu as text, services not a list), and takes odd ids', () => {
    const { data, notes } = parseNetworkData(
      doc(
        [link({ mtu: 'big', vif_id: 7, bond_mode: 3 })],
        [network({ id: 42, network_id: { odd: true }, services: 'dns' })],
        { services: 5, meta: null },
      ),
    );
    expect(data.links[0]).toMatchObject({ id: 'tap0', mac: 'fa:16:3e:00:00:01' });
    expect(data.networks[0]).toMatchObject({ id: '42', address: { address: '203.0.113.21', prefix: 24 } });
    expect(notes.map((note) => note.message)).toEqual([]);
  });

  it('routes a route network with host bits as its network, with a warning', () => {
    const { data, notes } = parseNetworkData(
      doc(
        [link()],
        [network({ routes: [{ network: '198.51.100.7', netmask: '255.255.255.0', gateway: '203.0.113.1' }] })],
      ),
    );
    expect(data.networks[0]?.routes).toEqual([
      { family: 4, destination: { address: '198.51.100.0', prefix: 24 }, gateway: '203.0.113.1' },
    ]);
    expect(notes[0]?.message).toBe(
      'networks[0].routes[0].network: 198.51.100.7/24 has host bits set; routed as 198.51.100.0/24',
    );
  });

  it('leaves out a route whose gateway is outside every subnet of its link, with a warning naming it', () => {
    const { data, notes } = parseNetworkData(
      doc([link()], [network({ routes: [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: '192.0.2.1' }] })]),
    );
    expect(data.networks[0]?.gateway).toBeUndefined();
    expect(notes[0]?.message).toContain(
      'networks[0].routes[0].gateway: 192.0.2.1 is outside every subnet of link "tap0" (203.0.113.0/24)',
    );
  });

  it("warns about a repeated network id (Ironic's sample has one) instead of refusing it", () => {
    const { data, notes } = parseNetworkData(doc([link()], [network(), network({ ip_address: '203.0.113.31' })]));
    expect(data.networks).toHaveLength(2);
    expect(notes[0]?.message).toBe('networks[1].id: "n0" is also the id of networks[0]; messages name both the same');
  });
});

describe('malformed documents', () => {
  it.each(malformed)('refuses %s, naming %s', (_what, json, path) => {
    let error: unknown;
    try {
      parseNetworkData(json);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidNetworkData);
    const message = (error as Error).message;
    // Our own checks write links[0].mtu; zod's prettified errors write links.0.mtu.
    expect(message.includes(path) || message.includes(path.replace(/\[(\d+)\]/g, '.$1'))).toBe(true);
  });

  it.each(malformed)('multinic plan exits 65 on %s and names %s', async (_what, json, path) => {
    const dir = await mkdtemp(join(tmpdir(), 'multinic-bad-'));
    const file = join(dir, 'network_data.json');
    await writeFile(file, JSON.stringify(json));
    let stderr = '';
    let ranCommands = 0;
    const code = await main(
      ['plan', '--network-data', file, '--state-dir', dir],
      { stdout: () => undefined, stderr: (text) => (stderr += text) },
      async () => {
        ranCommands++;
        return { stdout: '', stderr: '', exitCode: 0 };
      },
    );
    expect(code).toBe(65);
    const zodPath = path.replace(/\[(\d+)\]/g, '.$1'); // zod's prettified paths read links.0.mtu
    expect(stderr.includes(path) || stderr.includes(zodPath)).toBe(true);
    expect(ranCommands).toBe(0); // nothing was read or run on a wrong document
  });

  it('refuses text that is not JSON with exit 65, naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'multinic-bad-'));
    const file = join(dir, 'network_data.json');
    await writeFile(file, '{"links": [');
    let stderr = '';
    const code = await main(['plan', '--network-data', file], {
      stdout: () => undefined,
      stderr: (text) => (stderr += text),
    });
    expect(code).toBe(65);
    expect(stderr).toContain(`${file}: not valid JSON`);
  });
});
