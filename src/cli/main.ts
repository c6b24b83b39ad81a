#!/usr/bin/env node
/**
 * The CLI entry point, and the one place that turns errors into exit codes and messages.
 */
import { ExitCode, MultinicError } from '../errors.js';
import { runCommand, type Run } from '../kernel/run.js';
import { VERSION } from '../version.js';
import { parseCommandLine, USAGE } from './args.js';
import { applyCommand } from './commands/apply.js';
import { planCommand } from './commands/plan.js';
import { statusCommand } from './commands/status.js';
import { verifyCommand } from './commands/verify.js';
import { installCommand, uninstallCommand } from '../install/command.js';
import { processIo, Reporter, type Io } from './output.js';

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
        return await planCommand(parsed.values, run, reporter);
      case 'apply':
        return await applyCommand(parsed.values, run, reporter);
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

// Run only when executed, not when imported by tests.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const invokedAs = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invokedAs === realpathSync(fileURLToPath(import.meta.url))) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`multinic: internal error: ${String(error)}\n`);
      process.exitCode = ExitCode.software;
    },
  );
}
