/** --verbose: a Run that reports every command it runs, its exit code and how long it took. */
import type { Run } from '../kernel/run.js';
import type { Reporter } from './output.js';

export function tracedRun(run: Run, reporter: Reporter, now: () => number = () => performance.now()): Run {
  return async (command, args, options) => {
    const started = now();
    const lines = options?.input ? options.input.split('\n').filter(Boolean) : [];
    const result = await run(command, args, options);
    const took = Math.round(now() - started);
    reporter.debug(`ran ${[command, ...args].join(' ')}: exit ${result.exitCode} in ${took} ms${lines.length > 0 ? `, ${lines.length} line(s) of input` : ''}`);
    for (const line of lines) reporter.debug(`  < ${line}`);
    return result;
  };
}
