/**
 * Reads and writes the per-interface sysctls under /proc/sys, which shows the network
 * namespace of the reading process, and keeps the values to put back in the state dir.
 * No process is spawned.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KernelCommandFailed, TemporaryFailure } from '../errors.js';
import { normaliseMac } from '../model/addresses.js';
import * as z from '../schema/zod.js';
import { readStateFile, writeStateFile, type StateFileSpec, type Warn } from '../state/files.js';
import {
  SYSCTL_KEYS,
  sysctlName,
  type LiveSysctls,
  type SysctlKey,
  type SysctlOriginals,
  type SysctlSetting,
} from './plan-sysctl.js';

export const PROC_SYS = '/proc/sys';
export const ORIGINALS_FILE = 'sysctl-originals.json';

const value = z.optional(z.string());
const originalsSchema = z.record(z.string(), z.object({ arp_ignore: value, arp_announce: value, rp_filter: value }));

export const ORIGINALS_SPEC: StateFileSpec<SysctlOriginals> = {
  name: ORIGINALS_FILE,
  schema: originalsSchema,
  recovery: 'the values live now are taken as the ones to put back',
};

function pathOf(procSys: string, iface: string, key: SysctlKey): string {
  return join(procSys, 'net', 'ipv4', 'conf', iface, key);
}

/*
 * /proc/sys is answered by the kernel from memory and never blocks, so it is read and
 * written synchronously: three files per NIC through the thread pool cost a round trip
 * each (about 1 ms apiece at N = 8, npm run bench), in-line they cost microseconds.
 */

function readSysctlFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export async function readSysctls(ifaces: string[], procSys = PROC_SYS): Promise<LiveSysctls> {
  const live: LiveSysctls = new Map();
  for (const iface of ifaces) {
    const values: Partial<Record<SysctlKey, string>> = {};
    for (const key of SYSCTL_KEYS) {
      const text = readSysctlFile(pathOf(procSys, iface, key));
      if (text !== undefined) values[key] = text.trim();
    }
    if (Object.keys(values).length > 0) live.set(iface, values);
  }
  return live;
}

export async function writeSysctls(settings: SysctlSetting[], procSys = PROC_SYS): Promise<void> {
  for (const setting of settings) {
    try {
      writeFileSync(pathOf(procSys, setting.iface, setting.key), `${setting.value}\n`);
    } catch (error) {
      // The NIC left the guest during the run (a detach racing the run): try again.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new TemporaryFailure(
          `${setting.iface}: left the guest during the run (cannot set ${sysctlName(setting)})`,
          { cause: error },
        );
      }
      throw new KernelCommandFailed(
        `${setting.iface}: cannot set ${sysctlName(setting)}=${setting.value} (${(error as Error).message})`,
        `sysctl -w ${sysctlName(setting)}=${setting.value}`,
        '',
        { cause: error },
      );
    }
  }
}

/** The values to put back, by MAC (lower case): a key that is no MAC was never written by multinic. */
export async function readSysctlOriginals(stateDir: string, warn: Warn): Promise<SysctlOriginals> {
  const raw = (await readStateFile(stateDir, ORIGINALS_SPEC, warn)) ?? {};
  const byMac: SysctlOriginals = {};
  for (const [key, values] of Object.entries(raw)) {
    const mac = normaliseMac(key);
    if (mac) byMac[mac] = { ...values, ...byMac[mac] };
  }
  return byMac;
}

export async function writeSysctlOriginals(stateDir: string, originals: SysctlOriginals): Promise<boolean> {
  return await writeStateFile(stateDir, ORIGINALS_FILE, `${JSON.stringify(originals, null, 2)}\n`);
}

/**
 * Puts back the values read before the run for every setting it made: the undo of a run
 * that failed after writing sysctls. An interface that is gone has nothing to put back.
 * Returns what could not be put back.
 */
export function restoreSysctls(settings: SysctlSetting[], before: LiveSysctls, procSys = PROC_SYS): string[] {
  const failed: string[] = [];
  for (const setting of settings) {
    const old = before.get(setting.iface)?.[setting.key];
    if (old === undefined) continue;
    try {
      writeFileSync(pathOf(procSys, setting.iface, setting.key), `${old}\n`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // the NIC left: nothing to put back
      failed.push(`${sysctlName(setting)}=${old} (${(error as Error).message})`);
    }
  }
  return failed;
}
