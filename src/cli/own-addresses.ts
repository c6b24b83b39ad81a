/**
 * The step of `apply` that gives addresses to NICs no network owner configures
 * (src/plan/addresses.ts), wrapped around reading the kernel and planning: when it changed
 * the kernel, the kernel is read again, so the routing is planned for the addresses now there.
 */
import { applyAddressPlan } from '../kernel/apply-addresses.js';
import { readLive } from '../kernel/read-live.js';
import { runChecked, type Run } from '../kernel/run.js';
import type { LoadedNetworkData } from '../metadata/source.js';
import type { LoadedConfig } from '../config/parse-config.js';
import type { Warn } from '../state/files.js';
import type { Mac } from '../model/types.js';
import {
  addressCommands,
  addressPlanIsEmpty,
  planAddresses,
  undoAddressCommands,
  type AddressPlan,
} from '../plan/addresses.js';
import { ownerOfNic } from '../persist/detect.js';
import { readOwnerFacts } from '../persist/owner-facts.js';
import {
  readAddressRecord,
  readAddressRecordText,
  restoreAddressRecordText,
  writeAddressRecord,
} from '../state/added-addresses.js';
import type { Reporter } from './output.js';
import { planFrom, readCurrent, type Prepared } from './pipeline.js';

export interface PreparedWithAddresses extends Prepared {
  /** NICs whose addresses multinic configures: the boot unit keeps them, not the network owner's files. */
  selfConfigured: Mac[];
}

/** The step, called once per read of a wait, and how to undo what all its calls changed. */
export interface PrepareWithOwnAddresses {
  (document: LoadedNetworkData): Promise<PreparedWithAddresses>;
  /**
   * Undoes every address change of this run (the plans applied, last first, in one
   * `ip -batch`) and puts addresses.json back as it was before the run. Returns what could
   * not be put back, or undefined when the run changed nothing here (nothing to say).
   */
  undo: () => Promise<string[] | undefined>;
}

/**
 * Reads the kernel and the state, plans, and configures unowned NICs first; it says each
 * note once across the re-reads of a wait. The changes of every call are kept for `undo`:
 * apply.ts calls it when the run fails later, so a failed run leaves these too as it found them.
 */
export function prepareWithOwnAddresses(
  run: Run,
  options: { stateDir: string; sysctl: boolean; config?: LoadedConfig; warn: Warn },
  context: { root: string; dryRun: boolean; reporter: Reporter },
): PrepareWithOwnAddresses {
  // What this run changed: the plans the kernel took, and addresses.json before its first write.
  const applied: AddressPlan[] = [];
  let recordBefore: { text: string | undefined } | undefined;
  const writeRecord = async (record: Parameters<typeof writeAddressRecord>[1]) => {
    recordBefore ??= { text: await readAddressRecordText(options.stateDir) };
    await writeAddressRecord(options.stateDir, record);
  };
  const preparePlan = async (document: LoadedNetworkData): Promise<Prepared> =>
    planFrom(
      document,
      await readCurrent(run, { stateDir: options.stateDir, sysctl: options.sysctl, warn: options.warn }),
      options.config,
    );
  const said = new Set<string>();
  const say = (message: string) => {
    if (said.has(message)) return;
    said.add(message);
    context.reporter.say(message);
  };
  const prepare = async (document: LoadedNetworkData): Promise<PreparedWithAddresses> => {
    const [prepared, record] = await Promise.all([
      preparePlan(document),
      readAddressRecord(options.stateDir, options.warn),
    ]);
    // Nothing missing and nothing of ours: no owner facts to read (a plain rerun stays cheap).
    if (prepared.mapping.absentAddresses.length === 0 && record.nics.length === 0)
      return { ...prepared, selfConfigured: [] };
    const facts = await readOwnerFacts(context.root);
    const plan = planAddresses(prepared.source.data, prepared.live.interfaces, record, (nic) =>
      ownerOfNic(facts, { iface: nic.name, index: nic.index, ...(nic.mac ? { mac: nic.mac } : {}) }),
    );
    for (const note of plan.notes) say(note.level === 'warn' ? `warning: ${note.message}` : note.message);
    const selfConfigured = plan.record.nics.map((entry) => entry.mac);
    if (context.dryRun) {
      for (const line of addressCommands(plan)) say(`dry run: would run ip ${line.join(' ')}`);
      return { ...prepared, selfConfigured };
    }
    if (addressPlanIsEmpty(plan)) {
      if (plan.record.nics.length > 0 || record.nics.length > 0) await writeRecord(plan.record);
      return { ...prepared, selfConfigured };
    }
    // Claimed before the kernel changes: a run stopped half-way still knows what it may
    // have added, and the next run takes back or keeps exactly that.
    await writeRecord({
      nics: [...plan.record.nics, ...record.nics.filter((entry) => !selfConfigured.includes(entry.mac))],
    });
    // Kept before it runs: a batch that stops half-way is undone as far as it went.
    applied.push(plan);
    await applyAddressPlan(run, plan);
    await writeRecord(plan.record);
    return { ...(await preparePlan(prepared.source)), selfConfigured };
  };
  const undo = async (): Promise<string[] | undefined> => {
    if (applied.length === 0 && !recordBefore) return undefined;
    const problems: string[] = [];
    const plans = applied.splice(0);
    if (plans.length > 0) {
      // -force: one line that fails must not keep the others from being put back.
      await readLive(run)
        .then(async (now) => {
          const lines = undoAddressCommands(plans, now.interfaces);
          if (lines.length > 0)
            await runChecked(
              run,
              'ip',
              ['-force', '-batch', '-'],
              `${lines.map((args) => args.join(' ')).join('\n')}\n`,
            );
        })
        .catch((error: unknown) => problems.push(`addresses: ${(error as Error).message}`));
    }
    const before = recordBefore;
    recordBefore = undefined;
    if (before)
      await restoreAddressRecordText(options.stateDir, before.text).catch((error: unknown) =>
        problems.push(`addresses.json: ${(error as Error).message}`),
      );
    return problems;
  };
  return Object.assign(prepare, { undo });
}
