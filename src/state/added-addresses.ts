/**
 * addresses.json in the state dir: the addresses multinic put on NICs that no network owner
 * configures (src/plan/addresses.ts), so that a later run takes back exactly those.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileIfChanged } from '../io/write-file-atomic.js';
import { EMPTY_RECORD, type AddressRecord } from '../plan/addresses.js';

const ADDRESSES_FILE = 'addresses.json';

export async function readAddressRecord(stateDir: string): Promise<AddressRecord> {
  const text = await readFile(join(stateDir, ADDRESSES_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return EMPTY_RECORD;
  const parsed = JSON.parse(text) as Partial<AddressRecord>;
  return { nics: Array.isArray(parsed.nics) ? parsed.nics : [] };
}

export async function writeAddressRecord(stateDir: string, record: AddressRecord): Promise<void> {
  await writeFileIfChanged(join(stateDir, ADDRESSES_FILE), `${JSON.stringify(record, null, 2)}\n`);
}
