/**
 * Reads and writes the per-interface sysctls under /proc/sys, which shows the network
 * namespace of the reading process, and keeps the values to put back in the state dir.
 * No process is spawned.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KernelCommandFailed } from '../errors.js';
import { writeFileIfChanged } from '../io/write-file-atomic.js';
import { SYSCTL_KEYS, sysctlName, type LiveSysctls, type SysctlKey, type SysctlOriginals, type SysctlSetting } from './plan-sysctl.js';

export const PROC_SYS = '/proc/sys';
const ORIGINALS_FILE = 'sysctl-originals.json';

function pathOf(procSys: string, iface: string, key: SysctlKey): string {
  return join(procSys, 'net', 'ipv4', 'conf', iface, key);
}

export async function readSysctls(ifaces: string[], procSys = PROC_SYS): Promise<LiveSysctls> {
  const live: LiveSysctls = new Map();
  await Promise.all(
    ifaces.map(async (iface) => {
      const values: Partial<Record<SysctlKey, string>> = {};
      for (const key of SYSCTL_KEYS) {
        const text = await readFile(pathOf(procSys, iface, key), 'utf8').catch(() => undefined);
        if (text !== undefined) values[key] = text.trim();
      }
      if (Object.keys(values).length > 0) live.set(iface, values);
    }),
  );
  return live;
}

export async function writeSysctls(settings: SysctlSetting[], procSys = PROC_SYS): Promise<void> {
  for (const setting of settings) {
    try {
      await writeFile(pathOf(procSys, setting.iface, setting.key), `${setting.value}\n`);
    } catch (error) {
      throw new KernelCommandFailed(
        `${setting.iface}: cannot set ${sysctlName(setting)}=${setting.value} (${(error as Error).message})`,
        `sysctl -w ${sysctlName(setting)}=${setting.value}`,
        '',
        { cause: error },
      );
    }
  }
}

export async function readSysctlOriginals(stateDir: string): Promise<SysctlOriginals> {
  const text = await readFile(join(stateDir, ORIGINALS_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return {};
  return JSON.parse(text) as SysctlOriginals;
}

export async function writeSysctlOriginals(stateDir: string, originals: SysctlOriginals): Promise<void> {
  await writeFileIfChanged(join(stateDir, ORIGINALS_FILE), `${JSON.stringify(originals, null, 2)}\n`);
}
