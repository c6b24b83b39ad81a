import { VerificationFailed } from '../../errors.js';
import { readLive } from '../../kernel/read-live.js';
import type { Run } from '../../kernel/run.js';
import { checkRoutes } from '../../kernel/verify.js';
import { describeDrift } from '../../plan/describe-drift.js';
import { diffRouting } from '../../plan/diff.js';
import type { PlannedNic, RoutingState } from '../../plan/types.js';
import { readApplied } from '../../state/applied.js';
import { DEFAULT_STATE_DIR } from '../../state/state-dir.js';
import { nicsFromState, rebuildState } from '../../state/rebuild.js';
import { readState } from '../../state/store.js';
import { stringOption, type ParsedCommand } from '../args.js';
import type { Reporter } from '../output.js';

/**
 * `multinic verify`: checks the kernel against what the last apply put in place (no
 * metadata needed): every route and rule still there, and every managed address (and
 * every host route) routed through its own NIC and table. Exit 0 only when all hold.
 */
export async function verifyCommand(values: ParsedCommand['values'], run: Run, reporter: Reporter): Promise<number> {
  const stateDir = stringOption(values, 'state-dir') ?? DEFAULT_STATE_DIR;
  const warn = (message: string) => {
    reporter.say(`warning: ${message}`);
  };
  const applied = await readApplied(stateDir, warn);
  const live = await readLive(run);
  const state = (await readState(stateDir, warn)) ?? rebuildState(live.owned, live.interfaces);
  // Without a record of the last apply (missing or damaged), check what is live.
  const expected: RoutingState = applied?.desired ?? live.owned;
  const nics: PlannedNic[] = applied?.nics ?? nicsFromState(state, live.owned);
  // Only what is missing fails here: a tagged object beyond the record is the next apply's to remove.
  const failures = [
    ...describeDrift(diffRouting(expected, live.owned, live.foreign), { removals: false }),
    ...nics
      .filter((nic) => nic.addresses.length === 0)
      .map((nic) => `${nic.iface} (${nic.mac}): no rule in place for table ${nic.table}`),
  ];
  const checks = await checkRoutes(run, nics, expected, live.foreign.routes);
  failures.push(...checks.filter((check) => !check.ok).map((check) => check.message));
  for (const check of checks) reporter.say(`${check.ok ? 'ok' : 'FAIL'}: ${check.message}`);
  reporter.result(failures.length === 0 ? [`ok: ${checks.length} check(s) hold`] : failures, {
    ok: failures.length === 0,
    checks,
    failures,
  });
  if (failures.length > 0) throw new VerificationFailed(`${failures.length} check(s) failed`, failures);
  return 0;
}
