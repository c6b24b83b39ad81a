/**
 * Who keeps an address's routing across reboots: the file multinic wrote for the network
 * manager (--persist), found through the list of written files in the state dir
 * (persisted.json) and read back under --root, so a file removed or edited since counts
 * only if it still holds the address's rule.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Persisted } from './judge.js';

const BACKEND_BY_DIR: [string, string][] = [
  ['/etc/netplan/', 'netplan'],
  ['/etc/systemd/network/', 'networkd'],
  ['/etc/network/interfaces.d/', 'ifupdown'],
  ['/etc/sysconfig/network-scripts/', 'ifcfg'],
  ['/etc/NetworkManager/', 'networkmanager'],
];

export async function readPersistedLookup(
  stateDir: string,
  root: string,
): Promise<(iface: string, address: string, table: number) => Persisted | null> {
  const list = await readFile(join(stateDir, 'persisted.json'), 'utf8')
    .then((text) => JSON.parse(text) as string[])
    .catch(() => [] as string[]);
  const files: { path: string; backend: string; text: string }[] = [];
  for (const path of list) {
    const backend = BACKEND_BY_DIR.find(([dir]) => path.startsWith(dir))?.[1];
    if (!backend) continue; // sysctl.d and rt_*.d files hold no rule
    const text = await readFile(join(root, path), 'utf8').catch(() => undefined);
    if (text !== undefined) files.push({ path, backend, text });
  }
  return (iface, address, table) => {
    // The rule's source with its length (from 203.0.113.22/32, From=..., from: ...) and its table.
    const file = files.find(
      (candidate) =>
        candidate.text.includes(`${address}/`) &&
        candidate.text.includes(String(table)) &&
        (candidate.backend === 'netplan' ||
          candidate.backend === 'networkd' ||
          candidate.path.includes(iface) ||
          candidate.text.includes(iface)),
    );
    return file ? { backend: file.backend, file: file.path } : null;
  };
}
