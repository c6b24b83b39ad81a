import { describe, expect, it } from 'vitest';
import { emptyState } from '../../src/plan/allocate.js';
import { toShellLines } from '../../src/plan/ip-commands.js';
import { plan } from '../../src/plan/plan.js';
import type { RoutingState } from '../../src/plan/types.js';
import type { Mapping, Nic } from '../../src/model/types.js';
import { aNic, aNicAddress } from './builders.js';

const nothingLive: RoutingState = { routes: [], rules: [] };

function mappingOf(nics: Nic[]): Mapping {
  return { nics, missing: [], unlisted: [], absentAddresses: [], notes: [] };
}

const ens3 = aNic({
  mac: 'fa:16:3e:00:00:01',
  iface: 'ens3',
  addresses: [aNicAddress('203.0.113.21', 24, { gateway: '203.0.113.1' })],
});
const ens4 = aNic({
  mac: 'fa:16:3e:00:00:02',
  iface: 'ens4',
  addresses: [aNicAddress('203.0.113.22', 24, { gateway: '203.0.113.1' })],
});
const ens5 = aNic({
  mac: 'fa:16:3e:00:00:03',
  iface: 'ens5',
  addresses: [aNicAddress('192.0.2.30', 24, { gateway: '192.0.2.1' })],
});

describe('plan', () => {
  it('a VLAN that shares its MAC with the bond under it (as Nova and Ironic write vlan_mac_address) gets a table of its own, kept across runs', () => {
    const mac = 'fa:16:3e:b1:00:03';
    const bond = aNic({
      mac,
      iface: 'bond0',
      linkId: 'bond0',
      kind: 'bond',
      addresses: [aNicAddress('203.0.113.41', 24, { gateway: '203.0.113.1' })],
    });
    const vlan = aNic({
      mac,
      iface: 'bond0.602',
      linkId: 'vlan602',
      kind: 'vlan',
      addresses: [aNicAddress('192.0.2.200', 26, { gateway: '192.0.2.193' })],
    });
    const first = plan({ mapping: mappingOf([vlan, bond]), owned: nothingLive, state: emptyState() });
    expect(first.nics.map((nic) => [nic.iface, nic.mac, nic.table])).toEqual([
      ['bond0.602', mac, 10001],
      ['bond0', mac, 10002],
    ]);
    expect(
      first.desired.routes
        .filter((route) => route.dst === 'default')
        .map((route) => [route.table, route.via, route.dev]),
    ).toEqual([
      [10001, '192.0.2.193', 'bond0.602'],
      [10002, '203.0.113.1', 'bond0'],
    ]);
    const again = plan({ mapping: mappingOf([bond, vlan]), owned: nothingLive, state: first.state });
    expect(again.nics.map((nic) => [nic.iface, nic.table])).toEqual([
      ['bond0', 10002],
      ['bond0.602', 10001],
    ]);
  });

  it('gives each NIC a table with its subnet route (src, dev), its default route, and three rules per address', () => {
    const result = plan({ mapping: mappingOf([ens3, ens4]), owned: nothingLive, state: emptyState() });
    expect(result.nics.map((nic) => [nic.iface, nic.table, nic.priority])).toEqual([
      ['ens3', 10001, 10001],
      ['ens4', 10002, 10002],
    ]);
    expect(result.desired.routes).toContainEqual({
      family: 4,
      table: 10002,
      dst: '203.0.113.0/24',
      dev: 'ens4',
      src: '203.0.113.22',
      scope: 'link',
    });
    expect(result.desired.routes).toContainEqual({
      family: 4,
      table: 10002,
      dst: 'default',
      via: '203.0.113.1',
      dev: 'ens4',
    });
    // Tier 1: the managed subnets through the NIC's table; tier 2: the main table's specific
    // routes (containers, tunnels); tier 3: everything else through the NIC's table.
    expect(result.desired.rules).toEqual([
      { family: 4, priority: 10001, from: '203.0.113.21/32', to: '203.0.113.0/24', table: 10001 },
      { family: 4, priority: 12001, from: '203.0.113.21/32', table: 254, suppressPrefixlength: 0 },
      { family: 4, priority: 14001, from: '203.0.113.21/32', table: 10001 },
      { family: 4, priority: 10002, from: '203.0.113.22/32', to: '203.0.113.0/24', table: 10002 },
      { family: 4, priority: 12002, from: '203.0.113.22/32', table: 254, suppressPrefixlength: 0 },
      { family: 4, priority: 14002, from: '203.0.113.22/32', table: 10002 },
    ]);
    // Nothing lands in the main table.
    expect(result.desired.routes.every((route) => route.table >= 10001)).toBe(true);
  });

  it('keeps table numbers across runs and hands a new MAC the next free one', () => {
    const first = plan({ mapping: mappingOf([ens3, ens4]), owned: nothingLive, state: emptyState() });
    const second = plan({ mapping: mappingOf([ens5, ens4, ens3]), owned: nothingLive, state: first.state });
    expect(second.nics.map((nic) => [nic.iface, nic.table])).toEqual([
      ['ens5', 10003],
      ['ens4', 10002],
      ['ens3', 10001],
    ]);
  });

  it('plans nothing when the live state already holds the desired one', () => {
    const first = plan({ mapping: mappingOf([ens3, ens4]), owned: nothingLive, state: emptyState() });
    const again = plan({ mapping: mappingOf([ens3, ens4]), owned: first.desired, state: first.state });
    expect(toShellLines(again.changes)).toEqual([]);
  });

  it('does not add what a network manager already restored without the multinic tag, and never removes it', () => {
    const first = plan({ mapping: mappingOf([ens3]), owned: nothingLive, state: emptyState() });
    // After a reboot networkd/netplan put the persisted routes and rules back, as their own.
    const again = plan({ mapping: mappingOf([ens3]), owned: nothingLive, foreign: first.desired, state: first.state });
    expect(toShellLines(again.changes)).toEqual([]);
    const gone = plan({ mapping: mappingOf([]), owned: nothingLive, foreign: first.desired, state: first.state });
    expect(toShellLines(gone.changes)).toEqual([]);
  });

  it('removes the owned rules and routes of a NIC that is gone, and only those', () => {
    const first = plan({ mapping: mappingOf([ens3, ens4]), owned: nothingLive, state: emptyState() });
    const after = plan({ mapping: mappingOf([ens3]), owned: first.desired, state: first.state });
    expect(after.changes.add).toEqual({ routes: [], rules: [] });
    expect(after.changes.remove.rules).toEqual([
      { family: 4, priority: 10002, from: '203.0.113.22/32', to: '203.0.113.0/24', table: 10002 },
      { family: 4, priority: 12002, from: '203.0.113.22/32', table: 254, suppressPrefixlength: 0 },
      { family: 4, priority: 14002, from: '203.0.113.22/32', table: 10002 },
    ]);
    expect(after.changes.remove.routes.every((route) => route.table === 10002 && route.dev === 'ens4')).toBe(true);
    expect(after.state.allocations['fa:16:3e:00:00:02']).toMatchObject({ table: 10002, attached: false });
  });

  it('puts host routes from the metadata into the NIC table with their gateway', () => {
    const withHostRoute = aNic({
      iface: 'ens3',
      addresses: [
        aNicAddress('203.0.113.21', 24, {
          gateway: '203.0.113.1',
          routes: [{ family: 4, destination: { address: '198.51.100.0', prefix: 25 }, gateway: '203.0.113.254' }],
        }),
      ],
    });
    const result = plan({ mapping: mappingOf([withHostRoute]), owned: nothingLive, state: emptyState() });
    expect(result.desired.routes).toContainEqual({
      family: 4,
      table: 10001,
      dst: '198.51.100.0/25',
      via: '203.0.113.254',
      dev: 'ens3',
    });
  });

  it('handles IPv6 beside IPv4 in the same table, with a link-local gateway', () => {
    const dual = aNic({
      iface: 'ens3',
      addresses: [
        aNicAddress('203.0.113.21', 24, { gateway: '203.0.113.1' }),
        aNicAddress('2001:db8:a::21', 64, { gateway: 'fe80::1' }),
      ],
    });
    const result = plan({ mapping: mappingOf([dual]), owned: nothingLive, state: emptyState() });
    const lines = toShellLines(result.changes);
    expect(lines).toContain('ip -6 route add 2001:db8:a::/64 dev ens3 src 2001:db8:a::21 table 10001 proto 147');
    expect(lines).toContain('ip -6 route add default via fe80::1 dev ens3 table 10001 proto 147');
    expect(lines).toContain(
      'ip -6 rule add from 2001:db8:a::21/128 to 2001:db8:a::/64 lookup 10001 priority 10001 protocol 147',
    );
    expect(lines).toContain(
      'ip -6 rule add from 2001:db8:a::21/128 lookup main suppress_prefixlength 0 priority 12001 protocol 147',
    );
    expect(lines).toContain('ip -6 rule add from 2001:db8:a::21/128 lookup 10001 priority 14001 protocol 147');
    expect(lines).toContain('ip -4 rule add from 203.0.113.21/32 lookup 10001 priority 14001 protocol 147');
  });

  it('gives one set of rules per address and one subnet route when two addresses share a subnet', () => {
    const twoAddresses = aNic({
      iface: 'ens3',
      addresses: [
        aNicAddress('203.0.113.21', 24, { gateway: '203.0.113.1' }),
        aNicAddress('203.0.113.31', 24, { gateway: '203.0.113.1' }),
      ],
    });
    const result = plan({ mapping: mappingOf([twoAddresses]), owned: nothingLive, state: emptyState() });
    expect(result.desired.rules.filter((rule) => rule.priority === 14001).map((rule) => rule.from)).toEqual([
      '203.0.113.21/32',
      '203.0.113.31/32',
    ]);
    expect(result.desired.routes.filter((route) => route.dst === '203.0.113.0/24')).toHaveLength(1);
    expect(result.desired.routes.filter((route) => route.dst === 'default')).toHaveLength(1);
  });

  it('orders commands so no rule ever points at an empty table', () => {
    const first = plan({ mapping: mappingOf([ens3]), owned: nothingLive, state: emptyState() });
    const lines = toShellLines(first.changes);
    const lastRoute = Math.max(...lines.map((line, index) => (line.includes(' route add ') ? index : -1)));
    const firstRule = lines.findIndex((line) => line.includes(' rule add '));
    expect(firstRule).toBeGreaterThan(lastRoute);
  });

  it('is pure: the same input gives the same plan and the input state is not changed', () => {
    const state = emptyState();
    const input = { mapping: mappingOf([ens3, ens4, ens5]), owned: nothingLive, state };
    expect(plan(input)).toEqual(plan(input));
    expect(state).toEqual(emptyState());
  });
});
