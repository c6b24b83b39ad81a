/**
 * `ip route get <dst> from <addr>`: how the kernel would route a reply (no packet is sent),
 * asked in one `ip -batch` of their own after the kernel was read. Answers are matched by
 * what they answer, since a failed lookup prints nothing.
 */
import { canonicalAddress } from '../model/addresses.js';
import { splitBatchJson } from './read-live.js';
import type { Run } from './run.js';

export interface RouteGetAnswer {
  dst?: string;
  from?: string;
  dev?: string;
  table?: string;
  gateway?: string;
}

/** Answers by `<dst> <from>`, both canonical. */
export type RouteAnswers = Map<string, RouteGetAnswer>;

export interface RouteQuery {
  destination: string;
  address: string;
}

/** A table as people know it: `ip -N` prints the reserved ones as numbers too. */
export function tableName(table: string | undefined): string {
  return ({ '254': 'main', '255': 'local', '253': 'default' } as Record<string, string>)[table ?? '254'] ?? table!;
}

export function routeAnswerKey(destination: string, from: string): string {
  return `${canonicalAddress(destination)} ${canonicalAddress(from)}`;
}

/** One batch line per distinct query; `ip` infers each line's family from its addresses. */
export function routeGetLines(queries: RouteQuery[]): string[] {
  return [...new Set(queries.map((query) => `route get ${query.destination} from ${query.address}`))];
}

/**
 * Asks every query in one `ip -batch`. -force: an address with no route fails its own line
 * (exit 1, "Command failed" on stderr) and must not hide the answers to the others; such a
 * query is simply unanswered, which the caller judges ("leaves nowhere").
 */
export async function askRoutes(run: Run, queries: RouteQuery[]): Promise<RouteAnswers> {
  const lines = routeGetLines(queries);
  if (lines.length === 0) return new Map();
  const command = `ip -j -N -force -batch - (${lines.length} route get)`;
  const result = await run('ip', ['-j', '-N', '-force', '-batch', '-'], { input: `${lines.join('\n')}\n` });
  return collectRouteAnswers(splitBatchJson(result.stdout, undefined, command));
}

/** Indexes the JSON arrays that `route get` lines printed. */
export function collectRouteAnswers(arrays: unknown[], into: RouteAnswers = new Map()): RouteAnswers {
  for (const answer of (arrays as (RouteGetAnswer | null)[][]).flat()) {
    if (typeof answer?.dst === 'string' && typeof answer.from === 'string')
      into.set(routeAnswerKey(answer.dst, answer.from), answer);
  }
  return into;
}
