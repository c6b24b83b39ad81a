#!/usr/bin/env node
/**
 * The CLI entry point, and the one place that turns errors into exit codes and messages.
 */
import { startupSnapshot } from 'node:v8';
import { ExitCode, MultinicError, ReconcileSkipped } from '../errors.js';
import { installCommand, uninstallCommand } from '../install/command.js';
import { runningAsSingleExecutable } from '../install/program-source.js';
import { runCommand, type Run } from '../kernel/run.js';
import { VERSION } from '../version.js';
import { parseCommandLine, USAGE } from './args.js';
import { applyCommand } from './commands/apply.js';
import { configCommand } from './commands/config.js';
import { explainCommand } from './commands/explain.js';
import { planCommand } from './commands/plan.js';
import { reconcileCommand } from './commands/reconcile.js';
import { statusCommand } from './commands/status.js';
import { verifyCommand } from './commands/verify.js';
import { isEntryPoint } from './entry.js';
import { journalWanted, processIo, Reporter, type Io } from './output.js';
import { loggedRun, tracedRun } from './trace.js';

// Every command is imported up front: the forms a guest runs start from a snapshot with all
// of it loaded already (scripts/build-sea.mjs, src/install/snapshot.ts), so loading less
// would save nothing there.

export async function main(
  argv: string[],
  io: Io = processIo,
  runner: Run = runCommand,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
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
        return await planCommand(parsed.values, run, reporter);
      case 'apply':
        return await applyCommand(parsed.values, run, reporter);
      case 'reconcile':
        return await reconcileCommand(parsed.values, run, reporter);
      case 'explain':
        return await explainCommand(parsed.argument ?? '', parsed.values, run, reporter);
      case 'config':
        return configCommand(parsed.values, reporter);
      case 'status':
        return await statusCommand(parsed.values, run, reporter);
      case 'verify':
        return await verifyCommand(parsed.values, run, reporter);
      case 'install':
        return await installCommand(parsed.values, reporter);
      case 'uninstall':
        return await uninstallCommand(parsed.values, reporter);
    }
  } catch (error) {
    // The timer's run with no answering source kept what is there: a warning the first
    // time, then quiet (debug) until a source answers again; not a failure (exit 0).
    if (error instanceof ReconcileSkipped) {
      if (error.firstTime) reporter.warn(error.message);
      else reporter.debug(error.message);
      if (reporter.json)
        io.stdout(`${JSON.stringify({ ok: true, applied: false, skipped: error.message }, null, 2)}\n`);
      return error.exitCode;
    }
    if (error instanceof MultinicError) {
      reporter.error(error.message);
      const details = (error as { failures?: string[] }).failures;
      for (const detail of details ?? []) reporter.log('error', `  ${detail}`);
      if (reporter.json)
        io.stdout(
          `${JSON.stringify({ ok: false, error: error.name, exitCode: error.exitCode, message: error.message, details: details ?? [] }, null, 2)}\n`,
        );
      return error.exitCode;
    }
    // A bug: one line naming it; the stack only when asked for (a boot log is read by people).
    const named = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    reporter.log(
      'error',
      debug && error instanceof Error && error.stack
        ? `internal error: ${error.stack}`
        : `internal error: ${named} (--debug shows where)`,
    );
    if (reporter.json)
      io.stdout(
        `${JSON.stringify({ ok: false, error: 'InternalError', exitCode: ExitCode.software, message: named, details: [] }, null, 2)}\n`,
      );
    return ExitCode.software;
  }
}

/**
 * Runs main as the program: exit code, closed pipes, errors outside the run's promises.
 * `args` are the user's arguments (after the program's own name).
 */
function start(args: string[]): void {
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
    const debug = args.includes('--debug');
    processIo.stderr(
      `multinic: internal error: ${debug && error.stack ? error.stack : `${error.name}: ${error.message} (--debug shows where)`}\n`,
    );
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
  main(args).then(done, (error: unknown) => {
    processIo.stderr(
      `multinic: internal error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`,
    );
    done(ExitCode.software);
  });
}

// Run only when executed, not when imported by tests (entry.ts: every shipped form, by name too).
// When this bundle is the entry of a startup snapshot (`node --build-snapshot`, or the single
// executable's useSnapshot), nothing runs now: the snapshot is taken once everything above is
// loaded, and `start` runs when the snapshot is started. There argv holds no script path:
// `node --snapshot-blob B ARGS` gives [node, ...ARGS], the single executable [exe, exe, ...ARGS].
if (startupSnapshot.isBuildingSnapshot()) {
  startupSnapshot.setDeserializeMainFunction(() => {
    start(process.argv.slice(runningAsSingleExecutable() ? 2 : 1));
  });
} else if (isEntryPoint(import.meta.url)) {
  start(process.argv.slice(2));
}
