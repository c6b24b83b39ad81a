/** Runs an address plan (src/plan/addresses.ts): one `ip -batch`, links up first, down last. */
import { addressCommands, type AddressPlan } from '../plan/addresses.js';
import { runChecked, type Run } from './run.js';

export async function applyAddressPlan(run: Run, plan: AddressPlan): Promise<void> {
  const lines = addressCommands(plan);
  if (lines.length === 0) return;
  await runChecked(run, 'ip', ['-batch', '-'], `${lines.map((args) => args.join(' ')).join('\n')}\n`);
}
