/**
 * Asks the kernel how it would route a reply from each address (`ip route get <dst> from
 * <addr>`, no packet is sent) and checks it leaves by the NIC that owns the address,
 * through that NIC's table. The probes ride in the batch that reads the kernel where one
 * runs anyway (readLive's `probes`); what is left is asked in one `ip -batch`.
 */
import { anotherHostIn, canonicalAddress, contains } from '../model/addresses.js';
import type { Family } from '../model/types.js';
import type { PlannedNic, RoutingState } from '../plan/types.js';
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
const OFF_LINK: Record<Family, string[]> = {
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

/** Which destination to ask about for each address: off-link when its table has a default route. */
export function probesFor(nics: PlannedNic[], desired: RoutingState): Probe[] {
  // Grouped by table once: filtering every route for every NIC grew as N² (npm run bench, N = 64).
  const routesByTable = groupByTable(desired.routes);
  const rulesByTable = groupByTable(desired.rules);
  const probes: Probe[] = [];
  for (const nic of nics) {
    const tableRoutes = routesByTable.get(nic.table) ?? [];
    for (const rule of rulesByTable.get(nic.table) ?? []) {
      const address = rule.from.split('/')[0] ?? '';
      const family = rule.family;
      const familyRoutes = tableRoutes.filter((route) => route.family === family);
      const subnets = familyRoutes
        .filter((route) => route.dst !== 'default')
        .map((route) => {
          const [net = '', prefix = '0'] = route.dst.split('/');
          return { address: net, prefix: Number(prefix) };
        });
      const hasDefault = familyRoutes.some((route) => route.dst === 'default');
      const onLink = familyRoutes.find((route) => route.src === address && route.dst !== 'default');
      let destination: string | undefined;
      if (hasDefault) destination = OFF_LINK[family].find((candidate) => !subnets.some((subnet) => contains(subnet, candidate)));
      if (!destination && onLink) {
        const [net = '', prefix = '0'] = onLink.dst.split('/');
        destination = anotherHostIn({ address: net, prefix: Number(prefix) }, address);
      }
      if (destination) probes.push({ family, iface: nic.iface, table: nic.table, address, destination });
      // Host routes from the metadata: a destination inside each must leave by its gateway.
      for (const route of familyRoutes.filter((candidate) => candidate.via && candidate.dst !== 'default')) {
        const [net = '', prefix = '0'] = route.dst.split('/');
        const inside = anotherHostIn({ address: net, prefix: Number(prefix) }, address);
        probes.push({ family, iface: nic.iface, table: nic.table, address, destination: inside, via: route.via as string });
      }
    }
  }
  return probes;
}

/** The `route get` lines for these NICs' probes, to ride in a read of the kernel (readLive's `probes`). */
export function probeLinesFor(nics: PlannedNic[], desired: RoutingState): string[] {
  return routeGetLines(probesFor(nics, desired));
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
export async function checkRoutes(run: Run, nics: PlannedNic[], desired: RoutingState, known?: RouteAnswers): Promise<RouteCheck[]> {
  const probes = probesFor(nics, desired);
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
  const ok = answer?.dev === probe.iface && Number(answer?.table) === probe.table && gatewayOk;
  const via = answer ? `${answer.dev ?? '?'}${answer.gateway ? ` via ${answer.gateway}` : ''} (table ${answer.table ?? 'main'})` : 'nowhere (no route)';
  return {
    iface: probe.iface,
    address: probe.address,
    destination: probe.destination,
    ok,
    message: `${probe.iface}: replies from ${probe.address} to ${probe.destination} leave ${via}${ok ? '' : `, expected ${probe.iface}${probe.via ? ` via ${probe.via}` : ''} (table ${probe.table})`}`,
  };
}
