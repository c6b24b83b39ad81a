/**
 * The routing words the backends share, said once: how a network manager's file spells the
 * destination `ip` calls `default`, and which gateways must be declared on-link. Pure.
 */
import { isLinkLocal } from '../model/addresses.js';
import type { RouteSpec } from '../plan/types.js';

/** `default` is `ip`'s word; netplan, networkd and NetworkManager want 0.0.0.0/0 or ::/0. */
export function destinationOf(route: Pick<RouteSpec, 'dst' | 'family'>): string {
  if (route.dst !== 'default') return route.dst;
  return route.family === 4 ? '0.0.0.0/0' : '::/0';
}

/**
 * A link-local gateway (an IPv6 router's fe80:: address) is on-link by definition but lies in
 * no subnet route of the table: netplan and networkd refuse the route unless told so.
 */
export function gatewayOnLink(route: Pick<RouteSpec, 'via'>): boolean {
  return route.via !== undefined && isLinkLocal(route.via);
}
