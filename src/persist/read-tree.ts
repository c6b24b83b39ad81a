/** Reads the facts the backends and `--persist auto` need from the tree under --root. */
import { join } from 'node:path';
import { NETPLAN_PATH } from './netplan.js';
import { parseNetplanDefinitions, type NetplanDefinition } from './netplan-owner.js';
import { readNetworkFiles } from './owner-facts.js';
import { exists, list, readText } from './tree-files.js';
import type { NmConnectionFacts, TreeFacts } from './types.js';

/** Where netplan reads YAML from, in the order it lets a later one hide an earlier. */
export const NETPLAN_DIRS = ['lib/netplan', 'etc/netplan', 'run/netplan'];

/** interface-name=, mac-address=, type= and whether it is a bond's port, of a NetworkManager keyfile. */
export function parseNmConnection(text: string): Omit<NmConnectionFacts, 'path' | 'text'> {
  const interfaceName = /^interface-name=(.+)$/m.exec(text)?.[1]?.trim();
  const mac = /^mac-address=(.+)$/m.exec(text)?.[1]?.trim().toLowerCase();
  const type = /^type=(.+)$/m.exec(text)?.[1]?.trim();
  const port = /^(master|controller)=./m.test(text);
  return {
    ...(interfaceName ? { interfaceName } : {}),
    ...(mac ? { mac } : {}),
    ...(type ? { type } : {}),
    ...(port ? { port } : {}),
  };
}

export async function readTreeFacts(root: string): Promise<TreeFacts> {
  const networkdFiles: TreeFacts['networkdFiles'] = (await readNetworkFiles(root)).map(({ path, names, macs }) => ({
    path,
    names,
    macs,
  }));
  const nmDir = '/etc/NetworkManager/system-connections';
  const nmConnections: TreeFacts['nmConnections'] = [];
  // NM reads *.nmconnection and extension-less keyfiles; never its own or an editor's temporaries.
  for (const name of (await list(join(root, nmDir)))
    .filter((file) => !file.startsWith('.') && !file.endsWith('~'))
    .sort()) {
    const text = (await readText(join(root, nmDir, name))) ?? '';
    nmConnections.push({ path: `${nmDir}/${name}`, ...parseNmConnection(text), text });
  }
  const netplanDefinitions: NetplanDefinition[] = [];
  // netplan reads /lib, /etc and /run; a file of the same name in a later one hides the earlier.
  const netplanFiles = new Map<string, string>();
  for (const dir of NETPLAN_DIRS) {
    for (const name of (await list(join(root, dir))).filter(
      (file) => file.endsWith('.yaml') && `/${dir}/${file}` !== NETPLAN_PATH,
    ))
      netplanFiles.set(name, `/${dir}/${name}`);
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
