/**
 * Reads the configuration: --config FILE, else $MULTINIC_CONFIG, else
 * /etc/multinic/multinic.conf. A default file that does not exist means the defaults; a
 * file named explicitly must exist. Synchronous: one small file, read while the options are.
 */
import { readFileSync } from 'node:fs';
import { InvalidConfiguration } from '../errors.js';
import { defaultConfig, parseConfig, type LoadedConfig } from './parse-config.js';

export const DEFAULT_CONFIG_FILE = '/etc/multinic/multinic.conf';

export function configFileFor(
  option: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  fallback = DEFAULT_CONFIG_FILE,
): { file: string; explicit: boolean } {
  if (option !== undefined) return { file: option, explicit: true };
  if (env.MULTINIC_CONFIG) return { file: env.MULTINIC_CONFIG, explicit: true };
  return { file: fallback, explicit: false };
}

export function readConfigSync(
  option: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  fallback = DEFAULT_CONFIG_FILE,
): LoadedConfig {
  const { file, explicit } = configFileFor(option, env, fallback);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return defaultConfig(file);
    throw new InvalidConfiguration(`${file}: cannot read the configuration (${code ?? (error as Error).message})`, {
      cause: error,
    });
  }
  return parseConfig(text, file);
}
