/**
 * The stages every run shares, as plain steps the commands call in order: read the kernel
 * and the state (healing damaged state files), then plan. Only the CLI wires stages together.
 */
import { excludeNics, type Exclusion } from '../config/exclude.js';
import type { LoadedConfig } from '../config/parse-config.js';
import { readLive, type LiveState } from '../kernel/read-live.js';
import type { Run } from '../kernel/run.js';
import { mapLinks } from '../links/map.js';
import type { LoadedNetworkData } from '../metadata/source.js';
import type { Mac, Mapping } from '../model/types.js';
import { judgeAgainstKernel } from '../plan/judge.js';
import { plan } from '../plan/plan.js';
import type { Plan, State } from '../plan/types.js';
import type { Warn } from '../state/files.js';
import { emptyState } from '../plan/allocate.js';
import { adoptTaggedTables } from '../state/rebuild.js';
import { readState } from '../state/store.js';
import type { LiveSysctls, SysctlOriginals } from '../sysctl/plan-sysctl.js';
import { readSysctlOriginals, readSysctls } from '../sysctl/read-write.js';

export interface Current {
  live: LiveState;
  /** From state.json, or rebuilt from the kernel's tagged rules when it is missing or damaged. */
  state: State;
  /** Absent with --no-sysctl. */
  sysctls?: { live: LiveSysctls; originals: SysctlOriginals; ifaceOf: Map<Mac, string> };
}

export interface Prepared extends Current {
  source: LoadedNetworkData;
  mapping: Mapping;
  plan: Plan;
  /** NICs the configuration leaves alone. */
  excluded: Exclusion[];
}

/** What is live now and what the state dir says about it. */
export async function readCurrent(
  run: Run,
  options: { stateDir: string; sysctl?: boolean; warn: Warn },
): Promise<Current> {
  const live = await readLive(run);
  // Rebuilt from the tagged rules when missing or damaged, and completed from them when a run
  // was killed before recording its new NICs: every NIC keeps the table it has.
  const state = adoptTaggedTables(
    (await readState(options.stateDir, options.warn)) ?? emptyState(),
    live.owned,
    live.interfaces,
  );
  if (options.sysctl === false) return { live, state };
  const ifaceOf = new Map(live.interfaces.flatMap((iface) => (iface.mac ? [[iface.mac, iface.name] as const] : [])));
  const originals = await readSysctlOriginals(options.stateDir, options.warn);
  // Every interface with a MAC: the managed ones and the released ones, whatever their name now.
  return { live, state, sysctls: { live: await readSysctls([...ifaceOf.values()]), originals, ifaceOf } };
}

/**
 * Pure: the document and what is live, to a plan. `config`: multinic.conf, whose excluded
 * NICs go before planning (to the planner they are not there), with its table range and
 * sysctl values.
 */
export function planFrom(source: LoadedNetworkData, current: Current, config?: LoadedConfig): Prepared {
  // A document that would move an address to another NIC than the one holding it is refused.
  judgeAgainstKernel(source.data, current.live.interfaces);
  const mapped = mapLinks(source.data, current.live.interfaces, current.live.gateways);
  const { mapping, excluded } = config
    ? excludeNics(mapped, config, new Set(current.live.gateways.keys()))
    : { mapping: mapped, excluded: [] };
  const wanted = config
    ? {
        arp_ignore: config.config.arpIgnore,
        arp_announce: config.config.arpAnnounce,
        rp_filter: config.config.rpFilter,
      }
    : undefined;
  const tables = config?.config.tables;
  const planned = plan({
    mapping,
    owned: current.live.owned,
    foreign: current.live.foreign,
    state: current.state,
    ...(current.sysctls ? { sysctls: { ...current.sysctls, ...(wanted ? { wanted } : {}) } } : {}),
    ...(tables ? { tables } : {}),
  });
  return { ...current, source, mapping, excluded, plan: planned };
}
