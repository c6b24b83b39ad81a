/** Reads the facts the backends and `--persist auto` need from the tree under --root. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NETPLAN_PATH } from './netplan.js';
import { parseNetplanDefinitions, type NetplanDefinition } from './netplan-owner.js';
import type { TreeFacts } from './types.js';
import { parseMatchSection } from './owner-facts.js';

/** Where netplan reads YAML from, in the order it lets a later one hide an earlier. */
export const NETPLAN_DIRS = ['lib/netplan', 'etc/netplan', 'run/netplan'];

const exists = (path: string) => stat(path).then(() => true, () => false);
const list = (dir: string) => readdir(dir).catch(() => [] as string[]);

/** [Match] Name= and MACAddress= (PermanentMACAddress=) of a .network file. */
export function parseNetworkMatch(text: string): { names: string[]; macs: string[] } {
  const { names, macs } = parseMatchSection(text);
  return { names, macs };
}

/** interface-name= and mac-address= of a NetworkManager keyfile. */
export function parseNmConnection(text: string): { interfaceName?: string; mac?: string } {
  const interfaceName = /^interface-name=(.+)$/m.exec(text)?.[1]?.trim();
  const mac = /^mac-address=(.+)$/m.exec(text)?.[1]?.trim().toLowerCase();
  return { ...(interfaceName ? { interfaceName } : {}), ...(mac ? { mac } : {}) };
}

export async function readTreeFacts(root: string): Promise<TreeFacts> {
  const networkdFiles: TreeFacts['networkdFiles'] = [];
  for (const dir of ['/etc/systemd/network', '/run/systemd/network', '/usr/lib/systemd/network', '/lib/systemd/network']) {
    for (const name of (await list(join(root, dir))).filter((file) => file.endsWith('.network'))) {
      const text = await readFile(join(root, dir, name), 'utf8').catch(() => '');
      networkdFiles.push({ path: `${dir}/${name}`, ...parseNetworkMatch(text) });
    }
  }
  const nmDir = '/etc/NetworkManager/system-connections';
  const nmConnections: TreeFacts['nmConnections'] = [];
  for (const name of await list(join(root, nmDir))) {
    const text = await readFile(join(root, nmDir, name), 'utf8').catch(() => '');
    nmConnections.push({ path: `${nmDir}/${name}`, ...parseNmConnection(text) });
  }
  const netplanDefinitions: NetplanDefinition[] = [];
  // netplan reads /lib, /etc and /run; a file of the same name in a later one hides the earlier.
  const netplanFiles = new Map<string, string>();
  for (const dir of NETPLAN_DIRS) {
    for (const name of (await list(join(root, dir))).filter((file) => file.endsWith('.yaml') && `/${dir}/${file}` !== NETPLAN_PATH)) netplanFiles.set(name, `/${dir}/${name}`);
  }
  for (const path of [...netplanFiles.values()]) {
    netplanDefinitions.push(...parseNetplanDefinitions(await readFile(join(root, path), 'utf8').catch(() => ''), path));
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
