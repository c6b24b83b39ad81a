/**
 * The NICs the configuration tells multinic to leave alone (MULTINIC_EXCLUDE, and the
 * primary NIC with MULTINIC_MANAGE_PRIMARY=no), taken out of the mapping before anything
 * is planned. Pure. A NIC taken out is planned like one that went away: the rules and
 * routes multinic made for it earlier go, its table number stays reserved for its MAC,
 * and nothing else on it is touched.
 */
import { globToRegExp } from '../model/glob.js';
import type { Mapping } from '../model/types.js';
import type { LoadedConfig } from './parse-config.js';

export interface Exclusion {
  iface: string;
  mac?: string;
  /** In words, with where the setting came from. */
  why: string;
}

/** Why this interface is left alone, or undefined when it is not. `primary`: interfaces holding the main table's default route. */
export function exclusionOf(
  iface: string,
  mac: string | undefined,
  loaded: LoadedConfig,
  primary: ReadonlySet<string>,
): string | undefined {
  const pattern = loaded.config.exclude.find(
    (glob) =>
      globToRegExp(glob, { ignoreCase: true }).test(iface) ||
      (mac !== undefined && globToRegExp(glob, { ignoreCase: true }).test(mac)),
  );
  if (pattern !== undefined) return `excluded by ${loaded.origins.exclude} (MULTINIC_EXCLUDE pattern "${pattern}")`;
  if (!loaded.config.managePrimary && primary.has(iface))
    return `the primary NIC (it holds the main table's default route), not managed by ${loaded.origins.managePrimary} (MULTINIC_MANAGE_PRIMARY=no)`;
  return undefined;
}

export function excludeNics(
  mapping: Mapping,
  loaded: LoadedConfig,
  primary: ReadonlySet<string>,
): { mapping: Mapping; excluded: Exclusion[] } {
  const excluded: Exclusion[] = [];
  const keep = (item: { iface: string; mac?: string }, say: boolean): boolean => {
    const why = exclusionOf(item.iface, item.mac, loaded, primary);
    if (why === undefined) return true;
    if (say) excluded.push({ iface: item.iface, ...(item.mac ? { mac: item.mac } : {}), why });
    return false;
  };
  const nics = mapping.nics.filter((nic) => keep(nic, true));
  // Unlisted interfaces and absent addresses of excluded NICs are not waited for either.
  const unlisted = mapping.unlisted.filter((item) => keep(item, false));
  const macOf = new Map([...mapping.nics, ...mapping.unlisted].map((item) => [item.iface, item.mac]));
  const absentAddresses = mapping.absentAddresses.filter(
    (item) => exclusionOf(item.iface, macOf.get(item.iface), loaded, primary) === undefined,
  );
  // Their own warnings (an address not up yet) are not ours to give either.
  const silenced = new Set([
    ...excluded.map((item) => item.iface),
    ...mapping.absentAddresses.filter((item) => !absentAddresses.includes(item)).map((item) => item.iface),
  ]);
  const notes = [
    ...mapping.notes.filter(
      (note) =>
        ![...silenced].some((iface) => note.message.startsWith(`${iface} (`) || note.message.startsWith(`${iface}:`)),
    ),
    ...excluded.map((item) => ({
      level: 'info' as const,
      message: `${item.iface}${item.mac ? ` (${item.mac})` : ''}: ${item.why}, left alone`,
    })),
  ];
  return { mapping: { ...mapping, nics, unlisted, absentAddresses, notes }, excluded };
}
