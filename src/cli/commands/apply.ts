import { access, constants } from 'node:fs/promises';
import { MultinicError, StorageFailed } from '../../errors.js';
import { describeErrno } from '../../io/read-bounded.js';
import { runBatches, undoRouting } from '../../kernel/apply.js';
import type { Run } from '../../kernel/run.js';
import { verifyApplied } from '../../kernel/verify-applied.js';
import { loadNetworkData } from '../../metadata/source.js';
import { DEFAULT_DEADLINE_MS } from '../../metadata/source-options.js';
import { parsePersistChoice, PERSIST_NONE } from '../../persist/choice.js';
import { persistPlan } from '../../persist/persist.js';
import { chaosPoint } from '../../state/chaos.js';
import { cleanTempFiles } from '../../state/files.js';
import { acquireRunLock } from '../../state/lock.js';
import { writeRecord } from '../../state/record.js';
import { restoreSysctls, writeSysctlOriginals, writeSysctls } from '../../sysctl/read-write.js';
import { secondsOption, stringOption, type ParsedCommand } from '../args.js';
import { describeChangeCount, describeNics, planChangeCount, planCommands, planJson } from '../describe.js';
import type { Reporter } from '../output.js';
import { prepareWithOwnAddresses } from '../own-addresses.js';
import { untilNicsHoldStill } from '../rerun-on-nic-change.js';
import { sourceOptionsFrom } from '../source-options.js';
import { waitForNics } from '../wait-for-nics.js';

/** Appended to the message of a run that failed after the kernel changed and was undone. */
export const PUT_BACK = 'the guest was put back as it was before this run';

/**
 * `multinic apply`. A run that waits for NICs (--wait: the boot and hotplug units) on the
 * live system goes round again when NICs came or went while it ran (rerun-on-nic-change.ts).
 */
export async function applyCommand(values: ParsedCommand['values'], run: Run, reporter: Reporter): Promise<number> {
  const live =
    secondsOption(values, 'wait') !== undefined &&
    values['dry-run'] !== true &&
    (stringOption(values, 'root') ?? '/') === '/';
  if (!live) return await applyOnce(values, run, reporter);
  return await untilNicsHoldStill(
    () => applyOnce(values, run, reporter),
    (message) => {
      reporter.say(message);
    },
  );
}

/**
 * One `multinic apply`, step by step: lock, read the source, read the kernel, plan, apply,
 * verify, record, persist. Whatever fails after the kernel changed puts back the rules,
 * routes and sysctls of before the run: a run that fails leaves the guest as it found it.
 */
async function applyOnce(values: ParsedCommand['values'], run: Run, reporter: Reporter): Promise<number> {
  const persist = parsePersistChoice(stringOption(values, 'persist') ?? 'auto');
  const root = stringOption(values, 'root') ?? '/';
  const options = sourceOptionsFrom(values, reporter); // with the configuration file and --no-sysctl
  const { stateDir } = options;
  // --wait S: how long NICs on their way are waited for; absent, none are (the units pass it).
  const waitMs = (secondsOption(values, 'wait') ?? 0) * 1000;
  const dryRun = values['dry-run'] === true;
  const warn = (message: string) => {
    reporter.say(`warning: ${message}`);
  };

  // 1. Lock. One run at a time (udev starts one per attached NIC), and before anything is
  // read, so a run that waited reads the kernel and the state as the previous one left them.
  // A dry run changes nothing, so it does not queue.
  const release = dryRun
    ? async () => undefined
    : await acquireRunLock(stateDir, {
        // As long as a whole run can take: its source deadline and its NIC wait.
        waitMs: (options.deadlineMs ?? DEFAULT_DEADLINE_MS) + waitMs,
        onWait: (message) => {
          reporter.say(message);
        },
      });
  // The address step's undo (own-addresses.ts): it runs once, so after putBack it has nothing left.
  let undoAddresses: (() => Promise<string[] | undefined>) | undefined;
  try {
    // Temporary files of a run killed mid-write are ours to remove now that we hold the lock.
    if (!dryRun) await cleanTempFiles(stateDir);
    chaosPoint('locked');

    // 2. Read the source, before the kernel: a failed fetch stops the run before anything is
    // planned, and is never an empty desired state. Bounded as a whole by --deadline.
    const source = await loadNetworkData(options, run);
    chaosPoint('source');

    // 3 and 4. Read the kernel and the state files beside it (damaged ones are moved aside and
    // rebuilt from the kernel's tagged rules, so every NIC keeps its table), give NICs no
    // network owner configures their addresses (own-addresses.ts), and plan (pure).
    const prepare = prepareWithOwnAddresses(
      run,
      { stateDir, sysctl: options.sysctl, config: options.config, warn },
      { root, dryRun, reporter },
    );
    undoAddresses = prepare.undo;
    const first = await prepare(source);
    chaosPoint('kernel');
    // NICs still on their way after a hotplug are waited for a bounded time: the guest's side
    // on netlink events, the metadata side with a backoff (wait-for-nics.ts).
    const prepared = await waitForNics(first, prepare, reporter, {
      waitMs,
      // The metadata side is read again within the wait's own bound, with no retry notices.
      // An unchanged document is not parsed again (source.ts).
      fetchDocument: (deadlineMs) => loadNetworkData({ ...options, deadlineMs, onRetry: () => undefined }, run, source),
    });
    const { plan, mapping, live, sysctls } = prepared;
    reporter.say(`network_data.json from ${prepared.source.origin}`);
    reporter.notes([...prepared.source.notes, ...plan.notes]);
    for (const line of describeNics(plan)) reporter.say(line);
    const commands = planCommands(plan);
    const changed = planChangeCount(plan);
    if (dryRun) {
      reporter.say(`dry run: ${describeChangeCount(plan)}, nothing changed`);
      reporter.result(commands, { ...planJson(plan, mapping, prepared.source.origin), dryRun: true, applied: false });
      return 0;
    }
    // Nothing is changed that could not be recorded: a read-only state dir stops the run
    // here, with the guest untouched. (With nothing to change it writes nothing, and may run.)
    if (changed > 0) await assertWritable(stateDir);
    // The values to put back go to disk before any sysctl changes, so a kill cannot lose them.
    if (options.sysctl) await writeSysctlOriginals(stateDir, plan.sysctl.originals);

    let restoreRecord: (() => Promise<void>) | undefined;
    try {
      // 5. Apply: only what differs, one `ip -batch` per family, then the sysctls.
      await runBatches(run, plan.changes);
      chaosPoint('batch');
      if (options.sysctl) await writeSysctls(plan.sysctl.set);
      chaosPoint('sysctls');

      // 6. Verify: a read of its own after the change; every address must route through its
      // own NIC and table. A rerun with nothing to change is checked the same way.
      const checks = await verifyApplied(run, plan.nics, plan.desired, {
        others: live.foreign.routes,
        before: live.owned,
      });

      // 7. Record, only now that the kernel holds the plan (a failed run hands out no numbers)
      // and verify accepted it (the last-good cache never holds a document the kernel refused).
      restoreRecord = await writeRecord(stateDir, {
        state: plan.state,
        applied: { nics: plan.nics, desired: plan.desired },
        ...(options.offline ? {} : { document: prepared.source.text }),
      });

      // 8. Persist, last: the network manager's own configuration keeps what the kernel now
      // holds.
      const persisted =
        persist === 'none'
          ? PERSIST_NONE
          : await persistPlan(plan, {
              choice: persist,
              root,
              stateDir,
              sysctl: options.sysctl,
              selfConfigured: prepared.selfConfigured,
              warn,
            }).catch((error: unknown) => {
              throw error instanceof MultinicError
                ? error
                : new StorageFailed(`persist: ${(error as Error).message}`, { cause: error });
            });
      for (const note of persisted.notes) reporter.say(`warning: ${note}`);
      if (persisted.report) {
        const { written, removed, refused, unchanged } = persisted.report;
        reporter.say(
          `persisted for ${persisted.backend} (${persisted.why}): ${written.length} written, ${unchanged.length} unchanged, ${removed.length} removed`,
        );
        for (const path of refused) reporter.say(`warning: ${path} exists and was not written by multinic: left alone`);
      } else if (persist !== 'none') {
        reporter.say(`not persisted: ${persisted.why}`);
      }
      reporter.say(changed === 0 ? 'no changes' : `applied: ${describeChangeCount(plan)}`);
      reporter.say(`verified: ${checks.length} address(es) route through their own NIC`);
      reporter.result(changed === 0 ? [] : commands, {
        ...planJson(plan, mapping, prepared.source.origin),
        applied: true,
        changed,
        checks,
        persisted,
      });
      return 0;
    } catch (error) {
      // Undo: the routing multinic owned before the run, the sysctls read before it, and
      // the state files as they were. An undo that fails says what it could not put back.
      await putBack(
        run,
        { before: live.owned, sysctlsSet: plan.sysctl.set, sysctlsBefore: sysctls?.live, restoreRecord, undoAddresses },
        error,
      );
      throw error;
    }
  } catch (error) {
    // A failure after the address step but before the routing changed (a wait, a state
    // write): the addresses this run put on or took off are all there is to put back.
    const problems = await undoAddresses?.();
    if (problems) sayPutBack(error, problems);
    throw error;
  } finally {
    await release();
  }
}

/** A state dir this run can write to, checked before the kernel changes. */
async function assertWritable(stateDir: string): Promise<void> {
  await access(stateDir, constants.W_OK).catch((error: unknown) => {
    throw new StorageFailed(`state dir ${stateDir}: cannot be written (${describeErrno(error)}); nothing changed`, {
      cause: error,
    });
  });
}

async function putBack(
  run: Run,
  what: {
    before: Parameters<typeof undoRouting>[1];
    sysctlsSet: Parameters<typeof restoreSysctls>[0];
    sysctlsBefore: Parameters<typeof restoreSysctls>[1] | undefined;
    restoreRecord: (() => Promise<void>) | undefined;
    undoAddresses: (() => Promise<string[] | undefined>) | undefined;
  },
  error: unknown,
): Promise<void> {
  const problems: string[] = [];
  await undoRouting(run, what.before).catch((undoError: unknown) => problems.push((undoError as Error).message));
  if (what.sysctlsBefore) problems.push(...restoreSysctls(what.sysctlsSet, what.sysctlsBefore));
  await what.restoreRecord?.().catch((undoError: unknown) => problems.push(`state files: ${describeErrno(undoError)}`));
  // Last: the addresses went on before the routing that uses them.
  problems.push(...((await what.undoAddresses?.()) ?? []));
  sayPutBack(error, problems);
}

/** Ends the message of a run that was undone with whether the guest is as it was. */
function sayPutBack(error: unknown, problems: string[]): void {
  if (error instanceof Error) {
    error.message =
      problems.length === 0
        ? `${error.message}; ${PUT_BACK}`
        : `${error.message}; putting the guest back failed too: ${problems.join('; ')}`;
  }
}
