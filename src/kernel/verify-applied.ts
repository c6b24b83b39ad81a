/**
 * The verify stage of apply: after the change, the kernel is read again, on its own, and
 * must hold exactly the desired routing; then every address must route through its own NIC
 * and table (`ip route get`, asked now, verify.ts).
 */
import { VerificationFailed } from '../errors.js';
import { describeDrift } from '../plan/describe-drift.js';
import { countChanges, diffRouting } from '../plan/diff.js';
import type { PlannedNic, RouteSpec, RoutingState } from '../plan/types.js';
import { readLive } from './read-live.js';
import type { Run } from './run.js';
import { checkRoutes, type RouteCheck } from './verify.js';

/** `others`: routes someone else made, read before the change: those in multinic's tables are probed too. */
export async function verifyApplied(
  run: Run,
  nics: PlannedNic[],
  desired: RoutingState,
  others: RouteSpec[] = [],
): Promise<RouteCheck[]> {
  const after = await readLive(run);
  const leftover = diffRouting(desired, after.owned, after.foreign);
  if (countChanges(leftover) > 0)
    throw new VerificationFailed(
      'the kernel does not hold what was applied',
      describeDrift(leftover, { removals: true }),
    );
  const checks = await checkRoutes(run, nics, desired, others);
  const failed = checks.filter((check) => !check.ok);
  if (failed.length > 0)
    throw new VerificationFailed(
      'an address does not route through its own table',
      failed.map((check) => check.message),
    );
  return checks;
}
