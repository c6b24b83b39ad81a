/**
 * `ip route get <dst> from <addr>` lines and their answers. The probes ride in whatever
 * `ip -batch` is already reading the kernel (read-live.ts), so asking costs no process of
 * its own; answers are matched by what they answer, since a failed lookup prints nothing.
 */
import { canonicalAddress } from '../model/addresses.js';

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
  return ({ '254': 'main', '255': 'local', '253': 'default' } as Record<string, string>)[table ?? '254'] ?? (table as string);
}

export function routeAnswerKey(destination: string, from: string): string {
  return `${canonicalAddress(destination)} ${canonicalAddress(from)}`;
}

/** One batch line per distinct query; `ip` infers each line's family from its addresses. */
export function routeGetLines(queries: RouteQuery[]): string[] {
  return [...new Set(queries.map((query) => `route get ${query.destination} from ${query.address}`))];
}

/** Indexes the JSON arrays that `route get` lines printed. */
export function collectRouteAnswers(arrays: unknown[], into: RouteAnswers = new Map()): RouteAnswers {
  for (const answer of (arrays as (RouteGetAnswer | null)[][]).flat()) {
    if (typeof answer?.dst === 'string' && typeof answer.from === 'string') into.set(routeAnswerKey(answer.dst, answer.from), answer);
  }
  return into;
}
