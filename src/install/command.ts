/** `multinic install` and `multinic uninstall`: wire the program, the plan and the writer. */
import { stringOption, type ParsedCommand } from '../cli/args.js';
import type { Reporter } from '../cli/output.js';
import { UsageError } from '../errors.js';
import { readProgram } from './program-source.js';
import { renderInstall } from './render-install.js';
import { removeSnapshot, writeSnapshot } from './snapshot.js';
import { writeInstall, writeUninstall } from './write-install.js';

function rootOption(values: ParsedCommand['values'], command: string): string {
  const root = stringOption(values, 'root');
  if (!root) throw new UsageError(`${command}: --root DIR is required (the image tree; --root / for this machine)`);
  return root;
}

export async function installCommand(values: ParsedCommand['values'], reporter: Reporter): Promise<number> {
  const root = rootOption(values, 'install');
  const bundle = stringOption(values, 'bundle');
  const binary = stringOption(values, 'binary');
  const program = await readProgram({
    ...(bundle !== undefined ? { bundle } : {}),
    ...(binary !== undefined ? { binary } : {}),
  });
  const report = await writeInstall(root, program.kind, renderInstall(program.kind, program.bytes));
  reporter.say(`installing the ${program.kind} ${program.from} into ${root}`);
  for (const path of report.written) reporter.say(`${path}: written`);
  for (const path of report.unchanged) reporter.say(`${path}: unchanged`);
  for (const path of report.kept) reporter.say(`${path}: edited since install, kept as it is`);
  for (const path of report.removed)
    reporter.say(`${path}: removed (the ${program.kind === 'binary' ? 'bundle' : 'binary'} install left it)`);
  // The bundle's startup snapshot is made again by every install (the tree's node may have
  // changed since the last one); the single executable carries its own.
  const snapshot = program.kind === 'bundle' ? await writeSnapshot(root) : undefined;
  if (program.kind === 'binary')
    for (const path of await removeSnapshot(root)) reporter.say(`${path}: removed (the bundle's startup snapshot)`);
  if (snapshot) reporter.say(snapshot.why);
  reporter.say(
    report.written.length === 0 && report.removed.length === 0
      ? 'no changes'
      : `${report.written.length} file(s) written; enable with: systemctl --root ${root} enable multinic.service`,
  );
  reporter.result([], {
    ok: true,
    root,
    kind: program.kind,
    ...report,
    ...(snapshot ? { snapshot: snapshot.made } : {}),
  });
  return 0;
}

export async function uninstallCommand(values: ParsedCommand['values'], reporter: Reporter): Promise<number> {
  const root = rootOption(values, 'uninstall');
  const report = await writeUninstall(root);
  if (!report.installed) reporter.say(`nothing that multinic install wrote under ${root}; no changes`);
  for (const path of report.removed) reporter.say(`${path}: removed`);
  for (const path of report.kept) reporter.say(`${path}: edited since install, kept`);
  reporter.result([], { ok: true, root, ...report });
  return 0;
}
