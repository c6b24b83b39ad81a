/**
 * The first half of every run, shared by `plan` and `apply`: fetch → parse → read the
 * kernel → map → plan. Only the CLI wires the stages together.
 */
import { readLive, type LiveState } from '../kernel/read-live.js';
import type { Run } from '../kernel/run.js';
import { probeLinesFor } from '../kernel/verify.js';
import { mapLinks } from '../links/map.js';
import { loadNetworkData, type LoadedNetworkData } from '../metadata/source.js';
import type { SourceOptions } from '../metadata/source-options.js';
import type { Mapping } from '../model/types.js';
import { judgeAgainstKernel } from '../plan/judge.js';
import { plan } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';
import { readApplied } from '../state/applied.js';
import { readState } from '../state/store.js';
import { readSysctlOriginals, readSysctls } from '../sysctl/read-write.js';

export interface Prepared {
  source: LoadedNetworkData;
  live: LiveState;
  mapping: Mapping;
  plan: Plan;
}

/** `document`: the network_data.json already being read, when the caller started it early. */
export async function preparePlan(
  run: Run,
  options: SourceOptions & { stateDir: string; sysctl?: boolean },
  document: Promise<LoadedNetworkData> = loadNetworkData(options, run),
): Promise<Prepared> {
  // The document first: a failed fetch must stop the run before the kernel is read or
  // anything planned. The last apply's record is only a file, read meanwhile.
  const [source, applied] = await Promise.all([document, readApplied(options.stateDir).catch(() => undefined)]);
  // The probes of the last apply ride in the read: a rerun with nothing to change is verified
  // from this one read (kernel/apply.ts).
  const probes = applied ? probeLinesFor(applied.nics, applied.desired) : [];
  const [live, state] = await Promise.all([readLive(run, { probes }), readState(options.stateDir)]);
  judgeAgainstKernel(source.data, live.interfaces);
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
