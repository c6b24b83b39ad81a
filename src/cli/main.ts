#!/usr/bin/env node
/**
 * The CLI entry point, and the one place that turns errors into exit codes and messages.
 */
import { ExitCode, MultinicError } from '../errors.js';
import { runCommand, type Run } from '../kernel/run.js';
import { VERSION } from '../version.js';
import { parseCommandLine, USAGE } from './args.js';
import { processIo, Reporter, type Io } from './output.js';

// Each command's modules are loaded when that command runs (dynamic import): a boot-time
// `apply` should not pay for install's yaml and manifest schema, nor `--version` for anything.

export async function main(argv: string[], io: Io = processIo, run: Run = runCommand): Promise<number> {
  let reporter = new Reporter(io, false);
  try {
    const parsed = parseCommandLine(argv);
    reporter = new Reporter(io, parsed.values.json === true);
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
    if (error instanceof MultinicError) {
      reporter.say(`error: ${error.message}`);
      const details = (error as { failures?: string[] }).failures;
      for (const detail of details ?? []) reporter.say(`  ${detail}`);
      if (reporter.json) io.stdout(`${JSON.stringify({ ok: false, error: error.name, exitCode: error.exitCode, message: error.message, details: details ?? [] }, null, 2)}\n`);
      return error.exitCode;
    }
    reporter.say(`internal error: ${(error as Error)?.stack ?? String(error)}`);
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
  process.on('exit', () => {
    if (!settled) process.stderr.write('multinic: internal error: the run ended before it finished\n');
  });
  main(process.argv.slice(2)).then(
    (code) => {
      settled = true;
      process.exitCode = code;
    },
    (error: unknown) => {
      settled = true;
      process.stderr.write(`multinic: internal error: ${String(error)}\n`);
      process.exitCode = ExitCode.software;
    },
  );
}
