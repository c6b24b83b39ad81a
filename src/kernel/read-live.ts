/**
 * One read of everything live that a run needs: interfaces with their addresses, every
 * route of every table, and the IPv4 and IPv6 rules, plus any route probes the caller
 * wants answered from the same moment. Two `ip` processes, run side by side: one batch for
 * addresses, routes, IPv4 rules and the probes, and one for IPv6 rules (a batch line
 * cannot switch family).
 */
import { KernelCommandFailed } from '../errors.js';
import { parseIpAddr } from '../links/parse-ip-addr.js';
import type { Family, KernelInterface } from '../model/types.js';
import type { RoutingState } from '../plan/types.js';
import { checkAddrs, checkRoutes, checkRules, parseIpJson } from './ip-json.js';
import { foreignRouting, mainDefaultGateways, ownedRouting, type IpRoute } from './parse-live.js';
import { collectRouteAnswers, type RouteAnswers } from './route-get.js';
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
  /** Answers to the `route get` probes asked with this read (none unless asked). */
  routeAnswers: RouteAnswers;
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

const READS = ['addr show', 'route show table all', 'rule show'];

export interface ReadOptions {
  /** `route get` lines asked in the same batch (route-get.ts), answered in `routeAnswers`. */
  probes?: string[];
}

export async function readLive(run: Run, options: ReadOptions = {}): Promise<LiveState> {
  const probes = options.probes ?? [];
  const [batch, v6Out] = await Promise.all([
    readBatch(run, probes),
    runChecked(run, 'ip', ['-j', '-N', '-6', 'rule', 'show']),
  ]);
  const [addrJson, routeJson, ruleJson] = batch.reads;
  const rules6 = checkRules(parseIpJson(v6Out, 'ip -j -N -6 rule show'), 'ip -j -N -6 rule show');
  const routes = checkRoutes(routeJson ?? [], 'ip -j route show table all');
  const rules4 = checkRules(ruleJson ?? [], 'ip -j rule show');
  return {
    interfaces: parseIpAddr(checkAddrs(addrJson, 'ip -j addr show')),
    owned: ownedRouting(routes, rules4, rules6),
    foreign: foreignRouting(routes, rules4, rules6),
    gateways: mainDefaultGateways(routes),
    routes,
    routeAnswers: collectRouteAnswers(batch.answers),
  };
}

/**
 * One `ip -batch` for the three reads and the probes after them. With probes it runs with
 * -force, since an address with no route fails its line and must not hide the rest; the
 * reads must still all succeed, which `ip` tells by the line numbers it names on stderr.
 */
async function readBatch(run: Run, probes: string[]): Promise<{ reads: unknown[]; answers: unknown[] }> {
  const args = ['-j', '-d', '-N', ...(probes.length > 0 ? ['-force'] : []), '-batch', '-'];
  const command = `ip ${args.join(' ')} (${READS.join(', ')}${probes.length > 0 ? `, ${probes.length} route get` : ''})`;
  const result = await run('ip', args, { input: `${[...READS, ...probes].join('\n')}\n` });
  if (result.exitCode !== 0) {
    const failedLines = [...result.stderr.matchAll(/Command failed -:(\d+)/g)].map((match) => Number(match[1]));
    const onlyProbesFailed = probes.length > 0 && failedLines.length > 0 && failedLines.every((line) => line > READS.length);
    if (!onlyProbesFailed) {
      throw new KernelCommandFailed(`${command} failed (exit ${result.exitCode}): ${result.stderr.trim() || 'no message'}`, command, result.stderr);
    }
  }
  const arrays = splitBatchJson(result.stdout, undefined, command);
  if (arrays.length < READS.length || (probes.length === 0 && arrays.length !== READS.length)) {
    throw new KernelCommandFailed(`${command}: expected ${READS.length} JSON answers before the probes, got ${arrays.length}`, command, '');
  }
  return { reads: arrays.slice(0, READS.length), answers: arrays.slice(READS.length) };
}
