/** The configuration keys as the man page lists them: from the same table multinic.conf is checked against. */
import { DEFAULTS, formatValue, KEYS, type ConfigKey } from '../config/keys.js';
import type { ManConfigKey } from './man.js';

export function manConfigKeys(): ManConfigKey[] {
  return (Object.keys(KEYS) as ConfigKey[]).map((key) => ({
    key,
    value: formatValue(KEYS[key].field, DEFAULTS[KEYS[key].field]),
    allowed: KEYS[key].allowed,
  }));
}
