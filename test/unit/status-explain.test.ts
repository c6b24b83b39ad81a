import { describe, expect, it } from 'vitest';
import { explain, farDestination } from '../../src/explain/explain.js';
import { routeAnswerKey, type RouteAnswers } from '../../src/kernel/route-get.js';
import type { PlannedNic, RoutingState } from '../../src/plan/types.js';
import { judgeStatus, renderStatusTable, statusQueries, toRouteQueries } from '../../src/status/judge.js';
import { anAddress, anInterface } from './builders.js';

const NIC: PlannedNic = {
  mac: 'fa:16:3e:00:00:02',
  iface: 'ens4',
  table: 10002,
  priority: 10002,
  addresses: ['203.0.113.22'],
};
const DESIRED: RoutingState = {
  routes: [
    { family: 4, table: 10002, dst: '203.0.113.0/24', dev: 'ens4', src: '203.0.113.22', scope: 'link' },
    { family: 4, table: 10002, dst: 'default', via: '203.0.113.1', dev: 'ens4' },
  ],
  rules: [{ family: 4, priority: 10002, from: '203.0.113.22/32', table: 10002 }],
};
const none: RoutingState = { routes: [], rules: [] };
const answers = (dev: string, table: string): RouteAnswers =>
  new Map([
    [routeAnswerKey('198.51.100.254', '203.0.113.22'), { dev, table, gateway: '203.0.113.1' }],
    [routeAnswerKey('203.0.113.1', '203.0.113.22'), { dev, table }],
  ]);
const judge = (
  owned: RoutingState,
  foreign: RoutingState,
  routeAnswers: RouteAnswers,
  persisted = null as null | { backend: string; file: string },
) =>
  judgeStatus({
    nics: [NIC],
    desired: DESIRED,
    owned,
    foreign,
    addresses: new Map([['ens4', ['203.0.113.22']]]),
    answers: routeAnswers,
    persisted: () => persisted,
  });

describe('status (src/status/judge.ts)', () => {
  it('asks, per address, where replies to a far address and to the gateway leave', () => {
    expect(toRouteQueries(statusQueries([NIC], DESIRED))).toEqual([
      { destination: '198.51.100.254', address: '203.0.113.22' },
      { destination: '203.0.113.1', address: '203.0.113.22' },
    ]);
  });

  it('ok when the rule and routes are there, whoever made them, and replies leave by the NIC', () => {
    const [ours] = judge(DESIRED, none, answers('ens4', '10002'));
    expect([ours?.state, ours?.rule, ours?.routes]).toEqual(['ok', true, { expected: 2, present: 2 }]);
    // Restored by the network manager: untagged, and as good.
    const [restored] = judge(none, DESIRED, answers('ens4', '10002'), {
      backend: 'networkd',
      file: '/etc/systemd/network/10-ens4.network.d/90-multinic.conf',
    });
    expect([restored?.state, restored?.persisted?.backend]).toEqual(['ok', 'networkd']);
  });

  it('drift names what differs; missing when nothing is left', () => {
    const [drift] = judge({ routes: DESIRED.routes, rules: [] }, none, answers('ens3', '254'));
    expect(drift?.state).toBe('drift');
    expect(drift?.problems).toEqual([
      'rule from 203.0.113.22 lookup 10002 is missing',
      'replies to 198.51.100.254 leave by ens3 via 203.0.113.1 (table main), not ens4 (table 10002)',
      'replies to the gateway 203.0.113.1 leave by ens3 (table main), not ens4',
    ]);
    const [missing] = judge(none, none, new Map());
    expect(missing?.state).toBe('missing');
    expect(renderStatusTable([missing!])[1]).toMatch(
      /^ens4 +fa:16:3e:00:00:02 +203\.0\.113\.22 +10002 +no +0\/2 +none! \/ none! +not persisted +missing: /,
    );
  });
});

describe('explain (src/explain/explain.ts)', () => {
  const ens3 = anInterface({ name: 'ens3', mac: 'fa:16:3e:00:00:01', addresses: [anAddress('203.0.113.21', 24)] });
  const ens4 = anInterface({ name: 'ens4', mac: 'fa:16:3e:00:00:02', addresses: [anAddress('203.0.113.22', 24)] });

  it("picks a far destination outside the address's subnet", () => {
    expect(farDestination(4, [{ address: '198.51.100.0', prefix: 24 }])).toBe('203.0.113.254');
    expect(farDestination(6, [])).toBe('2001:db8:ffff::1');
  });

  it('an excluded address: not managed, why, and where its replies go', () => {
    const explanation = explain({
      address: '203.0.113.22',
      family: 4,
      interfaces: [ens3, ens4],
      applied: [],
      rules: [],
      routes: [
        { kind: 'far', destination: '198.51.100.254', answer: { dev: 'ens3', table: '254', gateway: '203.0.113.1' } },
      ],
      excludedWhy: 'excluded by /etc/multinic/multinic.conf:3 (MULTINIC_EXCLUDE pattern "ens4")',
    });
    expect([explanation.managed, explanation.answers]).toEqual([false, false]);
    expect(explanation.sentences.map((sentence) => sentence.text)).toContain(
      'multinic does not manage it: excluded by /etc/multinic/multinic.conf:3 (MULTINIC_EXCLUDE pattern "ens4").',
    );
  });

  it('a port not attached: no interface with its MAC', () => {
    const explanation = explain({
      address: '203.0.113.40',
      family: 4,
      interfaces: [ens3],
      document: {
        file: '/var/lib/multinic/network_data.json',
        data: {
          links: [{ id: 'tap9', type: 'ovs', kind: 'physical', mac: 'fa:16:3e:00:00:09' }],
          networks: [
            {
              id: 'n9',
              linkId: 'tap9',
              family: 4,
              source: 'static',
              address: { address: '203.0.113.40', prefix: 24 },
              routes: [],
            },
          ],
        },
      },
      rules: [],
      routes: [],
    });
    expect(explanation.verdict).toBe('203.0.113.40 does not answer: it is on no interface of this guest.');
    expect(explanation.sentences.map((sentence) => sentence.text)).toContain(
      'multinic does not manage it: no interface with the MAC fa:16:3e:00:00:09.',
    );
  });
});
