/**
 * The first half of every run, shared by `plan` and `apply`: fetch → parse → read the
 * kernel → map → plan. Only the CLI wires the stages together.
 */
import { readLive, type LiveState } from '../kernel/read-live.js';
import type { Run } from '../kernel/run.js';
import { mapLinks } from '../links/map.js';
import { loadNetworkData, type LoadedNetworkData, type SourceOptions } from '../metadata/source.js';
import type { Mapping } from '../model/types.js';
import { plan } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';
import { readState } from '../state/store.js';
import { readSysctlOriginals, readSysctls } from '../sysctl/read-write.js';

export interface Prepared {
  source: LoadedNetworkData;
  live: LiveState;
  mapping: Mapping;
  plan: Plan;
}

export async function preparePlan(run: Run, options: SourceOptions & { stateDir: string; sysctl?: boolean }): Promise<Prepared> {
  // The document first: a failed fetch must stop the run before anything is read or planned.
  const source = await loadNetworkData(options, run);
  const [live, state] = await Promise.all([readLive(run), readState(options.stateDir)]);
  const mapping = mapLinks(source.data, live.interfaces, live.gateways);
  const sysctls = options.sysctl === false ? undefined : await readSysctlInput(options.stateDir, mapping);
  return { source, live, mapping, plan: plan({ mapping, live: live.owned, foreign: live.foreign, state, ...(sysctls ? { sysctls } : {}) }) };
}

/** The sysctls of the NICs to manage and of those released since, and the values to put back. */
async function readSysctlInput(stateDir: string, mapping: Mapping) {
  const originals = await readSysctlOriginals(stateDir);
  const ifaces = [...new Set([...mapping.nics.map((nic) => nic.iface), ...Object.keys(originals)])];
  return { live: await readSysctls(ifaces), originals };
}
