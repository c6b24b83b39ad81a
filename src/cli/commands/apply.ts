import { parsePersistChoice, persistPlan } from '../../persist/persist.js';
import { applyChanges } from '../../kernel/apply.js';
import type { Run } from '../../kernel/run.js';
import { DEFAULT_DEADLINE_MS } from '../../metadata/source.js';
import { writeApplied } from '../../state/applied.js';
import { writeCachedNetworkData } from '../../metadata/cache.js';
import { acquireRunLock } from '../../state/lock.js';
import { writeState } from '../../state/store.js';
import { writeSysctlOriginals, writeSysctls } from '../../sysctl/read-write.js';
import { secondsOption, stringOption, type ParsedCommand } from '../args.js';
import { describeChangeCount, describeNics, planChangeCount, planCommands, planJson } from '../describe.js';
import type { Reporter } from '../output.js';
import { preparePlan } from '../pipeline.js';
import { waitForNics } from '../wait-for-nics.js';
import { sourceOptionsFrom } from './plan.js';

export const DEFAULT_WAIT_S = 10;

/**
 * `multinic apply`: one run at a time (a lock in the state dir); plan; wait a bounded
 * time for NICs still on their way; run only what differs in one batch per family;
 * verify; undo on failure; then record the state.
 */
export async function applyCommand(values: ParsedCommand['values'], run: Run, reporter: Reporter): Promise<number> {
  const persist = parsePersistChoice(stringOption(values, 'persist') ?? 'auto');
  const root = stringOption(values, 'root') ?? '/';
  const options = { ...sourceOptionsFrom(values, reporter), sysctl: values['no-sysctl'] !== true };
  const waitSeconds = secondsOption(values, 'wait');
  const waitMs = (waitSeconds ?? DEFAULT_WAIT_S) * 1000;
  const dryRun = values['dry-run'] === true;

  // A dry run changes nothing, so it does not queue behind a real run.
  const release = dryRun
    ? async () => undefined
    : await acquireRunLock(options.stateDir, {
        // As long as a whole run can take: its metadata deadline and its NIC wait.
        waitMs: (options.deadlineMs ?? DEFAULT_DEADLINE_MS) + waitMs,
        onWait: (message) => reporter.say(message),
      });
  try {
    // Everything is read after the lock is ours: a run that waited converges on what
    // the previous one left.
    const prepare = () => preparePlan(run, options);
    const prepared = await waitForNics(await prepare(), prepare, reporter, {
      waitMs,
      // Waiting for NICs the metadata does not list yet only when asked (the udev unit
      // does): on a guest with container interfaces every run would wait for nothing.
      includeUnlisted: waitSeconds !== undefined,
    });
    const { source, mapping, plan, live } = prepared;
    reporter.say(`network_data.json from ${source.origin}`);
    reporter.notes([...source.notes, ...plan.notes]);
    for (const line of describeNics(plan)) reporter.say(line);
    const commands = planCommands(plan);
    // The document passed validation: keep it for runs without the network (--offline).
    if (!dryRun && !options.offline) await writeCachedNetworkData(options.stateDir, source.text);
    if (dryRun) {
      reporter.say(`dry run: ${describeChangeCount(plan)}, nothing changed`);
      reporter.result(commands, { ...planJson(plan, mapping, source.origin), dryRun: true, applied: false });
      return 0;
    }
    const result = await applyChanges(run, { changes: plan.changes, desired: plan.desired, before: live.owned, nics: plan.nics });
    // The state is written only once the kernel holds the plan, so a failed run hands out no numbers.
    await writeState(options.stateDir, plan.state);
    await writeApplied(options.stateDir, { nics: plan.nics, desired: plan.desired });
    if (options.sysctl) {
      // Originals first: if a write fails half-way, what to put back is already on disk.
      await writeSysctlOriginals(options.stateDir, plan.sysctl.originals);
      await writeSysctls(plan.sysctl.set);
    }
    // Last: the kernel holds the plan; now the network manager's own configuration keeps it.
    const persisted = await persistPlan(plan, { choice: persist, root, stateDir: options.stateDir, sysctl: options.sysctl });
    for (const note of persisted.notes) reporter.say(`warning: ${note}`);
    if (persisted.report) {
      const { written, removed, refused, unchanged } = persisted.report;
      reporter.say(`persisted for ${persisted.backend} (${persisted.why}): ${written.length} written, ${unchanged.length} unchanged, ${removed.length} removed`);
      for (const path of refused) reporter.say(`warning: ${path} exists and was not written by multinic: left alone`);
    } else if (persist !== 'none') {
      reporter.say(`not persisted: ${persisted.why}`);
    }
    const changed = planChangeCount(plan);
    reporter.say(changed === 0 ? 'no changes' : `applied: ${describeChangeCount(plan)}`);
    reporter.say(`verified: ${result.checks.length} address(es) route through their own NIC`);
    reporter.result(changed === 0 ? [] : commands, {
      ...planJson(plan, mapping, source.origin),
      applied: true,
      changed,
      checks: result.checks,
      persisted,
    });
    return 0;
  } finally {
    await release();
  }
}
