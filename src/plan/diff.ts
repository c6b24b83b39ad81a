/**
 * Desired against live: what to add and what to remove. Pure. `live` holds only objects
 * multinic owns (tagged with its protocol), so nothing else is ever removed.
 */
import type { Changes, RouteSpec, RoutingState, RuleSpec } from './types.js';

export function routeKey(route: RouteSpec): string {
  return [route.family, route.table, route.dst, route.via ?? '-', route.dev, route.src ?? '-', route.scope ?? '-'].join(' ');
}

export function ruleKey(rule: RuleSpec): string {
  return [rule.family, rule.priority, rule.from, rule.to ?? '-', rule.table, rule.suppressPrefixlength ?? '-'].join(' ');
}

function minus<T>(items: T[], others: T[], key: (item: T) => string): T[] {
  const otherKeys = new Set(others.map(key));
  const seen = new Set<string>();
  return items.filter((item) => {
    const itemKey = key(item);
    if (otherKeys.has(itemKey) || seen.has(itemKey)) return false;
    seen.add(itemKey);
    return true;
  });
}

/**
 * `live` is what multinic owns; `foreign` what others made. A desired object that someone
 * else already made identically (a network manager restoring persisted routes after a
 * reboot) is not added again, and only owned objects are ever removed.
 */
export function diffRouting(desired: RoutingState, live: RoutingState, foreign: RoutingState = { routes: [], rules: [] }): Changes {
  return {
    add: {
      routes: minus(minus(desired.routes, live.routes, routeKey), foreign.routes, routeKey),
      rules: minus(minus(desired.rules, live.rules, ruleKey), foreign.rules, ruleKey),
    },
    remove: { routes: minus(live.routes, desired.routes, routeKey), rules: minus(live.rules, desired.rules, ruleKey) },
  };
}

export function countChanges(changes: Changes): number {
  return changes.add.routes.length + changes.add.rules.length + changes.remove.routes.length + changes.remove.rules.length;
}
