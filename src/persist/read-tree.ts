/** Reads the facts the backends and `--persist auto` need from the tree under --root. */
import { join } from 'node:path';
import { NETPLAN_PATH } from './netplan.js';
import { parseNetplanDefinitions, type NetplanDefinition } from './netplan-owner.js';
import { readNetworkFiles } from './owner-facts.js';
import { exists, list, readText } from './tree-files.js';
import type { TreeFacts } from './types.js';

/** Where netplan reads YAML from, in the order it lets a later one hide an earlier. */
export const NETPLAN_DIRS = ['lib/netplan', 'etc/netplan', 'run/netplan'];


/** interface-name= and mac-address= of a NetworkManager keyfile. */
export function parseNmConnection(text: string): { interfaceName?: string; mac?: string } {
  const interfaceName = /^interface-name=(.+)$/m.exec(text)?.[1]?.trim();
  const mac = /^mac-address=(.+)$/m.exec(text)?.[1]?.trim().toLowerCase();
  return { ...(interfaceName ? { interfaceName } : {}), ...(mac ? { mac } : {}) };
}

export async function readTreeFacts(root: string): Promise<TreeFacts> {
  const networkdFiles: TreeFacts['networkdFiles'] = (await readNetworkFiles(root)).map(({ path, names, macs }) => ({ path, names, macs }));
  const nmDir = '/etc/NetworkManager/system-connections';
  const nmConnections: TreeFacts['nmConnections'] = [];
  for (const name of await list(join(root, nmDir))) {
    const text = (await readText(join(root, nmDir, name))) ?? '';
    nmConnections.push({ path: `${nmDir}/${name}`, ...parseNmConnection(text) });
  }
  const netplanDefinitions: NetplanDefinition[] = [];
  // netplan reads /lib, /etc and /run; a file of the same name in a later one hides the earlier.
  const netplanFiles = new Map<string, string>();
  for (const dir of NETPLAN_DIRS) {
    for (const name of (await list(join(root, dir))).filter((file) => file.endsWith('.yaml') && `/${dir}/${file}` !== NETPLAN_PATH)) netplanFiles.set(name, `/${dir}/${name}`);
  }
  for (const path of [...netplanFiles.values()]) {
    netplanDefinitions.push(...parseNetplanDefinitions((await readText(join(root, path))) ?? '', path));
  }
  return {
    networkdFiles,
    nmConnections,
    netplanDefinitions,
    rtProtosDir: await exists(join(root, 'etc/iproute2/rt_protos.d')),
    rtTablesDir: await exists(join(root, 'etc/iproute2/rt_tables.d')),
  };
}

/** `--persist auto`'s facts: owner-facts.ts, which also says which NICs an owner configures. */
export { readOwnerFacts } from './owner-facts.js';
