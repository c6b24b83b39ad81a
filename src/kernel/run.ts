/**
 * The one door to system commands. Everything that runs `ip` takes a `Run`, so unit tests
 * inject a fake and the end-to-end suite runs the real thing.
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { KernelCommandFailed } from '../errors.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export type Run = (command: string, args: string[], options?: { input?: string; env?: Record<string, string> }) => Promise<RunResult>;

/** Counts what a run spawned, for the benchmark's "processes per run" figure. */
export const runStats = { spawned: 0 };

export const runCommand: Run = (command, args, options = {}) => {
  runStats.spawned++;
  // `npm run bench` replays exactly what a run spawned (its "reads it needs" floor) from this log.
  const log = process.env.MULTINIC_RUN_LOG;
  if (log) appendFileSync(log, `${JSON.stringify({ command, args, input: options.input ?? null })}\n`);
  // node:child_process, not execa: loading execa cost about 190 ms of every run's 400 ms
  // (npm run bench, BENCHMARKS.md), and a run needs only argv, stdin, stdout, stderr and the exit code.
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...options.env, LC_ALL: 'C' }, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      reject(new KernelCommandFailed(`${command}: could not run (${error.message})`, `${command} ${args.join(' ')}`, '', { cause: error }));
    });
    child.on('close', (code, signal) => {
      const text = Buffer.concat(stderr).toString('utf8');
      resolve({
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: signal ? `${text}${command}: killed by ${signal}\n` : text,
        exitCode: code ?? 1,
      });
    });
    // A command that exits without reading its input closes the pipe: that is its answer, not ours to fail on.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
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
