import { formatValue, KEYS, type ConfigKey } from '../../config/keys.js';
import { readConfigSync } from '../../config/read-config.js';
import { stringOption, type ParsedCommand } from '../args.js';
import type { Reporter } from '../output.js';

/**
 * `multinic config`: the effective configuration, one KEY=value line each (the file's own
 * syntax), and where each value came from: the file and line, or the default. A bad line
 * is refused here as in every other command (exit 78, with file and line).
 */
export function configCommand(values: ParsedCommand['values'], reporter: Reporter): number {
  const loaded = readConfigSync(stringOption(values, 'config'));
  const entries = (Object.keys(KEYS) as ConfigKey[]).map((key) => {
    const field = KEYS[key].field;
    return { key, value: formatValue(field, loaded.config[field]), from: loaded.origins[field] };
  });
  reporter.say(
    loaded.found ? `configuration from ${loaded.file}` : `${loaded.file} does not exist: every value is the default`,
  );
  const width = Math.max(...entries.map((entry) => `${entry.key}="${entry.value}"`.length));
  reporter.result(
    entries.map((entry) => `${`${entry.key}="${entry.value}"`.padEnd(width)}  # ${entry.from}`),
    {
      file: loaded.file,
      found: loaded.found,
      values: Object.fromEntries(entries.map((entry) => [entry.key, { value: entry.value, from: entry.from }])),
    },
  );
  return 0;
}
