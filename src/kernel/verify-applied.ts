/**
 * The verify stage of apply: after the change, the kernel is read again, on its own, and
 * must hold exactly the desired routing; then every address must route through its own NIC
 * and table (`ip route get`, asked now, verify.ts).
 */
import { VerificationFailed } from '../errors.js';
import { describeDrift } from '../plan/describe-drift.js';
import { countChanges, diffRouting } from '../plan/diff.js';
import type { PlannedNic, RouteSpec, RoutingState } from '../plan/types.js';
import { readLive, readRoutingAsking } from './read-live.js';
import { askRoutes, collectRouteAnswers, routeGetLines } from './route-get.js';
import type { Run } from './run.js';
import { judgeProbes, probesFor, type RouteCheck } from './verify.js';

export interface VerifyContext {
  /** Routes someone else made, read before the change: those in multinic's tables are probed too. */
  others?: RouteSpec[];
  /** What multinic owned before the run; absent: unknown. */
  before?: RoutingState;
}

export async function verifyApplied(
  run: Run,
  nics: PlannedNic[],
  desired: RoutingState,
  { others = [], before }: VerifyContext = {},
): Promise<RouteCheck[]> {
  const probes = probesFor(nics, desired, others);
  // IPv6 rules of multinic's can exist after the change only if the plan has some or the
  // run began with some (the change only adds the plan's and removes the run's): without
  // either, their read (a process of its own) is left out.
  const ipv6Rules = !before || [...desired.rules, ...before.rules].some((rule) => rule.family === 6);
  // The read and the route questions in one batch: every process started costs a run more
  // than the read itself (BENCHMARKS.md). When a question has no answer, the batch stops
  // there, and the read and the questions are asked apart so each question is judged alone.
  const together = await readRoutingAsking(run, routeGetLines(probes), { ipv6Rules });
  const after = together ?? (await readLive(run));
  const leftover = diffRouting(desired, after.owned, after.foreign);
  if (countChanges(leftover) > 0)
    throw new VerificationFailed(
      'the kernel does not hold what was applied',
      describeDrift(leftover, { removals: true }),
    );
  const answers = together ? collectRouteAnswers(together.answers) : await askRoutes(run, probes);
  const checks = judgeProbes(probes, answers);
  const failed = checks.filter((check) => !check.ok);
  if (failed.length > 0)
    throw new VerificationFailed(
      'an address does not route through its own table',
      failed.map((check) => check.message),
    );
  return checks;
}
