/** The persist step of `apply`: choose the backend, render, write. */
import type { Plan } from '../plan/types.js';
import { detectOwner } from './detect.js';
import { readOwnerFacts, readTreeFacts } from './read-tree.js';
import { renderBackend } from './render.js';
import { PERSIST_NONE, type PersistChoice, type PersistResult } from './choice.js';
import { NETPLAN_PATH } from './netplan.js';
import { validateNetplan } from './validate-netplan.js';
import { validateNetworkManager } from './validate-nm.js';
import { writePersisted } from './write.js';
import { activatePersisted } from './activate.js';

/**
 * `selfConfigured`: NICs whose addresses multinic puts on itself (no network owner
 * configures them, src/plan/addresses.ts). Nothing is written for them: an entry in the
 * owner's files would make the owner take the NIC over (netplan would hand it to networkd,
 * which drops addresses it did not configure); the boot unit re-applies them from the cache.
 * Only their rules ride on an owned NIC's configuration (common.ts, rulesHostedBy).
 */
export async function persistPlan(
  plan: Plan,
  options: {
    choice: PersistChoice;
    root: string;
    stateDir: string;
    sysctl: boolean;
    selfConfigured?: readonly string[];
    warn?: (message: string) => void;
  },
): Promise<PersistResult> {
  if (options.choice === 'none') return PERSIST_NONE;
  const selfConfigured = new Set(options.selfConfigured ?? []);
  const detected =
    options.choice === 'auto'
      ? detectOwner(await readOwnerFacts(options.root))
      : { backend: options.choice, why: `--persist ${options.choice}` };
  if (detected.backend === 'none') return { ...detected, notes: [] };
  const rendered = renderBackend(detected.backend, {
    nics: plan.nics.filter((nic) => !selfConfigured.has(nic.mac)),
    unowned: plan.nics.filter((nic) => selfConfigured.has(nic.mac)),
    desired: plan.desired,
    sysctl: options.sysctl ? plan.sysctl.desired : [],
    tree: await readTreeFacts(options.root),
  });
  const notes = [...rendered.notes];
  if (detected.backend === 'netplan') {
    const checked = await validateNetplan(options.root, rendered.files);
    if (checked.verdict === 'refused') {
      // Nothing written, nothing removed: what was there (the owner's, and multinic's last) stays loadable.
      return {
        backend: detected.backend,
        why: `refused: netplan generate rejects the owner's configuration together with ${NETPLAN_PATH} (${checked.message}); nothing written`,
        notes,
      };
    }
    if (checked.verdict === 'unchecked') notes.push(checked.message);
  }
  if (detected.backend === 'networkmanager') {
    const checked = await validateNetworkManager(rendered.files);
    if (checked.verdict === 'refused') {
      return {
        backend: detected.backend,
        why: `refused: nmcli --offline rejects ${checked.file} with multinic's routing (${checked.message}); nothing written`,
        notes,
      };
    }
    if (checked.verdict === 'unchecked') notes.push(checked.message);
  }
  const report = await writePersisted(options.root, options.stateDir, rendered.files, options.warn);
  // On a live system, the owner reads the files now (netplan generate), not at its next reload.
  await activatePersisted(detected.backend, options.root, report);
  return { backend: detected.backend, why: detected.why, report, notes };
}
