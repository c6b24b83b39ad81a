import type { Run } from '../../kernel/run.js';
import type { ParsedCommand } from '../args.js';
import { describeChangeCount, describeNics, planCommands, planJson } from '../describe.js';
import type { Reporter } from '../output.js';
import { preparePlan } from '../pipeline.js';
import { sourceOptionsFrom } from '../source-options.js';

/** `multinic plan`: the exact ip commands, nothing changed. */
export async function planCommand(values: ParsedCommand['values'], run: Run, reporter: Reporter): Promise<number> {
  const { source, mapping, plan } = await preparePlan(run, sourceOptionsFrom(values, reporter));
  reporter.say(`network_data.json from ${source.origin}`);
  reporter.notes([...source.notes, ...plan.notes]);
  for (const line of describeNics(plan)) reporter.say(line);
  reporter.say(describeChangeCount(plan));
  reporter.result(planCommands(plan), planJson(plan, mapping, source.origin));
  return 0;
}
