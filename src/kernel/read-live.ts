/**
 * One read of everything live that a run needs: interfaces with their addresses, every
 * route of every table, and the IPv4 and IPv6 rules. Two `ip` processes: one batch for
 * addresses, routes and IPv4 rules, and one for IPv6 rules (a batch line cannot switch
 * family).
 */
import { KernelCommandFailed } from '../errors.js';
import { parseIpAddr } from '../links/parse-ip-addr.js';
import type { Family, KernelInterface } from '../model/types.js';
import type { RoutingState } from '../plan/types.js';
import { foreignRouting, mainDefaultGateways, ownedRouting, type IpRoute, type IpRule } from './parse-live.js';
import { runChecked, type Run } from './run.js';

export interface LiveState {
  interfaces: KernelInterface[];
  /** Routes and rules tagged with multinic's protocol. */
  owned: RoutingState;
  /** Untagged routes (outside main/local/default) and rules: present, never ours to remove. */
  foreign: RoutingState;
  /** Main-table default gateways per interface, for DHCP/SLAAC networks. */
  gateways: Map<string, Partial<Record<Family, string>>>;
  /** Every route (all tables), for verification and messages. */
  routes: IpRoute[];
}

/** Splits `ip -j -batch` output: one JSON array per command, one per line. */
export function splitBatchJson(stdout: string, expected: number | undefined, command: string): unknown[] {
  const arrays = stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      try {
        return JSON.parse(line) as unknown;
      } catch (error) {
        throw new KernelCommandFailed(`${command}: printed something that is not JSON: ${line.slice(0, 80)}`, command, '', { cause: error });
      }
    });
  if (expected !== undefined && arrays.length !== expected) {
    throw new KernelCommandFailed(`${command}: expected ${expected} JSON answers, got ${arrays.length}`, command, '');
  }
  return arrays;
}

export async function readLive(run: Run): Promise<LiveState> {
  const [v4Out, v6Out] = await Promise.all([
    runChecked(run, 'ip', ['-j', '-d', '-N', '-batch', '-'], 'addr show\nroute show table all\nrule show\n'),
    runChecked(run, 'ip', ['-j', '-N', '-6', 'rule', 'show']),
  ]);
  const [addrJson, routeJson, ruleJson] = splitBatchJson(v4Out, 3, 'ip -j -d -N -batch (addr, route, rule)');
  const rules6 = JSON.parse(v6Out.trim() || '[]') as IpRule[];
  const routes = (routeJson ?? []) as IpRoute[];
  return {
    interfaces: parseIpAddr(addrJson),
    owned: ownedRouting(routes, (ruleJson ?? []) as IpRule[], rules6),
    foreign: foreignRouting(routes, (ruleJson ?? []) as IpRule[], rules6),
    gateways: mainDefaultGateways(routes),
    routes,
  };
}
