import type { Run } from '../../kernel/run.js';
import { DEFAULT_DEADLINE_MS } from '../../metadata/source-options.js';
import { parsePersistChoice, PERSIST_NONE } from '../../persist/choice.js';
import { acquireRunLock } from '../../state/lock.js';
import { secondsOption, stringOption, type ParsedCommand } from '../args.js';
import type { Reporter } from '../output.js';
import { sourceOptionsFrom } from '../source-options.js';

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

  // A dry run changes nothing, so it does not queue behind a real run. The lock is asked
  // for first and the rest of the run's modules load while `flock` runs (npm run bench).
  const locking = dryRun
    ? Promise.resolve(async () => undefined)
    : acquireRunLock(options.stateDir, {
        // As long as a whole run can take: its metadata deadline and its NIC wait.
        waitMs: (options.deadlineMs ?? DEFAULT_DEADLINE_MS) + waitMs,
        onWait: (message) => reporter.say(message),
      });
  const modules = loadApplyModules();
  // The document is read while `flock` runs: that changes nothing and reads no kernel
  // state. The kernel and the state files are read only once the lock is ours, so a run
  // that waited converges on what the previous one left.
  const document = modules.then(({ loadNetworkData }) => loadNetworkData(options, run));
  document.catch(() => undefined); // settled below; until then a failure is not unhandled
  // Both settle before anything is decided: a failed import must not leave the lock unreleased.
  const [locked, loaded] = await Promise.allSettled([locking, modules]);
  if (locked.status === 'rejected') throw locked.reason;
  const release = locked.value;
  try {
    if (loaded.status === 'rejected') throw loaded.reason;
    const { applyChanges, writeCachedNetworkData, writeApplied, writeState, writeSysctlOriginals, writeSysctls, prepareWithOwnAddresses, waitForNics, loadNetworkData } = loaded.value;
    const { describeChangeCount, describeNics, planChangeCount, planCommands, planJson } = loaded.value;
    // Plans, after putting on the addresses of NICs no network owner configures (own-addresses.ts).
    const prepare = prepareWithOwnAddresses(run, options, { root, dryRun, reporter });
    // The first plan uses the document read above; a run waiting for NICs reads it again.
    const prepared = await waitForNics(await prepare(document), prepare, reporter, {
      waitMs,
      // The metadata side is read again within the wait's own bound, with no retry notices.
      fetchDocument: (deadlineMs) => loadNetworkData({ ...options, deadlineMs, onRetry: () => undefined }, run),
      // Waiting for NICs the metadata does not list yet only when asked (the udev unit
      // does): on a guest with container interfaces every run would wait for nothing.
      includeUnlisted: waitSeconds !== undefined,
    });
    const { source, mapping, plan, live } = prepared;
    reporter.say(`network_data.json from ${source.origin}`);
    reporter.notes([...source.notes, ...plan.notes]);
    for (const line of describeNics(plan)) reporter.say(line);
    const commands = planCommands(plan);
    if (dryRun) {
      reporter.say(`dry run: ${describeChangeCount(plan)}, nothing changed`);
      reporter.result(commands, { ...planJson(plan, mapping, source.origin), dryRun: true, applied: false });
      return 0;
    }
    // The document passed validation: keep it for runs without the network (--offline),
    // whatever the kernel makes of it. Written while `ip` runs (its fsyncs overlap the batch).
    const caching = options.offline ? Promise.resolve() : writeCachedNetworkData(options.stateDir, source.text);
    const [applying, cached] = await Promise.allSettled([
      applyChanges(run, { changes: plan.changes, desired: plan.desired, before: live.owned, nics: plan.nics, known: live.routeAnswers }),
      caching,
    ]);
    if (applying.status === 'rejected') throw applying.reason;
    const result = applying.value;
    // The state is written only once the kernel holds the plan, so a failed run hands out no
    // numbers. Separate files, written side by side; the sysctl originals are on disk before
    // any sysctl changes, so what to put back is never lost.
    await Promise.all([
      writeState(options.stateDir, plan.state),
      writeApplied(options.stateDir, { nics: plan.nics, desired: plan.desired }),
      options.sysctl ? writeSysctlOriginals(options.stateDir, plan.sysctl.originals) : undefined,
    ]);
    if (options.sysctl) await writeSysctls(plan.sysctl.set);
    // Only now: the kernel and the state agree, so a failed cache write loses nothing else.
    if (cached.status === 'rejected') throw cached.reason;
    // Last: the kernel holds the plan; now the network manager's own configuration keeps it.
    // The backends' modules load only when something is to be written.
    const persisted =
      persist === 'none'
        ? PERSIST_NONE
        : await (await import('../../persist/persist.js')).persistPlan(plan, { choice: persist, root, stateDir: options.stateDir, sysctl: options.sysctl, selfConfigured: prepared.selfConfigured });
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

/** What a run needs once it holds the lock, loaded while `flock` runs. */
async function loadApplyModules() {
  const [kernelApply, cache, applied, store, sysctl, describe, pipeline, wait, source, ownAddresses] = await Promise.all([
    import('../../kernel/apply.js'),
    import('../../metadata/cache.js'),
    import('../../state/applied.js'),
    import('../../state/store.js'),
    import('../../sysctl/read-write.js'),
    import('../describe.js'),
    import('../pipeline.js'),
    import('../wait-for-nics.js'),
    import('../../metadata/source.js'),
    import('../own-addresses.js'),
  ]);
  return { ...kernelApply, ...cache, ...applied, ...store, ...sysctl, ...describe, ...pipeline, ...wait, ...source, ...ownAddresses };
}
