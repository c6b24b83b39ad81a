/**
 * Apply → verify → undo. Records what multinic owned before, runs the changes in one
 * `ip -batch` per family, reads back, checks that the kernel holds exactly the desired
 * state and routes each address through its own table, and puts back what was there if
 * anything fails.
 */
import { KernelCommandFailed, VerificationFailed } from '../errors.js';
import { countChanges, diffRouting } from '../plan/diff.js';
import { toBatches } from '../plan/ip-commands.js';
import type { Changes, PlannedNic, RouteSpec, RoutingState } from '../plan/types.js';
import { readLive } from './read-live.js';
import { runChecked, type Run } from './run.js';
import type { RouteAnswers } from './route-get.js';
import { checkRoutes, probeLinesFor, type RouteCheck } from './verify.js';

export async function runBatches(run: Run, changes: Changes, options: { force?: boolean } = {}): Promise<void> {
  for (const [family, lines] of toBatches(changes)) {
    const input = `${lines.map((args) => args.join(' ')).join('\n')}\n`;
    await runChecked(run, 'ip', [`-${family}`, ...(options.force ? ['-force'] : []), '-batch', '-'], input);
  }
}

export interface ApplyResult {
  changed: number;
  checks: RouteCheck[];
}

export async function applyChanges(
  run: Run,
  input: {
    changes: Changes;
    desired: RoutingState;
    before: RoutingState;
    nics: PlannedNic[];
    /** Route answers read with `before` (readLive's probes): they stand only if nothing changes. */
    known?: RouteAnswers;
    /** Routes someone else made, read with `before`: those in multinic's tables are probed too. */
    others?: RouteSpec[];
  },
): Promise<ApplyResult> {
  const changed = countChanges(input.changes);
  try {
    if (changed > 0) await runBatches(run, input.changes);
    // With nothing applied, reading the kernel again would repeat the read the plan was just
    // diffed against (plan() is that same diffRouting, empty), and that read already carried
    // the probes of the last apply: a rerun spawns no process here unless a probe is new.
    // After a change, one read-back carries both the state and the probes (npm run bench).
    const after = changed === 0 ? undefined : await readLive(run, { probes: probeLinesFor(input.nics, input.desired) });
    const leftover = after ? diffRouting(input.desired, after.owned, after.foreign) : input.changes;
    if (countChanges(leftover) > 0) {
      throw new VerificationFailed('the kernel does not hold what was applied', [
        ...leftover.add.rules.map((rule) => `rule from ${rule.from} lookup ${rule.table} is missing`),
        ...leftover.add.routes.map((route) => `route ${route.dst} in table ${route.table} is missing`),
        ...leftover.remove.rules.map((rule) => `rule from ${rule.from} lookup ${rule.table} is still there`),
        ...leftover.remove.routes.map((route) => `route ${route.dst} in table ${route.table} is still there`),
      ]);
    }
    const others = after ? after.foreign.routes : (input.others ?? []);
    const checks = await checkRoutes(run, input.nics, input.desired, after ? after.routeAnswers : input.known, others);
    const failed = checks.filter((check) => !check.ok);
    if (failed.length > 0) {
      throw new VerificationFailed('an address does not route through its own table', failed.map((check) => check.message));
    }
    return { changed, checks };
  } catch (error) {
    if (changed > 0) await undo(run, input.before, error);
    throw error;
  }
}

/** Puts back exactly the rules and routes multinic owned before the run. */
export async function undo(run: Run, before: RoutingState, reason: unknown): Promise<void> {
  try {
    const now = await readLive(run);
    const back = diffRouting(before, now.owned);
    if (countChanges(back) > 0) await runBatches(run, back, { force: true });
  } catch (undoError) {
    throw new KernelCommandFailed(
      `applying failed (${(reason as Error).message}) and undoing it failed too: ${(undoError as Error).message}`,
      'ip -batch (undo)',
      '',
      { cause: undoError },
    );
  }
}
