/**
 * Apply and undo: the changes in one `ip -batch` per family, and putting back exactly what
 * multinic owned before the run when anything after the change fails. Verification is its
 * own stage (verify-applied.ts).
 */
import { KernelCommandFailed } from '../errors.js';
import { countChanges, diffRouting } from '../plan/diff.js';
import { toBatches } from '../plan/ip-commands.js';
import type { Changes, RoutingState } from '../plan/types.js';
import { readLive } from './read-live.js';
import type { Run } from './run.js';

export async function runBatches(run: Run, changes: Changes, options: { force?: boolean } = {}): Promise<void> {
  for (const [family, lines] of toBatches(changes)) {
    const args = [`-${family}`, ...(options.force ? ['-force'] : []), '-batch', '-'];
    const batch = lines.map((line) => line.join(' '));
    const result = await run('ip', args, { input: `${batch.join('\n')}\n` });
    if (result.exitCode !== 0) throw refusal(`ip ${args.join(' ')}`, batch, result.stderr, result.exitCode);
  }
}

/**
 * The kernel's refusal in its own words, naming the command it refused: `ip -batch` says
 * which input line failed ("Command failed -:3") after the kernel's message.
 */
function refusal(command: string, batch: string[], stderr: string, exitCode: number): KernelCommandFailed {
  const lineNumber = Number(/Command failed -:(\d+)/.exec(stderr)?.[1]);
  const words = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('Command failed'))
    .join('; ');
  const line = Number.isInteger(lineNumber) ? batch[lineNumber - 1] : undefined;
  const what = line ? `"ip ${line}" (line ${lineNumber} of ${command})` : `${command} (exit ${exitCode})`;
  return new KernelCommandFailed(
    `the kernel refused ${what}: ${words || 'no message'}`,
    line ? `ip ${line}` : command,
    stderr,
  );
}

/**
 * Puts back exactly the rules and routes multinic owned before the run. A route through a
 * NIC that left the guest meanwhile cannot come back (the kernel removed it with the NIC)
 * and is not asked for. Checked by reading the kernel again.
 */
export async function undoRouting(run: Run, before: RoutingState): Promise<void> {
  const now = await readLive(run);
  const present = new Set(now.interfaces.map((iface) => iface.name));
  const target: RoutingState = { routes: before.routes.filter((route) => present.has(route.dev)), rules: before.rules };
  const back = diffRouting(target, now.owned);
  if (countChanges(back) === 0) return;
  // -force: one line that fails must not keep the others from being put back.
  const failure = await runBatches(run, back, { force: true }).then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  const after = await readLive(run);
  const left = diffRouting(target, after.owned);
  if (countChanges(left) > 0) {
    throw new KernelCommandFailed(
      `${countChanges(left)} route(s) or rule(s) could not be put back${failure ? ` (${failure.message})` : ''}`,
      'ip -batch (undo)',
      '',
      ...(failure ? [{ cause: failure }] : []),
    );
  }
}
