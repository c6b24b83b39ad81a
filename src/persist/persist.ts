/** The persist step of `apply`: choose the backend, render, write. */
import { UsageError } from '../errors.js';
import type { Plan } from '../plan/types.js';
import { detectOwner } from './detect.js';
import { readOwnerFacts, readTreeFacts } from './read-tree.js';
import { renderBackend } from './render.js';
import { BACKENDS, type Backend } from './types.js';
import { writePersisted, type WriteReport } from './write.js';

export const PERSIST_CHOICES = ['auto', 'none', ...BACKENDS] as const;
export type PersistChoice = (typeof PERSIST_CHOICES)[number];

export function parsePersistChoice(text: string): PersistChoice {
  if (!(PERSIST_CHOICES as readonly string[]).includes(text)) throw new UsageError(`--persist: "${text}" is not one of ${PERSIST_CHOICES.join(', ')}`);
  return text as PersistChoice;
}

export interface PersistResult {
  backend: Backend | 'none';
  why: string;
  report?: WriteReport;
  notes: string[];
}

export async function persistPlan(plan: Plan, options: { choice: PersistChoice; root: string; stateDir: string; sysctl: boolean }): Promise<PersistResult> {
  if (options.choice === 'none') return { backend: 'none', why: '--persist none', notes: [] };
  const detected = options.choice === 'auto' ? detectOwner(await readOwnerFacts(options.root)) : { backend: options.choice, why: `--persist ${options.choice}` };
  if (detected.backend === 'none') return { ...detected, notes: [] };
  const rendered = renderBackend(detected.backend, {
    nics: plan.nics,
    desired: plan.desired,
    sysctl: options.sysctl ? plan.sysctl.desired : [],
    tree: await readTreeFacts(options.root),
  });
  const report = await writePersisted(options.root, options.stateDir, rendered.files);
  return { backend: detected.backend, why: detected.why, report, notes: rendered.notes };
}
