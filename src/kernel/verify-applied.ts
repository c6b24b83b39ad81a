/**
 * The verify stage of apply: after the change, the kernel is read again, on its own, and
 * must hold exactly the desired routing, and every address must route through its own NIC
 * and table (`ip route get`, asked in the same batch as the read).
 */
import { VerificationFailed } from '../errors.js';
import { countChanges, diffRouting } from '../plan/diff.js';
import type { PlannedNic, RouteSpec, RoutingState } from '../plan/types.js';
import { readLive } from './read-live.js';
import type { Run } from './run.js';
import { checkRoutes, probeLinesFor, type RouteCheck } from './verify.js';

/** `others`: routes someone else made, read before the change: those in multinic's tables are probed too. */
export async function verifyApplied(run: Run, nics: PlannedNic[], desired: RoutingState, others: RouteSpec[] = []): Promise<RouteCheck[]> {
  const after = await readLive(run, { probes: probeLinesFor(nics, desired, others) });
  const leftover = diffRouting(desired, after.owned, after.foreign);
  if (countChanges(leftover) > 0) {
    throw new VerificationFailed('the kernel does not hold what was applied', [
      ...leftover.add.rules.map((rule) => `rule from ${rule.from} lookup ${rule.table} is missing`),
      ...leftover.add.routes.map((route) => `route ${route.dst} in table ${route.table} is missing`),
      ...leftover.remove.rules.map((rule) => `rule from ${rule.from} lookup ${rule.table} is still there`),
      ...leftover.remove.routes.map((route) => `route ${route.dst} in table ${route.table} is still there`),
    ]);
  }
  const checks = await checkRoutes(run, nics, desired, after.routeAnswers, after.foreign.routes);
  const failed = checks.filter((check) => !check.ok);
  if (failed.length > 0) throw new VerificationFailed('an address does not route through its own table', failed.map((check) => check.message));
  return checks;
}
