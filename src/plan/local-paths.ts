/**
 * The rule design that keeps every other path working (issue 14). Pure.
 *
 * `from <addr> lookup <table>` alone sends every reply from a managed address through
 * its NIC's table, including replies to a container bridge or a tunnel that the main
 * table routes more specifically (amazon-ec2-net-utils issues 97/100, cloud-init 5249).
 * `lookup main suppress_prefixlength 0` in front of it (nm-cloud-setup) brings those back
 * but also sends replies to an on-link neighbour of a secondary NIC, or to another of the
 * guest's own subnets, out of whichever NIC the main table picks, where port security
 * drops them. So each managed address gets three rules, in this order:
 *
 *   1. `from ADDR to P lookup TABLE`, for every prefix P that any of multinic's tables
 *      routes (the guest's managed subnets and the metadata's host routes): the NIC's
 *      table resolves them, by its own subnet route or else its own gateway;
 *   2. `from ADDR lookup main suppress_prefixlength 0`: any other path the main table
 *      routes more specifically than a default route (docker0, virbr0, cni0, wg0, tun0...)
 *      is used as the main table has it; a main-table default route is suppressed;
 *   3. `from ADDR lookup TABLE`: everything else leaves by the NIC's own gateway.
 *
 * Each tier has its own priority range, per slot: tier 1 at PRIORITY_BASE + slot (the
 * historical priority), tier 2 at + TIER_STEP, tier 3 at + 2 × TIER_STEP. multinic's rules
 * are exactly those tagged with its protocol at these priorities.
 */
import ipaddr from 'ipaddr.js';
import type { Family } from '../model/types.js';
import { PRIORITY_BASE, SLOT_COUNT, TABLE_BASE } from './allocate.js';
import type { RouteSpec } from './types.js';

export const TIER_STEP = SLOT_COUNT;
export const MAIN_TABLE = 254;

export type Tier = 'to' | 'main' | 'from';

/** The priority of a tier's rule, from the slot's (tier 1) priority. */
export function tierPriority(priority: number, tier: Tier): number {
  return priority + (tier === 'to' ? 0 : tier === 'main' ? TIER_STEP : 2 * TIER_STEP);
}

/** Which tier a priority of multinic's ranges belongs to, or undefined outside them. */
export function tierOf(priority: number): Tier | undefined {
  const offset = priority - PRIORITY_BASE;
  if (offset >= 1 && offset <= SLOT_COUNT) return 'to';
  if (offset >= TIER_STEP + 1 && offset <= TIER_STEP + SLOT_COUNT) return 'main';
  if (offset >= 2 * TIER_STEP + 1 && offset <= 2 * TIER_STEP + SLOT_COUNT) return 'from';
  return undefined;
}

/** Whether a table number is in multinic's range (TABLE_BASE + 1 … TABLE_BASE + SLOT_COUNT). */
export function isOurTable(table: number): boolean {
  return table > TABLE_BASE && table <= TABLE_BASE + SLOT_COUNT;
}

/**
 * The prefixes of one family that multinic's tables route (everything but default
 * routes), without those another one already contains: a longer prefix inside a shorter
 * one is resolved by the same table lookup anyway.
 */
export function managedPrefixes(routes: RouteSpec[], family: Family): string[] {
  const all = [
    ...new Set(routes.filter((route) => route.family === family && route.dst !== 'default').map((route) => route.dst)),
  ];
  const parsed = all.map((dst) => ({ dst, cidr: ipaddr.parseCIDR(dst) }));
  return parsed
    .filter(
      ({ dst, cidr }) =>
        !parsed.some(
          (other) =>
            other.dst !== dst &&
            other.cidr[1] <= cidr[1] &&
            (other.cidr[1] < cidr[1] || other.dst < dst) &&
            cidr[0].match(other.cidr),
        ),
    )
    .map(({ dst }) => dst)
    .sort();
}
