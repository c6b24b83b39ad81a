/**
 * Asks the kernel how it would route a reply from each address (`ip route get <dst> from
 * <addr>`, no packet is sent) and checks it leaves by the NIC that owns the address,
 * through that NIC's table. The probes ride in the batch that reads the kernel where one
 * runs anyway (readLive's `probes`); what is left is asked in one `ip -batch`.
 */
import { anotherHostIn, canonicalAddress, contains } from '../model/addresses.js';
import type { Family } from '../model/types.js';
import type { PlannedNic, RouteSpec, RoutingState } from '../plan/types.js';
import { splitBatchJson } from './read-live.js';
import { collectRouteAnswers, routeAnswerKey, routeGetLines, type RouteAnswers, type RouteGetAnswer } from './route-get.js';
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
  const rulesByTable = groupByTable(desired.rules.filter((rule) => rule.to === undefined && rule.suppressPrefixlength === undefined));
  const othersByTable = groupByTable(others);
  const probes: Probe[] = [];
  for (const nic of nics) {
    const tableRoutes = routesByTable.get(nic.table) ?? [];
    for (const rule of rulesByTable.get(nic.table) ?? []) {
      const address = rule.from.split('/')[0] ?? '';
      const family = rule.family;
      const familyRoutes = tableRoutes.filter((route) => route.family === family);
      const subnets = familyRoutes.filter((route) => route.dst !== 'default').map((route) => cidrOf(route.dst));
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
        if (defaultRoute.via && !defaultRoute.via.startsWith('fe80:')) add(defaultRoute.via);
      }
      for (const route of familyRoutes.filter((candidate) => candidate.dst !== 'default')) {
        const inside = hostIn(route.dst, address);
        // An on-link neighbour for a subnet route; a host behind the gateway for a host route.
        add(inside, route.via);
      }
      for (const route of (othersByTable.get(nic.table) ?? []).filter((candidate) => candidate.family === family && candidate.dst !== 'default')) {
        add(hostIn(route.dst, address));
      }
    }
  }
  return probes;
}

/** A host inside a route's destination: the address itself for a host route (/32, /128). */
function hostIn(dst: string, avoid: string): string {
  const cidr = cidrOf(dst);
  return cidr.prefix === (cidr.address.includes(':') ? 128 : 32) ? canonicalAddress(cidr.address) : anotherHostIn(cidr, avoid);
}

function cidrOf(dst: string): { address: string; prefix: number } {
  const [net = '', prefix = '0'] = dst.split('/');
  return { address: net, prefix: Number(prefix) };
}

/** The `route get` lines for these NICs' probes, to ride in a read of the kernel (readLive's `probes`). */
export function probeLinesFor(nics: PlannedNic[], desired: RoutingState, others: RouteSpec[] = []): string[] {
  return routeGetLines(probesFor(nics, desired, others));
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
 * Judges every probe of these NICs. Answers already read (the read-live batch that carried
 * the probes) are used as they are; only the probes without one are asked, in one batch.
 */
export async function checkRoutes(run: Run, nics: PlannedNic[], desired: RoutingState, known?: RouteAnswers, others: RouteSpec[] = []): Promise<RouteCheck[]> {
  const probes = probesFor(nics, desired, others);
  const answers: RouteAnswers = new Map(known);
  const unanswered = probes.filter((probe) => !answers.has(routeAnswerKey(probe.destination, probe.address)));
  if (unanswered.length > 0) {
    // -force: one unroutable address must not hide the answers for the others.
    const result = await run('ip', ['-j', '-N', '-force', '-batch', '-'], { input: `${routeGetLines(unanswered).join('\n')}\n` });
    collectRouteAnswers(splitBatchJson(result.stdout, undefined, 'ip route get'), answers);
  }
  return probes.map((probe) => judgeProbe(probe, answers.get(routeAnswerKey(probe.destination, probe.address))));
}

function judgeProbe(probe: Probe, answer: RouteGetAnswer | undefined): RouteCheck {
  const gatewayOk = probe.via === undefined || (answer?.gateway !== undefined && canonicalAddress(answer.gateway) === probe.via);
  const ok = answer?.dev === probe.iface && Number(answer.table) === probe.table && gatewayOk;
  const via = answer ? `${answer.dev ?? '?'}${answer.gateway ? ` via ${answer.gateway}` : ''} (table ${answer.table ?? 'main'})` : 'nowhere (no route)';
  return {
    iface: probe.iface,
    address: probe.address,
    destination: probe.destination,
    ok,
    message: `${probe.iface}: replies from ${probe.address} to ${probe.destination} leave ${via}${ok ? '' : `, expected ${probe.iface}${probe.via ? ` via ${probe.via}` : ''} (table ${probe.table})`}`,
  };
}
