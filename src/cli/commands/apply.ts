import { applyChanges } from '../../kernel/apply.js';
import type { Run } from '../../kernel/run.js';
import { writeState } from '../../state/store.js';
import { writeApplied } from '../../state/applied.js';
import { UsageError } from '../../errors.js';
import { stringOption, type ParsedCommand } from '../args.js';
import { describeChangeCount, describeNics, planChangeCount, planCommands, planJson } from '../describe.js';
import { writeSysctlOriginals, writeSysctls } from '../../sysctl/read-write.js';
import type { Reporter } from '../output.js';
import { preparePlan } from '../pipeline.js';
import { sourceOptionsFrom } from './plan.js';

const PERSIST_CHOICES = ['none'];

/** `multinic apply`: plan, run only what differs in one batch, verify, undo on failure. */
export async function applyCommand(values: ParsedCommand['values'], run: Run, reporter: Reporter): Promise<number> {
  const persist = stringOption(values, 'persist') ?? 'none';
  if (!PERSIST_CHOICES.includes(persist)) throw new UsageError(`--persist: "${persist}" is not one of ${PERSIST_CHOICES.join(', ')}`);
  const options = sourceOptionsFrom(values, reporter);
  const sysctl = values['no-sysctl'] !== true;
  const { source, mapping, plan, live } = await preparePlan(run, { ...options, sysctl });
  reporter.say(`network_data.json from ${source.origin}`);
  reporter.notes([...source.notes, ...plan.notes]);
  for (const line of describeNics(plan)) reporter.say(line);
  const commands = planCommands(plan);
  if (values['dry-run']) {
    reporter.say(`dry run: ${describeChangeCount(plan)}, nothing changed`);
    reporter.result(commands, { ...planJson(plan, mapping, source.origin), dryRun: true, applied: false });
    return 0;
  }
  const result = await applyChanges(run, { changes: plan.changes, desired: plan.desired, before: live.owned, nics: plan.nics });
  // The state is written only once the kernel holds the plan, so a failed run hands out no numbers.
  await writeState(options.stateDir, plan.state);
  await writeApplied(options.stateDir, { nics: plan.nics, desired: plan.desired });
  if (sysctl) {
    // Originals first: if a write fails half-way, what to put back is already on disk.
    await writeSysctlOriginals(options.stateDir, plan.sysctl.originals);
    await writeSysctls(plan.sysctl.set);
  }
  const changed = planChangeCount(plan);
  reporter.say(changed === 0 ? 'no changes' : `applied: ${describeChangeCount(plan)}`);
  reporter.say(`verified: ${result.checks.length} address(es) route through their own NIC`);
  reporter.result(changed === 0 ? [] : commands, {
    ...planJson(plan, mapping, source.origin),
    applied: true,
    changed,
    checks: result.checks,
  });
  return 0;
}
