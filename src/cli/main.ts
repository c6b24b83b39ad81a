#!/usr/bin/env node
/**
 * The CLI entry point, and the one place that turns errors into exit codes and messages.
 */
import { ExitCode, MultinicError, ReconcileSkipped } from '../errors.js';
import { runCommand, type Run } from '../kernel/run.js';
import { VERSION } from '../version.js';
import { parseCommandLine, USAGE } from './args.js';
import { journalWanted, processIo, Reporter, type Io } from './output.js';
import { loggedRun, tracedRun } from './trace.js';

// Each command's modules are loaded when that command runs (dynamic import): a boot-time
// `apply` should not pay for install's yaml and manifest schema, nor `--version` for anything.

export async function main(argv: string[], io: Io = processIo, runner: Run = runCommand, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const journal = journalWanted(env);
  let reporter = new Reporter(io, false, { journal });
  // Read before parsing, so that even a usage error or a crash in parsing can show its stack.
  const debug = argv.includes('--debug');
  try {
    const parsed = parseCommandLine(argv);
    const verbosity = parsed.values.verbose === true ? 'verbose' : parsed.values.quiet === true ? 'quiet' : 'normal';
    reporter = new Reporter(io, parsed.values.json === true, { journal, verbosity });
    // --verbose: every command run, with its exit code and time, as debug lines.
    const logged = env.MULTINIC_RUN_LOG ? loggedRun(runner, env.MULTINIC_RUN_LOG) : runner;
    const run = reporter.shows('debug') ? tracedRun(logged, reporter) : logged;
    switch (parsed.command) {
      case 'help':
        io.stdout(USAGE);
        return ExitCode.ok;
      case 'version':
        io.stdout(`multinic ${VERSION}\n`);
        return ExitCode.ok;
      case 'plan':
        return await (await import('./commands/plan.js')).planCommand(parsed.values, run, reporter);
      case 'apply':
        return await (await import('./commands/apply.js')).applyCommand(parsed.values, run, reporter);
      case 'reconcile':
        return await (await import('./commands/reconcile.js')).reconcileCommand(parsed.values, run, reporter);
      case 'explain':
        return await (await import('./commands/explain.js')).explainCommand(parsed.argument ?? '', parsed.values, run, reporter);
      case 'config':
        return (await import('./commands/config.js')).configCommand(parsed.values, reporter);
      case 'status':
        return await (await import('./commands/status.js')).statusCommand(parsed.values, run, reporter);
      case 'verify':
        return await (await import('./commands/verify.js')).verifyCommand(parsed.values, run, reporter);
      case 'install':
        return await (await import('../install/command.js')).installCommand(parsed.values, reporter);
      case 'uninstall':
        return await (await import('../install/command.js')).uninstallCommand(parsed.values, reporter);
    }
  } catch (error) {
    // The timer's run with no answering source kept what is there: a warning the first
    // time, then quiet (debug) until a source answers again; not a failure (exit 0).
    if (error instanceof ReconcileSkipped) {
      if (error.firstTime) reporter.warn(error.message);
      else reporter.debug(error.message);
      if (reporter.json) io.stdout(`${JSON.stringify({ ok: true, applied: false, skipped: error.message }, null, 2)}\n`);
      return error.exitCode;
    }
    if (error instanceof MultinicError) {
      reporter.error(error.message);
      const details = (error as { failures?: string[] }).failures;
      for (const detail of details ?? []) reporter.log('error', `  ${detail}`);
      if (reporter.json) io.stdout(`${JSON.stringify({ ok: false, error: error.name, exitCode: error.exitCode, message: error.message, details: details ?? [] }, null, 2)}\n`);
      return error.exitCode;
    }
    // A bug: one line naming it; the stack only when asked for (a boot log is read by people).
    const named = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    reporter.log('error', debug && error instanceof Error && error.stack ? `internal error: ${error.stack}` : `internal error: ${named} (--debug shows where)`);
    if (reporter.json) io.stdout(`${JSON.stringify({ ok: false, error: 'InternalError', exitCode: ExitCode.software, message: named, details: [] }, null, 2)}\n`);
    return ExitCode.software;
  }
}

// Run only when executed, not when imported by tests (entry.ts: every shipped form, by name too).
import { isEntryPoint } from './entry.js';
if (isEntryPoint(import.meta.url)) {
  // Until main settles, an exit means the run stopped half-way (Node ends when nothing is
  // left to wait for, even with a promise pending): that must never read as success.
  let settled = false;
  process.exitCode = ExitCode.software;
  // A closed stdout or stderr (`apply 2>&1 | head -1`) must neither stop the run (and its
  // undo) nor change its exit code: write errors are dropped (output.ts).
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  // An error thrown outside the run's promise chain (an event handler): one line, like any
  // internal error, the stack only with --debug.
  process.on('uncaughtException', (error) => {
    const debug = process.argv.includes('--debug');
    processIo.stderr(`multinic: internal error: ${debug && error.stack ? error.stack : `${error.name}: ${error.message} (--debug shows where)`}\n`);
    settled = true;
    process.exit(ExitCode.software);
  });
  process.on('exit', () => {
    if (!settled) processIo.stderr('multinic: internal error: the run ended before it finished\n');
  });
  const done = (code: number) => {
    settled = true;
    process.exitCode = code;
    // Whatever is still pending (an HTTP request past the deadline, a child being killed)
    // is bounded on its own; this only keeps it from delaying the exit by more than a moment.
    setTimeout(() => process.exit(code), 2000).unref();
  };
  main(process.argv.slice(2)).then(done, (error: unknown) => {
    processIo.stderr(`multinic: internal error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
    done(ExitCode.software);
  });
}
