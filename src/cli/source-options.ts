/** The source options of `plan` and `apply` (--source, --network-data, --metadata-url, ...), read from the command line. */
import { UsageError } from '../errors.js';
import type { RetryNotice } from '../metadata/fetch-metadata.js';
import { SOURCES, type SourceName, type SourceOptions } from '../metadata/source-options.js';
import { readConfigSync } from '../config/read-config.js';
import type { LoadedConfig } from '../config/parse-config.js';
import { DEFAULT_STATE_DIR } from '../state/state-dir.js';
import { secondsOption, stringOption, type ParsedCommand } from './args.js';
import type { Reporter } from './output.js';

/**
 * Also reads the configuration file (--config, else /etc/multinic/multinic.conf), so a bad
 * line stops the run before anything is fetched; `sysctl` is off with --no-sysctl or
 * MULTINIC_SYSCTL=no.
 */
export function sourceOptionsFrom(
  values: ParsedCommand['values'],
  reporter?: Reporter,
): SourceOptions & { stateDir: string; config: LoadedConfig; sysctl: boolean } {
  const config = readConfigSync(stringOption(values, 'config'));
  const source = stringOption(values, 'source') ?? 'auto';
  if (!(SOURCES as readonly string[]).includes(source))
    throw new UsageError(`--source: "${source}" is not one of ${SOURCES.join(', ')}`);
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
          onRetry: (notice: RetryNotice) => {
            reporter.say(
              `metadata service not answering yet (${notice.reason}), retry ${notice.attempt} in ${(notice.delayMs / 1000).toFixed(1)} s`,
            );
          },
          onNote: (message: string) => {
            reporter.say(message);
          },
        }
      : {}),
    stateDir: stringOption(values, 'state-dir') ?? DEFAULT_STATE_DIR,
    config,
    sysctl: values['no-sysctl'] !== true && config.config.sysctl,
  };
}
