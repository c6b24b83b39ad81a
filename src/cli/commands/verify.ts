import { VerificationFailed } from '../../errors.js';
import { readLive } from '../../kernel/read-live.js';
import type { Run } from '../../kernel/run.js';
import { checkRoutes } from '../../kernel/verify.js';
import type { PlannedNic } from '../../plan/types.js';
import { DEFAULT_STATE_DIR, readState } from '../../state/store.js';
import { stringOption, type ParsedCommand } from '../args.js';
import type { Reporter } from '../output.js';

/**
 * `multinic verify`: asks the kernel how replies from each managed address would leave,
 * from what is live and the state file (no metadata needed). Exit 0 only when all hold.
 */
export async function verifyCommand(values: ParsedCommand['values'], run: Run, reporter: Reporter): Promise<number> {
  const stateDir = stringOption(values, 'state-dir') ?? DEFAULT_STATE_DIR;
  const [state, live] = await Promise.all([readState(stateDir), readLive(run)]);
  const nics: PlannedNic[] = Object.entries(state.allocations)
    .filter(([, allocation]) => allocation.attached && allocation.iface)
    .map(([mac, allocation]) => ({
      mac,
      iface: allocation.iface as string,
      table: allocation.table,
      priority: allocation.priority,
      addresses: live.owned.rules.filter((rule) => rule.table === allocation.table).map((rule) => rule.from.split('/')[0] ?? ''),
    }));
  const checks = await checkRoutes(run, nics, live.owned);
  const missing = nics.filter((nic) => nic.addresses.length === 0).map((nic) => `${nic.iface} (${nic.mac}): no rule in place for table ${nic.table}`);
  const failures = [...checks.filter((check) => !check.ok).map((check) => check.message), ...missing];
  for (const check of checks) reporter.say(`${check.ok ? 'ok' : 'FAIL'}: ${check.message}`);
  reporter.result(failures.length === 0 ? [`ok: ${checks.length} address(es) route through their own NIC`] : failures, { ok: failures.length === 0, checks, failures });
  if (failures.length > 0) throw new VerificationFailed(`${failures.length} check(s) failed`, failures);
  return 0;
}
