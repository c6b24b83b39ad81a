/**
 * The words for routing that is not as it should be, said once: apply's verification, the
 * `verify` command and `status` all name a missing rule or route the same way. Pure.
 */
import type { Changes, RouteSpec, RuleSpec } from './types.js';

export function ruleText(rule: Pick<RuleSpec, 'from' | 'table'>): string {
  return `rule from ${rule.from} lookup ${rule.table}`;
}

export function routeText(route: Pick<RouteSpec, 'dst' | 'via' | 'dev' | 'table'>): string {
  return `route ${route.dst}${route.via ? ` via ${route.via}` : ''} dev ${route.dev} in table ${route.table}`;
}

export function missing(what: string): string {
  return `${what} is missing`;
}

/**
 * What a diff of the desired routing against the kernel says is wrong: what it would add is
 * missing, what it would remove is still there. `removals: false` for a check that only asks
 * whether the desired routing is in place.
 */
export function describeDrift(drift: Changes, options: { removals: boolean }): string[] {
  return [
    ...drift.add.rules.map((rule) => missing(ruleText(rule))),
    ...drift.add.routes.map((route) => missing(routeText(route))),
    ...(options.removals
      ? [
          ...drift.remove.rules.map((rule) => `${ruleText(rule)} is still there`),
          ...drift.remove.routes.map((route) => `${routeText(route)} is still there`),
        ]
      : []),
  ];
}
