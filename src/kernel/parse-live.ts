/**
 * Reads `ip -j -N route show table all` and `ip -j -N rule show` output into the plan's
 * own RouteSpec/RuleSpec, keeping only what carries multinic's protocol. Pure.
 * `-N` makes tables, protocols and scopes numeric, whatever rt_tables.d and
 * rt_protos.d name them on this guest.
 */
import { addressPart, canonicalAddress, cidrText, familyOf, maxPrefix, parseCidr } from '../model/addresses.js';
import type { Family } from '../model/types.js';
import { MULTINIC_PROTOCOL, MULTINIC_PROTOCOL_NAME } from '../plan/ip-commands.js';
import { isOurTable, MAIN_TABLE as MAIN_TABLE_ID, tierOf } from '../plan/local-paths.js';
import type { RouteSpec, RoutingState, RuleSpec } from '../plan/types.js';

export interface IpRoute {
  type?: string;
  dst?: string;
  gateway?: string;
  via?: { family?: string; host?: string };
  dev?: string;
  table?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  metric?: number;
}

export interface IpRule {
  priority?: number;
  src?: string;
  srclen?: number;
  dst?: string;
  dstlen?: number;
  table?: string;
  protocol?: string;
  suppress_prefixlen?: number;
}

export function isOurs(protocol: string | undefined): boolean {
  return protocol === String(MULTINIC_PROTOCOL) || protocol === MULTINIC_PROTOCOL_NAME;
}

const MAIN_TABLE = '254';

function familyOfDst(dst: string, hint?: Family): Family | undefined {
  if (dst === 'default') return hint;
  return familyOf(addressPart(dst));
}

function withPrefix(dst: string, family: Family): string {
  if (dst === 'default') return dst;
  const cidr = parseCidr(dst);
  if (!cidr) return `${dst}/${maxPrefix(family)}`;
  return cidr.prefix === 0 ? 'default' : cidrText(cidr);
}

/** Route family from the entry itself: the gateway's or the destination's. */
function routeFamily(route: IpRoute): Family | undefined {
  const gateway = route.gateway ?? route.via?.host;
  if (gateway) return familyOf(gateway);
  if (route.prefsrc) return familyOf(route.prefsrc);
  return route.dst ? familyOfDst(route.dst) : undefined;
}

export function toRouteSpec(route: IpRoute, familyHint?: Family): RouteSpec | undefined {
  const family = routeFamily(route) ?? familyHint;
  if (!family || !route.dst || !route.dev || route.table === undefined) return undefined;
  const table = Number(route.table);
  if (!Number.isInteger(table)) return undefined;
  const gateway = route.gateway ?? route.via?.host;
  return {
    family,
    table,
    dst: withPrefix(route.dst, family),
    ...(gateway ? { via: canonicalAddress(gateway) } : {}),
    dev: route.dev,
    ...(route.prefsrc ? { src: canonicalAddress(route.prefsrc) } : {}),
    ...(family === 4 && (route.scope === '253' || route.scope === 'link') ? { scope: 'link' as const } : {}),
  };
}

export function toRuleSpec(rule: IpRule, family: Family): RuleSpec | undefined {
  if (rule.priority === undefined || !rule.src || rule.src === 'all' || rule.table === undefined) return undefined;
  const table = Number(rule.table);
  if (!Number.isInteger(table)) return undefined;
  const length = rule.srclen ?? maxPrefix(family);
  return {
    family,
    priority: rule.priority,
    from: `${canonicalAddress(rule.src)}/${length}`,
    ...(rule.dst && rule.dst !== 'all'
      ? { to: `${canonicalAddress(rule.dst)}/${rule.dstlen ?? maxPrefix(family)}` }
      : {}),
    table,
    ...(rule.suppress_prefixlen !== undefined ? { suppressPrefixlength: rule.suppress_prefixlen } : {}),
  };
}

/**
 * Exact ownership (issue 14): a route is multinic's when it carries its protocol AND sits
 * in a table of multinic's range; a rule when it carries the protocol AND sits at one of
 * multinic's priorities with the shape of that tier. A tagged route in the main table, a
 * tagged rule at priority 500 or pointing elsewhere: someone else's, never changed.
 */
export function isOwnedRoute(route: IpRoute): boolean {
  return isOurs(route.protocol) && route.table !== undefined && isOurTable(Number(route.table));
}

export function isOwnedRule(rule: IpRule): boolean {
  if (!isOurs(rule.protocol) || rule.priority === undefined) return false;
  const tier = tierOf(rule.priority);
  const table = Number(rule.table);
  if (tier === 'main')
    return table === MAIN_TABLE_ID && rule.suppress_prefixlen === 0 && (rule.dst === undefined || rule.dst === 'all');
  // Tier 1 with or without `to`: releases before issue 14 put `from ADDR lookup T` here, and
  // an upgrade must remove those (they would shadow tier 2 and break container paths).
  if (tier === 'to') return isOurTable(table) && rule.suppress_prefixlen === undefined;
  if (tier === 'from')
    return isOurTable(table) && (rule.dst === undefined || rule.dst === 'all') && rule.suppress_prefixlen === undefined;
  return false;
}

/** The routes and rules multinic owns, from the raw dumps. */
export function ownedRouting(routes: IpRoute[], rules4: IpRule[], rules6: IpRule[]): RoutingState {
  const ownedRoutes = routes.filter(isOwnedRoute).flatMap((route) => toRouteSpec(route) ?? []);
  const ownedRules = [
    ...rules4.filter(isOwnedRule).flatMap((rule) => toRuleSpec(rule, 4) ?? []),
    ...rules6.filter(isOwnedRule).flatMap((rule) => toRuleSpec(rule, 6) ?? []),
  ];
  return { routes: ownedRoutes, rules: ownedRules };
}

/**
 * Routes and rules made by someone else (no multinic tag) in non-main tables: after a
 * reboot, the network manager multinic persisted to (netplan, networkd, ifcfg...) has put
 * the same routes back with its own protocol. multinic must count them as present (the
 * kernel refuses a second route with the same key) but never remove them.
 */
export function foreignRouting(routes: IpRoute[], rules4: IpRule[], rules6: IpRule[]): RoutingState {
  const RESERVED = new Set(['253', '254', '255', 'default', 'main', 'local']);
  return {
    routes: routes
      .filter((route) => !isOwnedRoute(route) && route.table !== undefined && !RESERVED.has(route.table))
      .flatMap((route) => toRouteSpec(route) ?? []),
    rules: [
      ...rules4.filter((rule) => !isOwnedRule(rule)).flatMap((rule) => toRuleSpec(rule, 4) ?? []),
      ...rules6.filter((rule) => !isOwnedRule(rule)).flatMap((rule) => toRuleSpec(rule, 6) ?? []),
    ],
  };
}

/** Default gateways in the main table per interface (what DHCP or RAs installed). */
export function mainDefaultGateways(routes: IpRoute[]): Map<string, Partial<Record<Family, string>>> {
  const gateways = new Map<string, Partial<Record<Family, string>>>();
  for (const route of routes) {
    const table = route.table ?? MAIN_TABLE;
    if (table !== MAIN_TABLE && table !== 'main') continue;
    if (route.dst !== 'default' || !route.dev) continue;
    const gateway = route.gateway ?? route.via?.host;
    const family = gateway ? familyOf(gateway) : undefined;
    if (!gateway || !family) continue;
    const entry = gateways.get(route.dev) ?? {};
    entry[family] ??= gateway;
    gateways.set(route.dev, entry);
  }
  return gateways;
}
