/**
 * Desired against what multinic owns in the kernel: what to add and what to remove. Pure.
 * `owned` holds only objects tagged with multinic's protocol, so nothing else is ever removed.
 */
import type { Changes, RouteSpec, RoutingState, RuleSpec } from './types.js';

export function routeKey(route: RouteSpec): string {
  return [route.family, route.table, route.dst, route.via ?? '-', route.dev, route.src ?? '-', route.scope ?? '-'].join(
    ' ',
  );
}

export function ruleKey(rule: RuleSpec): string {
  return [rule.family, rule.priority, rule.from, rule.to ?? '-', rule.table, rule.suppressPrefixlength ?? '-'].join(
    ' ',
  );
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
 * `owned` is what multinic made; `foreign` what others made. A desired object that someone
 * else already made identically (a network manager restoring persisted routes after a
 * reboot) is not added again, and only owned objects are ever removed.
 */
export function diffRouting(
  desired: RoutingState,
  owned: RoutingState,
  foreign: RoutingState = { routes: [], rules: [] },
): Changes {
  return {
    add: {
      routes: minus(minus(desired.routes, owned.routes, routeKey), foreign.routes, routeKey),
      rules: minus(minus(desired.rules, owned.rules, ruleKey), foreign.rules, ruleKey),
    },
    remove: {
      routes: minus(owned.routes, desired.routes, routeKey),
      rules: minus(owned.rules, desired.rules, ruleKey),
    },
  };
}

export function countChanges(changes: Changes): number {
  return (
    changes.add.routes.length + changes.add.rules.length + changes.remove.routes.length + changes.remove.rules.length
  );
}
