/**
 * The state file: which MAC has which table and priority. Read here, written by the
 * record step with applied.json and the cache (record.ts); the planner gets it as a value. A missing or damaged file reads as undefined (moved
 * aside by files.ts); the caller then rebuilds it from the kernel (rebuild.ts), so the
 * tables stay where they are.
 */
import * as z from '../schema/zod.js';
import type { State } from '../plan/types.js';
import { readStateFile, type StateFileSpec, type Warn } from './files.js';

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

export const STATE_SPEC: StateFileSpec<State> = {
  name: STATE_FILE,
  schema: stateSchema,
  recovery: "rebuilt from the kernel's tagged rules (tables kept)",
};

/** The state as written by the last run; undefined when missing or damaged (then rebuild it from the kernel). */
export async function readState(stateDir: string, warn: Warn): Promise<State | undefined> {
  return await readStateFile(stateDir, STATE_SPEC, warn);
}
