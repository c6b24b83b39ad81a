/**
 * The last good network_data.json: a document the kernel accepted (written after verify),
 * kept in the state dir so later boots can apply without the network (`--offline`).
 */
import { join } from 'node:path';
import { MetadataUnavailable } from '../errors.js';
import * as z from '../schema/zod.js';
import { readStateFile, type StateFileSpec, type Warn } from '../state/files.js';

export const CACHE_FILE = 'network_data.json';

/** At file level a JSON object; the document itself is validated by the parse step like any other. */
const CACHE_SPEC: StateFileSpec<object> = {
  name: CACHE_FILE,
  schema: z.looseObject({}),
  recovery: 'the next apply with the network caches a good document again',
};

export function cachePath(stateDir: string): string {
  return join(stateDir, CACHE_FILE);
}

export async function readCachedNetworkData(stateDir: string, warn: Warn = () => undefined): Promise<string> {
  const document = await readStateFile(stateDir, CACHE_SPEC, warn);
  if (document === undefined) {
    throw new MetadataUnavailable(
      `${cachePath(stateDir)}: no cached network_data.json (run multinic apply once with the metadata service or a config drive)`,
    );
  }
  return `${JSON.stringify(document)}\n`;
}

export function cacheText(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
