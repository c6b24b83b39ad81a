import type { Run } from '../../kernel/run.js';
import { secondsOption, stringOption, type ParsedCommand } from '../args.js';
import { describeChangeCount, describeNics, planCommands, planJson } from '../describe.js';
import type { Reporter } from '../output.js';
import { preparePlan } from '../pipeline.js';
import { DEFAULT_STATE_DIR } from '../../state/store.js';
import type { RetryNotice } from '../../metadata/fetch-metadata.js';
import { SOURCES, type SourceName, type SourceOptions } from '../../metadata/source.js';
import { UsageError } from '../../errors.js';

export function sourceOptionsFrom(values: ParsedCommand['values'], reporter?: Reporter): SourceOptions & { stateDir: string } {
  const source = stringOption(values, 'source') ?? 'auto';
  if (!(SOURCES as readonly string[]).includes(source)) throw new UsageError(`--source: "${source}" is not one of ${SOURCES.join(', ')}`);
  const timeout = secondsOption(values, 'timeout');
  const deadline = secondsOption(values, 'deadline');
  const networkDataFile = stringOption(values, 'network-data');
  const metadataUrl = stringOption(values, 'metadata-url');
  return {
    source: source as SourceName,
    ...(values.offline === true ? { offline: true } : {}),
    ...(networkDataFile ? { networkDataFile } : {}),
    ...(metadataUrl ? { metadataUrl } : {}),
    ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
    ...(deadline !== undefined ? { deadlineMs: deadline * 1000 } : {}),
    ...(reporter
      ? {
          onRetry: (notice: RetryNotice) => reporter.say(`metadata service not answering yet (${notice.reason}), retry ${notice.attempt} in ${(notice.delayMs / 1000).toFixed(1)} s`),
          onNote: (message: string) => reporter.say(message),
        }
      : {}),
    stateDir: stringOption(values, 'state-dir') ?? DEFAULT_STATE_DIR,
  };
}

/** `multinic plan`: the exact ip commands, nothing changed. */
export async function planCommand(values: ParsedCommand['values'], run: Run, reporter: Reporter): Promise<number> {
  const { source, mapping, plan } = await preparePlan(run, { ...sourceOptionsFrom(values, reporter), sysctl: values['no-sysctl'] !== true });
  reporter.say(`network_data.json from ${source.origin}`);
  reporter.notes([...source.notes, ...plan.notes]);
  for (const line of describeNics(plan)) reporter.say(line);
  reporter.say(describeChangeCount(plan));
  reporter.result(planCommands(plan), planJson(plan, mapping, source.origin));
  return 0;
}
