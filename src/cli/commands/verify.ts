import { VerificationFailed } from '../../errors.js';
import { readLive } from '../../kernel/read-live.js';
import type { Run } from '../../kernel/run.js';
import { checkRoutes, probeLinesFor } from '../../kernel/verify.js';
import { diffRouting } from '../../plan/diff.js';
import type { PlannedNic, RoutingState } from '../../plan/types.js';
import { readApplied } from '../../state/applied.js';
import { DEFAULT_STATE_DIR } from '../../state/state-dir.js';
import { rebuildState } from '../../state/rebuild.js';
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
  const warn = (message: string) => reporter.say(`warning: ${message}`);
  const applied = await readApplied(stateDir, warn);
  // The recorded addresses' probes ride in the read; without a record they are asked after.
  const live = await readLive(run, { probes: applied ? probeLinesFor(applied.nics, applied.desired) : [] });
  const state = (await readState(stateDir, warn)) ?? rebuildState(live.owned, live.interfaces);
  // Without a record of the last apply (missing or damaged), check what is live.
  const expected: RoutingState = applied?.desired ?? live.owned;
  const nics: PlannedNic[] =
    applied?.nics ??
    Object.entries(state.allocations)
      .filter(([, allocation]) => allocation.attached && allocation.iface)
      .map(([mac, allocation]) => ({
        mac,
        iface: allocation.iface as string,
        table: allocation.table,
        priority: allocation.priority,
        addresses: [...new Set(live.owned.rules.filter((rule) => rule.table === allocation.table).map((rule) => rule.from.split('/')[0] ?? ''))],
      }));
  const drift = diffRouting(expected, live.owned, live.foreign);
  const failures = [
    ...drift.add.rules.map((rule) => `rule from ${rule.from} lookup ${rule.table} is missing`),
    ...drift.add.routes.map((route) => `route ${route.dst}${route.via ? ` via ${route.via}` : ''} dev ${route.dev} in table ${route.table} is missing`),
    ...nics.filter((nic) => nic.addresses.length === 0).map((nic) => `${nic.iface} (${nic.mac}): no rule in place for table ${nic.table}`),
  ];
  const checks = await checkRoutes(run, nics, expected, live.routeAnswers, live.foreign.routes);
  failures.push(...checks.filter((check) => !check.ok).map((check) => check.message));
  for (const check of checks) reporter.say(`${check.ok ? 'ok' : 'FAIL'}: ${check.message}`);
  reporter.result(failures.length === 0 ? [`ok: ${checks.length} check(s) hold`] : failures, { ok: failures.length === 0, checks, failures });
  if (failures.length > 0) throw new VerificationFailed(`${failures.length} check(s) failed`, failures);
  return 0;
}
