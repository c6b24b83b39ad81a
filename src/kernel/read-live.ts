/**
 * One read of everything live that a run needs: interfaces with their addresses, every
 * route of every table, and the IPv4 and IPv6 rules. Two `ip` processes, run side by side:
 * one batch for addresses, routes and IPv4 rules, and one for IPv6 rules (a batch line
 * cannot switch family). How the kernel would route is asked by whoever needs to know
 * (route-get.ts), after this; verification reads the routing and asks in one batch
 * (readRoutingAsking).
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
const RULES6_ARGS = ['-j', '-N', '-6', 'rule', 'show'];
const RULES6_COMMAND = `ip ${RULES6_ARGS.join(' ')}`;

export async function readLive(run: Run): Promise<LiveState> {
  const [batchOut, v6Out] = await Promise.all([
    runChecked(run, 'ip', READ_ARGS, `${READS.join('\n')}\n`),
    runChecked(run, 'ip', RULES6_ARGS),
  ]);
  const [addrJson, routeJson, ruleJson] = splitBatchJson(batchOut, READS.length, READ_COMMAND);
  return {
    interfaces: parseIpAddr(checkAddrs(addrJson, 'ip -j addr show')),
    ...routingOf(routeJson, ruleJson, v6Out),
  };
}

/** What verification reads: the routing, and the answers to its route questions. */
export interface RoutingRead {
  owned: RoutingState;
  foreign: RoutingState;
  /** One JSON array per question, in the order asked. */
  answers: unknown[];
}

const ROUTING_READS = ['route show table all', 'rule show'];

/**
 * The routes and rules of both families, and route questions (`route get` lines) asked in
 * the same batch right after the read: one process where the read and the questions apart
 * are two, one after the other. Without -force, so a question the kernel cannot answer (no
 * route from that address at all) stops the batch: the result is then undefined, and the
 * caller reads and asks apart (readLive, route-get.ts askRoutes), where every unanswered
 * question is judged on its own. `ipv6Rules: false`: the caller knows none of multinic's can
 * exist (verify-applied.ts), so they are not read, one process fewer.
 */
export async function readRoutingAsking(
  run: Run,
  questions: string[],
  { ipv6Rules = true }: { ipv6Rules?: boolean } = {},
): Promise<RoutingRead | undefined> {
  const lines = [...ROUTING_READS, ...questions];
  const command = `ip ${READ_ARGS.join(' ')} (${ROUTING_READS.join(', ')}, ${questions.length} route get)`;
  const [batch, v6Out] = await Promise.all([
    run('ip', READ_ARGS, { input: `${lines.join('\n')}\n` }),
    ipv6Rules ? runChecked(run, 'ip', RULES6_ARGS) : '[]',
  ]);
  if (batch.exitCode !== 0) return undefined;
  // Every line that succeeded printed one array: a short answer is an ip that misbehaved.
  const [routeJson, ruleJson, ...answers] = splitBatchJson(batch.stdout, lines.length, command);
  return { ...routingOf(routeJson, ruleJson, v6Out), answers };
}

function routingOf(
  routeJson: unknown,
  ruleJson: unknown,
  v6Out: string,
): Pick<LiveState, 'owned' | 'foreign' | 'gateways'> {
  const rules6 = checkRules(parseIpJson(v6Out, RULES6_COMMAND), RULES6_COMMAND);
  const routes = checkRoutes(routeJson ?? [], 'ip -j route show table all');
  const rules4 = checkRules(ruleJson ?? [], 'ip -j rule show');
  return {
    owned: ownedRouting(routes, rules4, rules6),
    foreign: foreignRouting(routes, rules4, rules6),
    gateways: mainDefaultGateways(routes),
  };
}
