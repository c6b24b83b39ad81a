/**
 * The one door to system commands. Everything that runs `ip` takes a `Run`, so unit tests
 * inject a fake and the end-to-end suite runs the real thing.
 */
import { appendFileSync } from 'node:fs';
import { KernelCommandFailed } from '../errors.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export type Run = (command: string, args: string[], options?: { input?: string }) => Promise<RunResult>;

/** Counts what a run spawned, for the benchmark's "processes per run" figure. */
export const runStats = { spawned: 0 };

export const runCommand: Run = async (command, args, options = {}) => {
  // execa is imported lazily: `plan --network-data` on a machine without it, and the
  // bundle's start-up, should not pay for loading it.
  const { execa } = await import('execa');
  runStats.spawned++;
  // `npm run bench` replays exactly what a run spawned (its "reads it needs" floor) from this log.
  const log = process.env.MULTINIC_RUN_LOG;
  if (log) appendFileSync(log, `${JSON.stringify({ command, args, input: options.input ?? null })}\n`);
  const result = await execa(command, args, {
    input: options.input ?? '',
    reject: false,
    stripFinalNewline: false,
    env: { LC_ALL: 'C' },
  });
  if (result.exitCode === undefined && result.failed) {
    throw new KernelCommandFailed(`${command}: could not run (${result.shortMessage})`, `${command} ${args.join(' ')}`, '', {
      cause: result.cause,
    });
  }
  return { stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), exitCode: result.exitCode ?? 1 };
};

/** Run and require exit 0; the error names the command and repeats what it said. */
export async function runChecked(run: Run, command: string, args: string[], input?: string): Promise<string> {
  const result = await run(command, args, input === undefined ? {} : { input });
  if (result.exitCode !== 0) {
    const text = `${command} ${args.join(' ')}`;
    throw new KernelCommandFailed(`${text} failed (exit ${result.exitCode}): ${result.stderr.trim() || 'no message'}`, text, result.stderr);
  }
  return result.stdout;
}
