/**
 * multinic.conf's text → the effective configuration and where each value came from. Pure.
 *
 * The syntax is what systemd's EnvironmentFile= and a POSIX shell both read the same way:
 * blank lines, comments (# or ;), and KEY=value with the value bare, "double-quoted" or
 * 'single-quoted'. Anything else is refused with its line, so a typo never silently turns
 * into a default.
 */
import { InvalidConfiguration } from '../errors.js';
import { DEFAULTS, KEYS, type Config, type ConfigField, type ConfigKey } from './keys.js';

export interface LoadedConfig {
  /** The file read, or that would have been read. */
  file: string;
  /** Whether the file exists. */
  found: boolean;
  config: Config;
  /** Per field: "default", or "FILE:LINE". */
  origins: Record<ConfigField, string>;
}

export function defaultConfig(file: string, found = false): LoadedConfig {
  const origins = Object.fromEntries(Object.keys(DEFAULTS).map((field) => [field, 'default'])) as Record<
    ConfigField,
    string
  >;
  return { file, found, config: structuredClone(DEFAULTS), origins };
}

/** The value of a line's right-hand side, unquoted; undefined when the quoting is broken. */
function unquote(raw: string): string | undefined {
  const text = raw.trim();
  if (text.startsWith('"')) {
    const match = /^"((?:[^"\\]|\\.)*)"$/.exec(text);
    return match ? (match[1] ?? '').replace(/\\(["\\$`])/g, '$1') : undefined;
  }
  if (text.startsWith("'")) {
    const match = /^'([^']*)'$/.exec(text);
    return match ? (match[1] ?? '') : undefined;
  }
  // Bare: one word, as the shell would read it (a space would end the assignment there).
  return /[\s"'`$\\;&|<>()]/.test(text) ? undefined : text;
}

export function parseConfig(text: string, file: string): LoadedConfig {
  const loaded = defaultConfig(file, true);
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    const number = index + 1;
    const where = `${file}:${number}`;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(trimmed);
    if (!match)
      throw new InvalidConfiguration(`${where}: "${trimmed}" is not KEY=value (keys: ${Object.keys(KEYS).join(', ')})`);
    const key = match[1]!;
    if (!(key in KEYS))
      throw new InvalidConfiguration(`${where}: unknown key ${key}; known keys: ${Object.keys(KEYS).join(', ')}`);
    // Set twice: the last one wins, as for systemd's EnvironmentFile= and the shell, so the
    // units and multinic read the same value (multinic config shows which line).
    const spec = KEYS[key as ConfigKey];
    const value = unquote(match[2]!);
    if (value === undefined)
      throw new InvalidConfiguration(
        `${where}: ${key}: the value ${match[2]!.trim()} is not one shell word; quote it: ${key}="..."`,
      );
    const parsed = spec.parse(value);
    if (parsed === undefined)
      throw new InvalidConfiguration(`${where}: ${key}="${value}" is not allowed; allowed: ${spec.allowed}`);
    (loaded.config as unknown as Record<string, unknown>)[spec.field] = parsed;
    loaded.origins[spec.field] = where;
  }
  return loaded;
}
