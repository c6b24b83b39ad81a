/** Reads the facts the backends and `--persist auto` need from the tree under --root. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { OwnerFacts } from './detect.js';
import { NETPLAN_PATH } from './netplan.js';
import { parseNetplanDefinitions, type NetplanDefinition } from './netplan-owner.js';
import type { NmConnectionFacts, TreeFacts } from './types.js';
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

/** interface-name=, mac-address=, type= and whether it is a bond's port, of a NetworkManager keyfile. */
export function parseNmConnection(text: string): Omit<NmConnectionFacts, 'path' | 'text'> {
  const interfaceName = /^interface-name=(.+)$/m.exec(text)?.[1]?.trim();
  const mac = /^mac-address=(.+)$/m.exec(text)?.[1]?.trim().toLowerCase();
  const type = /^type=(.+)$/m.exec(text)?.[1]?.trim();
  const port = /^(master|controller)=./m.test(text);
  return { ...(interfaceName ? { interfaceName } : {}), ...(mac ? { mac } : {}), ...(type ? { type } : {}), ...(port ? { port } : {}) };
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
  // NM reads *.nmconnection and extension-less keyfiles; never its own or an editor's temporaries.
  for (const name of (await list(join(root, nmDir))).filter((file) => !file.startsWith('.') && !file.endsWith('~')).sort()) {
    const text = await readFile(join(root, nmDir, name), 'utf8').catch(() => '');
    nmConnections.push({ path: `${nmDir}/${name}`, ...parseNmConnection(text), text });
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
