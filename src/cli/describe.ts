/** Plans and results as the words and JSON a person or a script reads. Pure. */
import { countChanges } from '../plan/diff.js';
import { toShellLines } from '../plan/ip-commands.js';
import type { Plan } from '../plan/types.js';
import type { Mapping } from '../model/types.js';
import { toSysctlCommands } from '../sysctl/plan-sysctl.js';

export function planJson(plan: Plan, mapping: Mapping, origin: string) {
  return {
    source: origin,
    nics: plan.nics,
    missing: mapping.missing,
    unlisted: mapping.unlisted,
    changes: plan.changes,
    commands: planCommands(plan),
    desired: plan.desired,
    sysctl: { set: plan.sysctl.set, desired: plan.sysctl.desired },
    notes: plan.notes,
  };
}

export function describeNics(plan: Plan): string[] {
  return plan.nics.map(
    (nic) => `${nic.iface} (${nic.mac}): table ${nic.table}, priority ${nic.priority}, ${nic.addresses.join(', ')}`,
  );
}

/** Every command the plan runs: the ip commands, then the sysctl writes. */
export function planCommands(plan: Plan): string[] {
  return [...toShellLines(plan.changes), ...toSysctlCommands(plan.sysctl.set)];
}

export function planChangeCount(plan: Plan): number {
  return countChanges(plan.changes) + plan.sysctl.set.length;
}

export function describeChangeCount(plan: Plan): string {
  if (planChangeCount(plan) === 0) return 'no changes';
  const { add, remove } = plan.changes;
  const parts = [
    add.rules.length && `${add.rules.length} rule(s) to add`,
    add.routes.length && `${add.routes.length} route(s) to add`,
    remove.rules.length && `${remove.rules.length} rule(s) to remove`,
    remove.routes.length && `${remove.routes.length} route(s) to remove`,
    plan.sysctl.set.length && `${plan.sysctl.set.length} sysctl(s) to set`,
  ].filter(Boolean);
  return parts.join(', ');
}
