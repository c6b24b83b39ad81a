/**
 * The state file: which MAC has which table and priority. Read and written here only;
 * the planner gets it as a value.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from '../schema/zod.js';
import { InvalidNetworkData } from '../errors.js';
import { writeFileIfChanged } from '../io/write-file-atomic.js';
import { emptyState } from '../plan/allocate.js';
import type { State } from '../plan/types.js';

export const STATE_FILE = 'state.json';

const stateSchema = z.object({
  version: z.literal(1),
  allocations: z.record(
    z.string(),
    z.object({
      slot: z.int().check(z.positive()),
      table: z.int().check(z.positive()),
      priority: z.int().check(z.positive()),
      iface: z.optional(z.string()),
      attached: z.boolean(),
    }),
  ),
});

export function statePath(stateDir: string): string {
  return join(stateDir, STATE_FILE);
}

export async function readState(stateDir: string): Promise<State> {
  const path = statePath(stateDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw error;
  }
  const parsed = stateSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    // Refuse rather than start from scratch: fresh numbers would move every NIC's table.
    throw new InvalidNetworkData(`${path}: not a multinic state file:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data as State;
}

export async function writeState(stateDir: string, state: State): Promise<void> {
  await writeFileIfChanged(statePath(stateDir), `${JSON.stringify(state, null, 2)}\n`, 0o644);
}
