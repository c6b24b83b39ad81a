/**
 * Asks the kernel how it would route a reply from each address (`ip route get <dst> from
 * <addr>`, no packet is sent, route-get.ts) and checks it leaves by the NIC that owns the
 * address, through that NIC's table. Every check asks the kernel now: no answer is reused
 * from an earlier read.
 */
import {
  addressPart,
  anotherHostIn,
  canonicalAddress,
  contains,
  isHostPrefix,
  isLinkLocal,
  parseCidr,
} from '../model/addresses.js';
import type { Family } from '../model/types.js';
import type { PlannedNic, RouteSpec, RoutingState } from '../plan/types.js';
import { askRoutes, routeAnswerKey, type RouteAnswers, type RouteGetAnswer } from './route-get.js';
import type { Run } from './run.js';

export interface RouteCheck {
  iface: string;
  address: string;
  destination: string;
  ok: boolean;
  message: string;
}

/** Off-link destinations from the documentation ranges, in order of preference. */
export const OFF_LINK: Record<Family, string[]> = {
  4: ['198.51.100.254', '203.0.113.254', '192.0.2.254'],
  6: ['2001:db8:ffff::1', '2001:db8:fffe::1'],
};

export interface Probe {
  family: Family;
  iface: string;
  table: number;
  address: string;
  destination: string;
  /** For a host route: the gateway the answer must name. */
  via?: string;
}

/**
 * What to ask about for each address, the way traffic uses its table (issue 14): a far
 * address when the table has a default route, the gateway, an on-link neighbour of each
 * subnet route, and a host inside each host route (which must leave by its gateway).
 * `others`: routes someone else put in multinic's tables; a host inside each is asked too,
 * so a foreign /32 that takes an address's replies elsewhere fails verification.
 */
export function probesFor(nics: PlannedNic[], desired: RoutingState, others: RouteSpec[] = []): Probe[] {
  // Grouped by table once: filtering every route for every NIC grew as N² (npm run bench, N = 64).
  const routesByTable = groupByTable(desired.routes);
  const rulesByTable = groupByTable(
    desired.rules.filter((rule) => rule.to === undefined && rule.suppressPrefixlength === undefined),
  );
  const othersByTable = groupByTable(others);
  const probes: Probe[] = [];
  for (const nic of nics) {
    const tableRoutes = routesByTable.get(nic.table) ?? [];
    for (const rule of rulesByTable.get(nic.table) ?? []) {
      const address = addressPart(rule.from);
      const family = rule.family;
      const familyRoutes = tableRoutes.filter((route) => route.family === family);
      const subnets = familyRoutes
        .filter((route) => route.dst !== 'default')
        .flatMap((route) => parseCidr(route.dst) ?? []);
      const seen = new Set<string>();
      const add = (destination: string, via?: string) => {
        if (seen.has(destination) || destination === canonicalAddress(address)) return;
        seen.add(destination);
        probes.push({ family, iface: nic.iface, table: nic.table, address, destination, ...(via ? { via } : {}) });
      };
      const defaultRoute = familyRoutes.find((route) => route.dst === 'default');
      if (defaultRoute) {
        const far = OFF_LINK[family].find((candidate) => !subnets.some((subnet) => contains(subnet, candidate)));
        if (far) add(far, defaultRoute.via);
        // The gateway itself (a reply to it must leave on-link, by this NIC).
        if (defaultRoute.via && !isLinkLocal(defaultRoute.via)) add(defaultRoute.via);
      }
      for (const route of familyRoutes.filter((candidate) => candidate.dst !== 'default')) {
        const inside = hostIn(route.dst, address);
        // An on-link neighbour for a subnet route; a host behind the gateway for a host route.
        add(inside, route.via);
      }
      for (const route of (othersByTable.get(nic.table) ?? []).filter(
        (candidate) => candidate.family === family && candidate.dst !== 'default',
      )) {
        add(hostIn(route.dst, address));
      }
    }
  }
  return probes;
}

/** A host inside a route's destination: the address itself for a host route (/32, /128). */
function hostIn(dst: string, avoid: string): string {
  const cidr = parseCidr(dst) ?? { address: addressPart(dst), prefix: 0 };
  return isHostPrefix(cidr) ? cidr.address : anotherHostIn(cidr, avoid);
}

function groupByTable<T extends { table: number }>(items: T[]): Map<number, T[]> {
  const byTable = new Map<number, T[]>();
  for (const item of items) {
    const group = byTable.get(item.table);
    if (group) group.push(item);
    else byTable.set(item.table, [item]);
  }
  return byTable;
}

/**
 * Judges every probe of these NICs, all asked in one batch. A probe the kernel cannot answer
 * (no route at all for that source) fails as leaving "nowhere"; it never passes unasked.
 */
export async function checkRoutes(
  run: Run,
  nics: PlannedNic[],
  desired: RoutingState,
  others: RouteSpec[] = [],
): Promise<RouteCheck[]> {
  const probes = probesFor(nics, desired, others);
  return judgeProbes(probes, await askRoutes(run, probes));
}

/** Each probe against the kernel's answer to it; a probe with no answer fails. */
export function judgeProbes(probes: Probe[], answers: RouteAnswers): RouteCheck[] {
  return probes.map((probe) => judgeProbe(probe, answers.get(routeAnswerKey(probe.destination, probe.address))));
}

function judgeProbe(probe: Probe, answer: RouteGetAnswer | undefined): RouteCheck {
  const gatewayOk =
    probe.via === undefined || (answer?.gateway !== undefined && canonicalAddress(answer.gateway) === probe.via);
  const ok = answer?.dev === probe.iface && Number(answer.table) === probe.table && gatewayOk;
  const via = answer
    ? `${answer.dev ?? '?'}${answer.gateway ? ` via ${answer.gateway}` : ''} (table ${answer.table ?? 'main'})`
    : 'nowhere (no route)';
  return {
    iface: probe.iface,
    address: probe.address,
    destination: probe.destination,
    ok,
    message: `${probe.iface}: replies from ${probe.address} to ${probe.destination} leave ${via}${ok ? '' : `, expected ${probe.iface}${probe.via ? ` via ${probe.via}` : ''} (table ${probe.table})`}`,
  };
}
