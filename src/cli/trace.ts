/** Runs that tell what they run: --verbose's debug lines, and the benchmark's run log. */
import { appendFileSync } from 'node:fs';
import type { Run } from '../kernel/run.js';
import type { Reporter } from './output.js';

/** --verbose: every command run, its exit code and how long it took. */
export function tracedRun(run: Run, reporter: Reporter, now: () => number = () => performance.now()): Run {
  return async (command, args, options) => {
    const started = now();
    const lines = options?.input ? options.input.split('\n').filter(Boolean) : [];
    const result = await run(command, args, options);
    const took = Math.round(now() - started);
    reporter.debug(
      `ran ${[command, ...args].join(' ')}: exit ${result.exitCode} in ${took} ms${lines.length > 0 ? `, ${lines.length} line(s) of input` : ''}`,
    );
    for (const line of lines) reporter.debug(`  < ${line}`);
    return result;
  };
}

/**
 * MULTINIC_RUN_LOG=FILE: every command, its arguments and its input, one JSON line each, so
 * `npm run bench` can replay exactly what a run spawned (its "reads it needs" floor). Only
 * the CLI wraps its runner in this; the commands themselves never look at the variable.
 */
export function loggedRun(run: Run, file: string): Run {
  return async (command, args, options) => {
    appendFileSync(file, `${JSON.stringify({ command, args, input: options?.input ?? null })}\n`);
    return await run(command, args, options);
  };
}
