/** The persist step of `apply`: choose the backend, render, write. */
import type { Plan } from '../plan/types.js';
import { detectOwner } from './detect.js';
import { readOwnerFacts, readTreeFacts } from './read-tree.js';
import { renderBackend } from './render.js';
import { PERSIST_NONE, type PersistChoice, type PersistResult } from './choice.js';
import { writePersisted } from './write.js';
import { activatePersisted } from './activate.js';

/**
 * `selfConfigured`: NICs whose addresses multinic puts on itself (no network owner
 * configures them, src/plan/addresses.ts). Nothing is written for them: an entry in the
 * owner's files would make the owner take the NIC over (netplan would hand it to networkd,
 * which drops addresses it did not configure); the boot unit re-applies them from the cache.
 */
export async function persistPlan(plan: Plan, options: { choice: PersistChoice; root: string; stateDir: string; sysctl: boolean; selfConfigured?: readonly string[] }): Promise<PersistResult> {
  if (options.choice === 'none') return PERSIST_NONE;
  const selfConfigured = new Set(options.selfConfigured ?? []);
  const detected = options.choice === 'auto' ? detectOwner(await readOwnerFacts(options.root)) : { backend: options.choice, why: `--persist ${options.choice}` };
  if (detected.backend === 'none') return { ...detected, notes: [] };
  const rendered = renderBackend(detected.backend, {
    nics: plan.nics.filter((nic) => !selfConfigured.has(nic.mac)),
    desired: plan.desired,
    sysctl: options.sysctl ? plan.sysctl.desired : [],
    tree: await readTreeFacts(options.root),
  });
  const report = await writePersisted(options.root, options.stateDir, rendered.files);
  await activatePersisted(detected.backend, options.root, report);
  return { backend: detected.backend, why: detected.why, report, notes: rendered.notes };
}
