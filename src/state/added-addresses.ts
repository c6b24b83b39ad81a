/**
 * addresses.json in the state dir: the addresses multinic put on NICs that no network owner
 * configures (src/plan/addresses.ts), so that a later run takes back exactly those. Read and
 * written like every state file (files.ts): a damaged one is moved aside with a warning.
 */
import { join } from 'node:path';
import { readBounded } from '../io/read-bounded.js';
import { EMPTY_RECORD, type AddressRecord } from '../plan/addresses.js';
import * as z from '../schema/zod.js';
import { family } from './applied.js';
import {
  readStateFile,
  removeStateFile,
  STATE_FILE_CAP,
  writeStateFile,
  type StateFileSpec,
  type Warn,
} from './files.js';

const ADDRESSES_FILE = 'addresses.json';

const addressRecordSchema = z.object({
  nics: z.array(
    z.object({
      mac: z.string(),
      iface: z.string(),
      addresses: z.array(z.object({ family, address: z.string(), prefix: z.int() })),
      linkUp: z.boolean(),
    }),
  ),
});

const ADDRESSES_SPEC: StateFileSpec<AddressRecord> = {
  name: ADDRESSES_FILE,
  schema: addressRecordSchema,
  // Without the record nothing is taken back: an address may be left on, never one removed that was not ours.
  recovery: 'the addresses multinic put on before are left where they are',
};

export async function readAddressRecord(stateDir: string, warn: Warn): Promise<AddressRecord> {
  return (await readStateFile(stateDir, ADDRESSES_SPEC, warn)) ?? EMPTY_RECORD;
}

export async function writeAddressRecord(stateDir: string, record: AddressRecord): Promise<void> {
  await writeStateFile(stateDir, ADDRESSES_FILE, `${JSON.stringify(record, null, 2)}\n`);
}

/** addresses.json's text as it is now (undefined: absent or unreadable), to put back if the run fails. */
export async function readAddressRecordText(stateDir: string): Promise<string | undefined> {
  return await readBounded(join(stateDir, ADDRESSES_FILE), {
    maxBytes: STATE_FILE_CAP,
    timeoutMs: 0,
    noFollow: true,
  }).then(
    (bytes) => bytes.toString('utf8'),
    () => undefined,
  );
}

/** Puts addresses.json back to `text` (from readAddressRecordText): absent when it was absent. */
export async function restoreAddressRecordText(stateDir: string, text: string | undefined): Promise<void> {
  if (text === undefined) await removeStateFile(stateDir, ADDRESSES_FILE);
  else await writeStateFile(stateDir, ADDRESSES_FILE, text);
}
