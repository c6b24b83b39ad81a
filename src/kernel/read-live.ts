/**
 * One read of everything live that a run needs: interfaces with their addresses, every
 * route of every table, and the IPv4 and IPv6 rules. Two `ip` processes, run side by side:
 * one batch for addresses, routes and IPv4 rules, and one for IPv6 rules (a batch line
 * cannot switch family). Only reads: how the kernel would route is asked by whoever needs
 * to know (route-get.ts), after this.
 */
import { KernelCommandFailed } from '../errors.js';
import { parseIpAddr } from '../links/parse-ip-addr.js';
import type { Family, KernelInterface } from '../model/types.js';
import type { RoutingState } from '../plan/types.js';
import { checkAddrs, checkRoutes, checkRules, parseIpJson } from './ip-json.js';
import { foreignRouting, mainDefaultGateways, ownedRouting } from './parse-live.js';
import { runChecked, type Run } from './run.js';

export interface LiveState {
  interfaces: KernelInterface[];
  /** Routes and rules tagged with multinic's protocol. */
  owned: RoutingState;
  /** Untagged routes (outside main/local/default) and rules: present, never ours to remove. */
  foreign: RoutingState;
  /** Main-table default gateways per interface, for DHCP/SLAAC networks. */
  gateways: Map<string, Partial<Record<Family, string>>>;
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
        throw new KernelCommandFailed(
          `${command}: printed something that is not JSON: ${line.slice(0, 80)}`,
          command,
          '',
          { cause: error },
        );
      }
    });
  if (expected !== undefined && arrays.length !== expected) {
    throw new KernelCommandFailed(`${command}: expected ${expected} JSON answers, got ${arrays.length}`, command, '');
  }
  return arrays;
}

const READS = ['addr show', 'route show table all', 'rule show'];
const READ_ARGS = ['-j', '-d', '-N', '-batch', '-'];
const READ_COMMAND = `ip ${READ_ARGS.join(' ')} (${READS.join(', ')})`;

export async function readLive(run: Run): Promise<LiveState> {
  const [batchOut, v6Out] = await Promise.all([
    runChecked(run, 'ip', READ_ARGS, `${READS.join('\n')}\n`),
    runChecked(run, 'ip', ['-j', '-N', '-6', 'rule', 'show']),
  ]);
  const [addrJson, routeJson, ruleJson] = splitBatchJson(batchOut, READS.length, READ_COMMAND);
  const rules6 = checkRules(parseIpJson(v6Out, 'ip -j -N -6 rule show'), 'ip -j -N -6 rule show');
  const routes = checkRoutes(routeJson ?? [], 'ip -j route show table all');
  const rules4 = checkRules(ruleJson ?? [], 'ip -j rule show');
  return {
    interfaces: parseIpAddr(checkAddrs(addrJson, 'ip -j addr show')),
    owned: ownedRouting(routes, rules4, rules6),
    foreign: foreignRouting(routes, rules4, rules6),
    gateways: mainDefaultGateways(routes),
  };
}
