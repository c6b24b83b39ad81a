/** Issue 14: the rule tiers' numbers, the managed prefixes, and the tables never handed out. */
import { describe, expect, it } from 'vitest';
import { managedPrefixes, tierOf, tierPriority } from '../../src/plan/local-paths.js';
import { occupiedTables, plan } from '../../src/plan/plan.js';
import { emptyState } from '../../src/plan/allocate.js';
import type { RouteSpec } from '../../src/plan/types.js';
import { aNic, aNicAddress } from './builders.js';

const route = (dst: string, table = 10001): RouteSpec => ({
  family: dst.includes(':') ? 6 : 4,
  table,
  dst,
  dev: 'ens3',
});

describe('the rule tiers', () => {
  it("gives each slot three priorities, and knows a priority's tier only inside multinic's ranges", () => {
    expect([tierPriority(10007, 'to'), tierPriority(10007, 'main'), tierPriority(10007, 'from')]).toEqual([
      10007, 12007, 14007,
    ]);
    expect([10001, 12000, 12001, 14000, 14001, 16000].map(tierOf)).toEqual([
      'to',
      'to',
      'main',
      'main',
      'from',
      'from',
    ]);
    expect([500, 10000, 16001, 32766].map(tierOf)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('routes to every managed prefix of a family once, dropping those another contains', () => {
    const routes = [
      route('203.0.113.0/24'),
      route('203.0.113.0/24', 10002),
      route('203.0.113.128/25', 10003),
      route('192.0.2.0/25'),
      route('default'),
      route('2001:db8:a::/64'),
    ];
    expect(managedPrefixes(routes, 4)).toEqual(['192.0.2.0/25', '203.0.113.0/24']);
    expect(managedPrefixes(routes, 6)).toEqual(['2001:db8:a::/64']);
  });
});

describe('tables someone else uses', () => {
  it('are never handed out: the next free one is, and the plan says which was skipped and why', () => {
    const foreign = {
      routes: [{ family: 4 as const, table: 10001, dst: '203.0.113.10/32', dev: 'ens3' }],
      rules: [{ family: 4 as const, priority: 300, from: '192.0.2.99/32', table: 10002 }],
    };
    expect(occupiedTables(foreign)).toEqual(
      new Map([
        [10001, 'a route to 203.0.113.10/32 dev ens3'],
        [10002, 'a rule from 192.0.2.99/32 at priority 300'],
      ]),
    );
    const nic = aNic({
      mac: 'fa:16:3e:00:00:03',
      iface: 'ens5',
      addresses: [aNicAddress('192.0.2.30', 25, { gateway: '192.0.2.1' })],
    });
    const result = plan({
      mapping: { nics: [nic], missing: [], unlisted: [], absentAddresses: [], notes: [] },
      owned: { routes: [], rules: [] },
      foreign,
      state: emptyState(),
    });
    expect(result.nics[0]?.table).toBe(10003);
    expect(result.notes.map((note) => note.message)).toEqual([
      'table 10001 skipped for ens5 (fa:16:3e:00:00:03): it holds a route to 203.0.113.10/32 dev ens3, which multinic did not make',
      'table 10002 skipped for ens5 (fa:16:3e:00:00:03): it holds a rule from 192.0.2.99/32 at priority 300, which multinic did not make',
    ]);
  });

  it('do not take a table already handed out away from its NIC (a network manager restoring it after a reboot)', () => {
    const nic = aNic({
      mac: 'fa:16:3e:00:00:03',
      iface: 'ens5',
      addresses: [aNicAddress('192.0.2.30', 25, { gateway: '192.0.2.1' })],
    });
    const mapping = { nics: [nic], missing: [], unlisted: [], absentAddresses: [], notes: [] };
    const first = plan({ mapping, owned: { routes: [], rules: [] }, state: emptyState() });
    const again = plan({ mapping, owned: { routes: [], rules: [] }, foreign: first.desired, state: first.state });
    expect(again.nics[0]?.table).toBe(first.nics[0]?.table);
    expect(again.notes).toEqual([]);
  });
});
