/**
 * What the network owners leave under --root that says which NICs they configure: read
 * here, judged in detect.ts (pure). Only files: no process is spawned, so a run pays a few
 * small reads for it.
 */
import { basename, dirname, isAbsolute, join } from 'node:path';
import { globToRegExp } from '../model/glob.js';
import { exists, list, readText as read } from './tree-files.js';

export interface NetworkdLinkState {
  ifindex: number;
  /** ADMIN_STATE= of /run/systemd/netif/links/<ifindex>: configured, configuring, unmanaged, ... */
  adminState?: string;
  /** NETWORK_FILE=: the .network file that configures the link. */
  networkFile?: string;
}

export interface NetworkFile {
  path: string;
  names: string[];
  macs: string[];
  /** Other [Match] entries, as Key=value. */
  other: string[];
}

export interface OwnerFacts {
  netplanYaml: boolean;
  networkManagerRunning: boolean;
  networkd: {
    /** Per-link state files networkd writes while it runs (tmpfiles makes the directory on any systemd system). */
    links: NetworkdLinkState[];
    /** systemd-networkd.service (or its socket) is enabled or pulled in by a generator (netplan's). */
    enabled: boolean;
    /** .network files under /etc, /run and /usr/lib (multinic writes only drop-ins). */
    files: NetworkFile[];
  };
  ifupdown: {
    interfacesFile: boolean;
    /** Interfaces other than lo named by iface/auto/allow-* stanzas, following source and source-directory. */
    stanzas: string[];
    /** Interfaces other than lo that ifup brought up (/run/network/ifstate*). */
    up: string[];
  };
  ifcfg: { path: string; device: string; mac?: string }[];
}

export async function readOwnerFacts(root: string): Promise<OwnerFacts> {
  const [netplanYaml, networkManagerRunning, networkd, ifupdown, ifcfg] = await Promise.all([
    list(join(root, 'etc/netplan')).then((names) =>
      names.some((name) => name.endsWith('.yaml') && name !== '90-multinic.yaml'),
    ),
    Promise.all([
      exists(join(root, 'run/NetworkManager/NetworkManager.pid')),
      exists(join(root, 'run/NetworkManager/devices')),
    ]).then((found) => found.some(Boolean)),
    readNetworkd(root),
    readIfupdown(root),
    readIfcfg(root),
  ]);
  return { netplanYaml, networkManagerRunning, networkd, ifupdown, ifcfg };
}

async function readNetworkd(root: string): Promise<OwnerFacts['networkd']> {
  const linksDir = join(root, 'run/systemd/netif/links');
  const links = (
    await Promise.all(
      (await list(linksDir))
        .filter((name) => /^\d+$/.test(name))
        .map(async (name) => ({ ifindex: Number(name), ...parseLinkState((await read(join(linksDir, name))) ?? '') })),
    )
  ).sort((a, b) => a.ifindex - b.ifindex);
  const wants = [
    'etc/systemd/system/multi-user.target.wants/systemd-networkd.service',
    'etc/systemd/system/sockets.target.wants/systemd-networkd.socket',
    'etc/systemd/system/network-online.target.wants/systemd-networkd-wait-online.service',
    'run/systemd/generator/multi-user.target.wants/systemd-networkd.service',
    'run/systemd/system/multi-user.target.wants/systemd-networkd.service',
  ];
  const enabled = (await Promise.all(wants.map((path) => exists(join(root, path))))).some(Boolean);
  return { links, enabled, files: await readNetworkFiles(root) };
}

/** Where networkd reads .network files from, in its search order. */
const NETWORKD_DIRS = [
  '/etc/systemd/network',
  '/run/systemd/network',
  '/usr/lib/systemd/network',
  '/lib/systemd/network',
];

/**
 * The .network files networkd would use, with their [Match]: a name in /etc hides the same
 * name in /run and /usr/lib, and an empty file (or a link to /dev/null) masks the name.
 */
export async function readNetworkFiles(root: string): Promise<NetworkFile[]> {
  const files: NetworkFile[] = [];
  const seen = new Set<string>();
  for (const dir of NETWORKD_DIRS) {
    for (const name of (await list(join(root, dir))).filter((file) => file.endsWith('.network')).sort()) {
      if (seen.has(name)) continue;
      seen.add(name);
      const text = await read(join(root, dir, name));
      if (text === undefined || text.trim() === '') continue; // an empty file (or /dev/null link) masks the name
      files.push({ path: `${dir}/${name}`, ...parseMatchSection(text) });
    }
  }
  return files;
}

/** KEY=value lines of networkd's link state file. */
export function parseLinkState(text: string): { adminState?: string; networkFile?: string } {
  const adminState = /^ADMIN_STATE=(.+)$/m.exec(text)?.[1]?.trim();
  const networkFile = /^NETWORK_FILE=(.+)$/m.exec(text)?.[1]?.trim();
  return { ...(adminState ? { adminState } : {}), ...(networkFile ? { networkFile } : {}) };
}

/** [Match] of a .network file: Name=, MACAddress=/PermanentMACAddress=, and the rest as Key=value. */
export function parseMatchSection(text: string): { names: string[]; macs: string[]; other: string[] } {
  const names: string[] = [];
  const macs: string[] = [];
  const other: string[] = [];
  let inMatch = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      inMatch = line === '[Match]';
      continue;
    }
    if (!inMatch) continue;
    const at = line.indexOf('=');
    if (at < 0) continue;
    const key = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    const words = value.split(/\s+/).filter(Boolean);
    if (key === 'Name') names.push(...words);
    else if (key === 'MACAddress' || key === 'PermanentMACAddress')
      macs.push(...words.map((word) => word.toLowerCase()));
    else other.push(`${key}=${value}`);
  }
  return { names, macs, other };
}

async function readIfupdown(root: string): Promise<OwnerFacts['ifupdown']> {
  const main = join(root, 'etc/network/interfaces');
  const interfacesFile = await exists(main);
  const stanzas = new Set<string>();
  const visited = new Set<string>();
  const visit = async (path: string, depth: number): Promise<void> => {
    if (visited.has(path) || depth > 8) return;
    visited.add(path);
    // multinic's own stanzas (persist/ifupdown.ts) hook routing to an interface; they do not configure it.
    if (basename(path).startsWith('multinic-')) return;
    const text = await read(path);
    if (text === undefined) return;
    for (const raw of text.split('\n')) {
      const words = raw.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
      const [keyword, ...rest] = words;
      if (!keyword) continue;
      if (keyword === 'iface' && rest[0]) stanzas.add(rest[0]);
      else if (keyword === 'auto' || keyword.startsWith('allow-')) rest.forEach((name) => stanzas.add(name));
      else if (keyword === 'source' || keyword === 'source-directory') {
        for (const pattern of rest) {
          // Relative paths are relative to /etc/network (interfaces(5)); paths are inside --root.
          const inRoot = join(root, isAbsolute(pattern) ? pattern : join('/etc/network', pattern));
          for (const file of keyword === 'source'
            ? await expandGlob(inRoot)
            : (await list(inRoot)).filter((name) => /^[a-zA-Z0-9_-]+$/.test(name)).map((name) => join(inRoot, name))) {
            await visit(file, depth + 1);
          }
        }
      }
    }
  };
  if (interfacesFile) await visit(main, 0);
  stanzas.delete('lo');
  // ifupdown keeps one file per interface it brought up (Debian's ifupdown 0.8) and, in
  // older versions, one /run/network/ifstate with NAME=NAME lines.
  const up = new Set<string>();
  for (const name of await list(join(root, 'run/network'))) {
    if (name.startsWith('ifstate.')) {
      const text = (await read(join(root, 'run/network', name)))?.trim();
      if (text) up.add(name.slice('ifstate.'.length));
    }
  }
  for (const line of ((await read(join(root, 'run/network/ifstate'))) ?? '').split('\n')) {
    const name = line.split('=')[0]?.trim();
    if (name) up.add(name);
  }
  up.delete('lo');
  return { interfacesFile, stanzas: [...stanzas].sort(), up: [...up].sort() };
}

/** A glob in the last path component only (what `source /etc/network/interfaces.d/*` uses). */
async function expandGlob(path: string): Promise<string[]> {
  const name = basename(path);
  if (!/[*?[]/.test(name)) return [path];
  const pattern = globToRegExp(name);
  return (await list(dirname(path)))
    .filter((entry) => pattern.test(entry) && !entry.startsWith('.'))
    .sort()
    .map((entry) => join(dirname(path), entry));
}

async function readIfcfg(root: string): Promise<OwnerFacts['ifcfg']> {
  const dir = '/etc/sysconfig/network-scripts';
  const result: OwnerFacts['ifcfg'] = [];
  for (const name of (await list(join(root, dir))).filter((file) => file.startsWith('ifcfg-') && file !== 'ifcfg-lo')) {
    const text = (await read(join(root, dir, name))) ?? '';
    const device = /^DEVICE="?([^"\n]+)"?$/m.exec(text)?.[1] ?? name.slice('ifcfg-'.length);
    const mac = /^HWADDR="?([^"\n]+)"?$/m.exec(text)?.[1]?.toLowerCase();
    result.push({ path: `${dir}/${name}`, device, ...(mac ? { mac } : {}) });
  }
  return result;
}
