import type { Run } from '../../kernel/run.js';
import type { ParsedCommand } from '../args.js';
import { describeChangeCount, describeNics, planCommands, planJson } from '../describe.js';
import type { Reporter } from '../output.js';
import { loadNetworkData } from '../../metadata/source.js';
import { planFrom, readCurrent } from '../pipeline.js';
import { sourceOptionsFrom } from '../source-options.js';

/** `multinic plan`: the exact ip commands, nothing changed. */
export async function planCommand(values: ParsedCommand['values'], run: Run, reporter: Reporter): Promise<number> {
  const options = sourceOptionsFrom(values, reporter); // with the configuration file and --no-sysctl
  const warn = (message: string) => {
    reporter.say(`warning: ${message}`);
  };
  // The source first: a failed fetch stops before the kernel is read or anything planned.
  const source = await loadNetworkData(options, run);
  const { mapping, plan } = planFrom(
    source,
    await readCurrent(run, { stateDir: options.stateDir, sysctl: options.sysctl, warn }),
    options.config,
  );
  reporter.say(`network_data.json from ${source.origin}`);
  reporter.notes([...source.notes, ...plan.notes]);
  for (const line of describeNics(plan)) reporter.say(line);
  reporter.say(describeChangeCount(plan));
  reporter.result(planCommands(plan), planJson(plan, mapping, source.origin));
  return 0;
}
