/**
 * The step of `apply` that gives addresses to NICs no network owner configures
 * (src/plan/addresses.ts), wrapped around reading the kernel and planning: when it changed
 * the kernel, the kernel is read again, so the routing is planned for the addresses now there.
 */
import { applyAddressPlan } from '../kernel/apply-addresses.js';
import type { Run } from '../kernel/run.js';
import type { LoadedNetworkData } from '../metadata/source.js';
import type { LoadedConfig } from '../config/parse-config.js';
import type { Warn } from '../state/files.js';
import type { Mac } from '../model/types.js';
import { addressCommands, addressPlanIsEmpty, planAddresses } from '../plan/addresses.js';
import { ownerOfNic } from '../persist/detect.js';
import { readOwnerFacts } from '../persist/owner-facts.js';
import { readAddressRecord, writeAddressRecord } from '../state/added-addresses.js';
import type { Reporter } from './output.js';
import { planFrom, readCurrent, type Prepared } from './pipeline.js';

export interface PreparedWithAddresses extends Prepared {
  /** NICs whose addresses multinic configures: the boot unit keeps them, not the network owner's files. */
  selfConfigured: Mac[];
}

/**
 * Reads the kernel and the state, plans, and configures unowned NICs first; it says each
 * note once across the re-reads of a wait.
 */
export function prepareWithOwnAddresses(
  run: Run,
  options: { stateDir: string; sysctl: boolean; config?: LoadedConfig; warn: Warn },
  context: { root: string; dryRun: boolean; reporter: Reporter },
): (document: LoadedNetworkData) => Promise<PreparedWithAddresses> {
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
  return async (document) => {
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
      if (plan.record.nics.length > 0 || record.nics.length > 0)
        await writeAddressRecord(options.stateDir, plan.record);
      return { ...prepared, selfConfigured };
    }
    // Claimed before the kernel changes: a run stopped half-way still knows what it may
    // have added, and the next run takes back or keeps exactly that.
    await writeAddressRecord(options.stateDir, {
      nics: [...plan.record.nics, ...record.nics.filter((entry) => !selfConfigured.includes(entry.mac))],
    });
    await applyAddressPlan(run, plan);
    await writeAddressRecord(options.stateDir, plan.record);
    return { ...(await preparePlan(prepared.source)), selfConfigured };
  };
}
