/**
 * A plan as the exact `ip` commands that carry it out. Pure. The same lines feed
 * `ip -batch` (one batch per address family: a batch line cannot switch family, and
 * `ip rule` does not infer it from the address) and the human-readable `plan` output.
 */
import type { Family } from '../model/types.js';
import type { Changes, RouteSpec, RuleSpec } from './types.js';

/**
 * multinic's own route and rule protocol number, named `multinic` in
 * /etc/iproute2/rt_protos.d/multinic.conf. Everything tagged with it is ours to change;
 * nothing else is ever removed.
 */
export const MULTINIC_PROTOCOL = 147;
export const MULTINIC_PROTOCOL_NAME = 'multinic';

export function routeArgs(verb: 'add' | 'del', route: RouteSpec): string[] {
  return [
    'route',
    verb,
    route.dst,
    ...(route.via ? ['via', route.via] : []),
    'dev',
    route.dev,
    ...(route.src ? ['src', route.src] : []),
    ...(route.scope ? ['scope', route.scope] : []),
    'table',
    String(route.table),
    'proto',
    String(MULTINIC_PROTOCOL),
  ];
}

export function ruleArgs(verb: 'add' | 'del', rule: RuleSpec): string[] {
  return [
    'rule',
    verb,
    'from',
    rule.from,
    ...(rule.to ? ['to', rule.to] : []),
    'lookup',
    rule.table === 254 ? 'main' : String(rule.table),
    ...(rule.suppressPrefixlength !== undefined ? ['suppress_prefixlength', String(rule.suppressPrefixlength)] : []),
    'priority',
    String(rule.priority),
    'protocol',
    String(MULTINIC_PROTOCOL),
  ];
}

/**
 * Batch lines per family, in an order that never leaves a rule pointing at an empty
 * table: stale rules go first, then stale routes, then new routes, then new rules.
 */
export function toBatches(changes: Changes): Map<Family, string[][]> {
  const batches = new Map<Family, string[][]>();
  const push = (family: Family, args: string[]) => {
    const lines = batches.get(family) ?? [];
    lines.push(args);
    batches.set(family, lines);
  };
  for (const rule of changes.remove.rules) push(rule.family, ruleArgs('del', rule));
  for (const route of changes.remove.routes) push(route.family, routeArgs('del', route));
  for (const route of changes.add.routes) push(route.family, routeArgs('add', route));
  for (const rule of changes.add.rules) push(rule.family, ruleArgs('add', rule));
  return batches;
}

/** The plan as shell commands, exactly what the batches run. */
export function toIpArgs(changes: Changes): string[][] {
  const lines: string[][] = [];
  for (const [family, batch] of toBatches(changes)) {
    for (const args of batch) lines.push(['ip', `-${family}`, ...args]);
  }
  return lines;
}

export function toShellLines(changes: Changes): string[] {
  return toIpArgs(changes).map((args) => args.join(' '));
}
