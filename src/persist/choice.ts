/**
 * `--persist`: which backend, and what a run reports about persisting. Apart from
 * persist.ts so that `apply --persist none` loads none of the backends' modules.
 */
import { UsageError } from '../errors.js';
import { BACKENDS, type Backend } from './types.js';
import type { WriteReport } from './write.js';

export const PERSIST_CHOICES = ['auto', 'none', ...BACKENDS] as const;
export type PersistChoice = (typeof PERSIST_CHOICES)[number];

export function parsePersistChoice(text: string): PersistChoice {
  if (!(PERSIST_CHOICES as readonly string[]).includes(text))
    throw new UsageError(`--persist: "${text}" is not one of ${PERSIST_CHOICES.join(', ')}`);
  return text as PersistChoice;
}

export interface PersistResult {
  backend: Backend | 'none';
  why: string;
  report?: WriteReport;
  notes: string[];
}

export const PERSIST_NONE: PersistResult = { backend: 'none', why: '--persist none', notes: [] };
