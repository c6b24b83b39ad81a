/**
 * The record of the last successful apply: the NICs and the routing multinic put in
 * place. `multinic verify` checks the kernel against it, so it notices a route or rule
 * that went missing since, without asking the metadata service again.
 */
import * as z from '../schema/zod.js';
import type { PlannedNic, RoutingState } from '../plan/types.js';
import { readStateFile, type StateFileSpec, type Warn } from './files.js';

export const APPLIED_FILE = 'applied.json';

export interface AppliedRecord {
  nics: PlannedNic[];
  desired: RoutingState;
}

/** 4 or 6, as every state file writes a family. */
export const family = z.union([z.literal(4), z.literal(6)]);
const appliedSchema = z.object({
  nics: z.array(
    z.object({
      mac: z.string(),
      iface: z.string(),
      table: z.int(),
      priority: z.int(),
      addresses: z.array(z.string()),
      kind: z.optional(z.union([z.literal('physical'), z.literal('vlan'), z.literal('bond')])),
      dynamic: z.optional(z.array(z.string())),
    }),
  ),
  desired: z.object({
    routes: z.array(
      z.object({
        family,
        table: z.int(),
        dst: z.string(),
        via: z.optional(z.string()),
        dev: z.string(),
        src: z.optional(z.string()),
        scope: z.optional(z.literal('link')),
      }),
    ),
    // Every field of RuleSpec: a field the schema left out would be dropped on reading (the three
    // rule tiers of plan/local-paths.ts differ only by `to` and `suppressPrefixlength`).
    rules: z.array(
      z.object({
        family,
        priority: z.int(),
        from: z.string(),
        to: z.optional(z.string()),
        table: z.int(),
        suppressPrefixlength: z.optional(z.int()),
      }),
    ),
  }),
});

export const APPLIED_SPEC: StateFileSpec<AppliedRecord> = {
  name: APPLIED_FILE,
  schema: appliedSchema,
  recovery: 'verify checks what is live instead until the next apply',
};

export async function readApplied(stateDir: string, warn: Warn): Promise<AppliedRecord | undefined> {
  return await readStateFile(stateDir, APPLIED_SPEC, warn);
}
