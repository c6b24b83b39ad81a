/**
 * The last good network_data.json: every document that passed validation is kept in the
 * state dir, so later boots can apply without the network (`--offline`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MetadataUnavailable } from '../errors.js';
import { writeFileIfChanged } from '../io/write-file-atomic.js';

export const CACHE_FILE = 'network_data.json';

export function cachePath(stateDir: string): string {
  return join(stateDir, CACHE_FILE);
}

export async function readCachedNetworkData(stateDir: string): Promise<string> {
  try {
    return await readFile(cachePath(stateDir), 'utf8');
  } catch (error) {
    throw new MetadataUnavailable(`${cachePath(stateDir)}: no cached network_data.json (run multinic apply once with the metadata service or a config drive)`, { cause: error });
  }
}

export async function writeCachedNetworkData(stateDir: string, text: string): Promise<void> {
  await writeFileIfChanged(cachePath(stateDir), text.endsWith('\n') ? text : `${text}\n`, 0o600);
}
