import { describe, expect, it } from 'vitest';
import { mapLinks } from '../../src/links/map.js';
import { parseIpAddr } from '../../src/links/parse-ip-addr.js';
import { aLink, aNetwork, anAddress, anInterface, networkData } from './builders.js';

describe('mapLinks', () => {
  it('matches links to interfaces by MAC, whatever the order of links', () => {
    const data = networkData(
      [aLink({ id: 'b', mac: 'fa:16:3e:00:00:02' }), aLink({ id: 'a', mac: 'fa:16:3e:00:00:01' })],
      [
        aNetwork({ id: 'n1', linkId: 'b', address: { address: '203.0.113.22', prefix: 24 } }),
        aNetwork({ id: 'n0', linkId: 'a', address: { address: '203.0.113.21', prefix: 24 } }),
      ],
    );
    const interfaces = [
      anInterface({ name: 'ens3', mac: 'fa:16:3e:00:00:01', addresses: [anAddress('203.0.113.21', 24)] }),
      anInterface({ name: 'ens4', mac: 'fa:16:3e:00:00:02', addresses: [anAddress('203.0.113.22', 24)] }),
    ];
    const mapping = mapLinks(data, interfaces);
    expect(mapping.nics.map((nic) => [nic.iface, nic.linkId, nic.addresses[0]?.address])).toEqual([
      ['ens4', 'b', '203.0.113.22'],
      ['ens3', 'a', '203.0.113.21'],
    ]);
    expect(mapping.missing).toEqual([]);
  });

  it('reports links that are not on the guest and leaves unlisted interfaces alone', () => {
    const data = networkData([aLink({ id: 'gone', mac: 'fa:16:3e:00:00:09' })], [aNetwork({ linkId: 'gone' })]);
    const mapping = mapLinks(data, [anInterface({ name: 'ens3', mac: 'fa:16:3e:00:00:01' })]);
    expect(mapping.nics).toEqual([]);
    expect(mapping.missing).toEqual([{ linkId: 'gone', mac: 'fa:16:3e:00:00:09' }]);
    expect(mapping.unlisted).toEqual([{ iface: 'ens3', mac: 'fa:16:3e:00:00:01' }]);
    expect(mapping.notes.map((note) => note.message).join('\n')).toContain(
      'link gone (fa:16:3e:00:00:09): no interface with this MAC',
    );
  });

  it('leaves out a static address that is not on the interface, and says which', () => {
    const data = networkData([aLink()], [aNetwork({ address: { address: '203.0.113.99', prefix: 24 } })]);
    const mapping = mapLinks(data, [anInterface({ name: 'ens3', addresses: [anAddress('203.0.113.21', 24)] })]);
    expect(mapping.nics).toEqual([]);
    expect(mapping.notes.some((note) => note.message.includes('ens3') && note.message.includes('203.0.113.99'))).toBe(
      true,
    );
  });

  it('gives one NIC several addresses from several networks, IPv4 and IPv6 mixed', () => {
    const data = networkData(
      [aLink()],
      [
        aNetwork({ id: 'v4a' }),
        aNetwork({ id: 'v4b', address: { address: '203.0.113.31', prefix: 24 } }),
        aNetwork({ id: 'v6', family: 6, address: { address: '2001:db8:a::21', prefix: 64 }, gateway: 'fe80::1' }),
      ],
    );
    const iface = anInterface({
      name: 'ens3',
      addresses: [anAddress('203.0.113.21', 24), anAddress('203.0.113.31', 24), anAddress('2001:db8:a::21', 64)],
    });
    const [nic] = mapLinks(data, [iface]).nics;
    expect(nic?.addresses.map((address) => [address.address, address.gateway])).toEqual([
      ['203.0.113.21', '203.0.113.1'],
      ['203.0.113.31', '203.0.113.1'],
      ['2001:db8:a::21', 'fe80::1'],
    ]);
  });

  it('takes DHCP and SLAAC addresses from the kernel, and the gateway DHCP installed when the metadata has none', () => {
    const data = networkData(
      [aLink()],
      [
        aNetwork({ id: 'dhcp', source: 'dhcp', address: undefined, gateway: undefined }),
        aNetwork({ id: 'ra', family: 6, source: 'slaac', address: undefined, gateway: undefined }),
      ],
    );
    const iface = anInterface({
      name: 'ens3',
      addresses: [
        anAddress('203.0.113.40', 24, { dynamic: true }),
        anAddress('2001:db8:a:0:f816:3eff:fe00:1', 64, { dynamic: true }),
        anAddress('fe80::f816:3eff:fe00:1', 64, { scope: 'link' }),
      ],
    });
    const gateways = new Map([['ens3', { 4: '203.0.113.1', 6: 'fe80::1' }]]);
    const [nic] = mapLinks(data, [iface], gateways).nics;
    expect(nic?.addresses.map((address) => [address.address, address.prefix, address.gateway, address.origin])).toEqual(
      [
        ['203.0.113.40', 24, '203.0.113.1', 'kernel'],
        ['2001:db8:a:0:f816:3eff:fe00:1', 64, 'fe80::1', 'kernel'],
      ],
    );
  });
});

describe('mapLinks on VLAN and bond devices (recorded `ip -j -d addr show` output)', () => {
  // A bond of two NICs and a VLAN (id 101) on top of it, in the shape iproute2 6.1 prints
  // (`linkinfo.info_kind`, `info_data.id`/`protocol`/`flags`, `link`, `master`,
  // `info_slave_data.perm_hwaddr`: ip/iplink_vlan.c, ip/iplink_bond.c). The test machines
  // cannot create these devices (no 8021q, no bonding), so the output is written out here.
  // As on a real host, the slaves and the VLAN carry the bond's MAC.
  const recorded = [
    {
      ifindex: 1,
      ifname: 'lo',
      flags: ['LOOPBACK', 'UP'],
      link_type: 'loopback',
      address: '00:00:00:00:00:00',
      addr_info: [],
    },
    {
      ifindex: 2,
      ifname: 'eno1',
      flags: ['BROADCAST', 'MULTICAST', 'SLAVE', 'UP', 'LOWER_UP'],
      master: 'bond0',
      link_type: 'ether',
      address: 'fa:16:3e:aa:00:01',
      linkinfo: { info_slave_kind: 'bond', info_slave_data: { state: 'ACTIVE', perm_hwaddr: 'fa:16:3e:aa:00:01' } },
      addr_info: [],
    },
    {
      ifindex: 3,
      ifname: 'eno2',
      flags: ['BROADCAST', 'MULTICAST', 'SLAVE', 'UP', 'LOWER_UP'],
      master: 'bond0',
      link_type: 'ether',
      address: 'fa:16:3e:aa:00:01',
      linkinfo: { info_slave_kind: 'bond', info_slave_data: { state: 'BACKUP', perm_hwaddr: 'fa:16:3e:aa:00:02' } },
      addr_info: [],
    },
    {
      ifindex: 4,
      ifname: 'bond0',
      flags: ['BROADCAST', 'MULTICAST', 'MASTER', 'UP', 'LOWER_UP'],
      link_type: 'ether',
      address: 'fa:16:3e:aa:00:01',
      linkinfo: { info_kind: 'bond', info_data: { mode: '802.3ad', miimon: 100 } },
      addr_info: [{ family: 'inet', local: '192.0.2.50', prefixlen: 24, scope: 'global', valid_life_time: 4294967295 }],
    },
    {
      ifindex: 5,
      link: 'bond0',
      ifname: 'bond0.101',
      flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
      link_type: 'ether',
      address: 'fa:16:3e:aa:00:01',
      linkinfo: { info_kind: 'vlan', info_data: { protocol: '802.1Q', id: 101, flags: ['REORDER_HDR'] } },
      addr_info: [
        { family: 'inet', local: '198.51.100.50', prefixlen: 24, scope: 'global', valid_life_time: 4294967295 },
      ],
    },
  ];

  const links = [
    aLink({ id: 'eno1', type: 'phy', mac: 'fa:16:3e:aa:00:01' }),
    aLink({ id: 'eno2', type: 'phy', mac: 'fa:16:3e:aa:00:02' }),
    aLink({
      id: 'bond0',
      type: 'bond',
      kind: 'bond',
      mac: 'fa:16:3e:aa:00:01',
      bond: { memberIds: ['eno1', 'eno2'], mode: '802.3ad' },
    }),
    aLink({ id: 'vlan101', type: 'vlan', kind: 'vlan', mac: undefined, vlan: { parentId: 'bond0', vlanId: 101 } }),
  ];

  it('puts the table on the bond device and on the VLAN device, not on the slaves', () => {
    const data = networkData(links, [
      aNetwork({ id: 'n-bond', linkId: 'bond0', address: { address: '192.0.2.50', prefix: 24 }, gateway: '192.0.2.1' }),
      aNetwork({
        id: 'n-vlan',
        linkId: 'vlan101',
        address: { address: '198.51.100.50', prefix: 24 },
        gateway: '198.51.100.1',
      }),
    ]);
    const mapping = mapLinks(data, parseIpAddr(recorded));
    expect(mapping.nics.map((nic) => [nic.linkId, nic.iface, nic.mac])).toEqual([
      ['bond0', 'bond0', 'fa:16:3e:aa:00:01'],
      // The VLAN has no MAC of its own in the metadata: found by parent and id, keyed by the device's MAC.
      ['vlan101', 'bond0.101', 'fa:16:3e:aa:00:01'],
    ]);
  });

  it('finds a VLAN by its own vlan_mac_address when it has one', () => {
    const withMac = recorded.map((entry) =>
      entry.ifname === 'bond0.101' ? { ...entry, address: 'fa:16:3e:bb:00:09' } : entry,
    );
    const vlanWithMac = links.map((link) => (link.id === 'vlan101' ? { ...link, mac: 'fa:16:3e:bb:00:09' } : link));
    const data = networkData(vlanWithMac, [
      aNetwork({ id: 'n-vlan', linkId: 'vlan101', address: { address: '198.51.100.50', prefix: 24 } }),
    ]);
    const [nic] = mapLinks(data, parseIpAddr(withMac)).nics;
    expect([nic?.iface, nic?.mac]).toEqual(['bond0.101', 'fa:16:3e:bb:00:09']);
  });

  it('reads VLAN ids, parents and bond masters from the recorded output', () => {
    const interfaces = parseIpAddr(recorded);
    const vlan = interfaces.find((iface) => iface.name === 'bond0.101');
    expect([vlan?.kind, vlan?.parent, vlan?.vlanId]).toEqual(['vlan', 'bond0', 101]);
    expect(interfaces.find((iface) => iface.name === 'eno2')?.master).toBe('bond0');
    expect(interfaces.find((iface) => iface.name === 'lo')?.loopback).toBe(true);
  });
});
