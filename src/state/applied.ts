/**
 * The record of the last successful apply: the NICs and the routing multinic put in
 * place. `multinic verify` checks the kernel against it, so it notices a route or rule
 * that went missing since, without asking the metadata service again.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileIfChanged } from '../io/write-file-atomic.js';
import type { PlannedNic, RoutingState } from '../plan/types.js';

const APPLIED_FILE = 'applied.json';

export interface AppliedRecord {
  nics: PlannedNic[];
  desired: RoutingState;
}

export async function readApplied(stateDir: string): Promise<AppliedRecord | undefined> {
  const text = await readFile(join(stateDir, APPLIED_FILE), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as AppliedRecord);
}

export async function writeApplied(stateDir: string, record: AppliedRecord): Promise<void> {
  await writeFileIfChanged(join(stateDir, APPLIED_FILE), `${JSON.stringify(record, null, 2)}\n`);
}
