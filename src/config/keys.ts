/**
 * The settings of /etc/multinic/multinic.conf: each key, its default, what it allows and
 * how its text becomes a value. Pure. The file is also a systemd EnvironmentFile (the
 * units read MULTINIC_ARGS and the waits from it), so every value is one KEY=value line.
 */
import { SLOT_COUNT, TABLE_BASE, type TableRange } from '../plan/allocate.js';
export type { TableRange };

export interface Config {
  /** Extra options for every apply the units run. */
  args: string;
  bootWait: number;
  hotplugWait: number;
  hotplugSource: 'metadata' | 'auto';
  /** Glob patterns over interface names and MACs: NICs multinic leaves alone. */
  exclude: string[];
  /** Whether the NIC that holds the main table's default route is managed too. */
  managePrimary: boolean;
  /** Table numbers (and, equal to them, rule priorities) handed out to new NICs. */
  tables: TableRange;
  /** Whether arp_ignore, arp_announce and rp_filter are set on managed NICs. */
  sysctl: boolean;
  arpIgnore: string;
  arpAnnounce: string;
  rpFilter: string;
  /** How often multinic.timer reruns apply, as a systemd time span. */
  reconcileInterval: string;
}

export type ConfigField = keyof Config;

/** The highest table whose rule priority (10000 + slot) stays below the kernel's `lookup main` at 32766. */
// Rule priorities are the table's slot in three tiers (plan/local-paths.ts): 10001-12000 keeps
// them all below the kernel's `lookup main` at 32766, and is what multinic counts as its own.
export const HIGHEST_TABLE = 12000;
const LOWEST_TABLE = TABLE_BASE + 1;

interface KeySpec<F extends ConfigField> {
  field: F;
  /** What the value may be, in words for the refusal message. */
  allowed: string;
  /** undefined when the text is not allowed. */
  parse: (text: string) => Config[F] | undefined;
}

const wholeNumber = (min: number, max: number) => (text: string) => {
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
};
const digitIn = (min: number, max: number) => (text: string) =>
  /^\d$/.test(text) && Number(text) >= min && Number(text) <= max ? text : undefined;
const yesNo = (text: string) =>
  /^(yes|true|1|on)$/i.test(text) ? true : /^(no|false|0|off)$/i.test(text) ? false : undefined;

/** A systemd time span ("5min", "90s", "1h 30min"), in seconds; undefined if not one. */
export function timeSpanSeconds(text: string): number | undefined {
  // A bare number is seconds, as in systemd.time(7).
  const units: Record<string, number> = {
    '': 1,
    s: 1,
    sec: 1,
    second: 1,
    seconds: 1,
    m: 60,
    min: 60,
    minute: 60,
    minutes: 60,
    h: 3600,
    hr: 3600,
    hour: 3600,
    hours: 3600,
    d: 86400,
    day: 86400,
    days: 86400,
  };
  const parts = text.trim().split(/\s+/);
  let total = 0;
  for (const part of parts) {
    const match = /^(\d+)([a-z]*)$/.exec(part);
    const unit = match ? units[match[2] ?? ''] : undefined;
    if (!match || unit === undefined) return undefined;
    total += Number(match[1]) * unit;
  }
  return parts.length > 0 ? total : undefined;
}

/** Reruns more often than this would only spend CPU: the timer is a safety net, not a poller. */
export const MIN_RECONCILE_SECONDS = 60;

export const KEYS = {
  MULTINIC_ARGS: {
    field: 'args',
    allowed: 'options of multinic apply (multinic --help), e.g. "--persist auto"',
    parse: (text) => text,
  },
  MULTINIC_BOOT_WAIT: {
    field: 'bootWait',
    allowed: 'a whole number of seconds, 0 to 3600',
    parse: wholeNumber(0, 3600),
  },
  MULTINIC_HOTPLUG_WAIT: {
    field: 'hotplugWait',
    allowed: 'a whole number of seconds, 0 to 3600',
    parse: wholeNumber(0, 3600),
  },
  MULTINIC_HOTPLUG_SOURCE: {
    field: 'hotplugSource',
    allowed:
      'metadata (default: only the metadata service lists a port attached after boot) or auto (no metadata service: the config drive)',
    parse: (text) => (text === 'metadata' || text === 'auto' ? text : undefined),
  },
  MULTINIC_EXCLUDE: {
    field: 'exclude',
    allowed:
      'interface names or MACs, glob patterns (* ? [...]) separated by spaces, e.g. "ens7 docker* fa:16:3e:00:*"',
    parse: (text) => {
      const patterns = text.split(/\s+/).filter(Boolean);
      return patterns.every((pattern) => /^[A-Za-z0-9_.:@*?![\]-]+$/.test(pattern)) ? patterns : undefined;
    },
  },
  MULTINIC_MANAGE_PRIMARY: {
    field: 'managePrimary',
    allowed: "yes or no (no: leave the NIC holding the main table's default route to the main table)",
    parse: yesNo,
  },
  MULTINIC_TABLES: {
    field: 'tables',
    allowed: `a range FIRST-LAST of routing table numbers within ${LOWEST_TABLE}-${HIGHEST_TABLE} (rule priorities: the table, +2000, +4000), e.g. "${LOWEST_TABLE}-${TABLE_BASE + SLOT_COUNT}"`,
    parse: (text) => {
      const match = /^(\d+)-(\d+)$/.exec(text);
      if (!match) return undefined;
      const [first, last] = [Number(match[1]), Number(match[2])];
      return first >= LOWEST_TABLE && last <= HIGHEST_TABLE && first <= last ? { first, last } : undefined;
    },
  },
  MULTINIC_SYSCTL: {
    field: 'sysctl',
    allowed: 'yes or no (no: leave arp_ignore, arp_announce and rp_filter alone, as --no-sysctl)',
    parse: yesNo,
  },
  MULTINIC_ARP_IGNORE: {
    field: 'arpIgnore',
    allowed: 'an arp_ignore value, 0 to 8 (ip-sysctl.rst)',
    parse: digitIn(0, 8),
  },
  MULTINIC_ARP_ANNOUNCE: { field: 'arpAnnounce', allowed: 'an arp_announce value, 0 to 2', parse: digitIn(0, 2) },
  MULTINIC_RP_FILTER: {
    field: 'rpFilter',
    allowed: 'an rp_filter value, 0 (off), 1 (strict) or 2 (loose)',
    parse: digitIn(0, 2),
  },
  MULTINIC_RECONCILE_INTERVAL: {
    field: 'reconcileInterval',
    allowed: `a systemd time span of at least ${MIN_RECONCILE_SECONDS} s, e.g. "5min" or "1h"`,
    parse: (text) => {
      const seconds = timeSpanSeconds(text);
      return seconds !== undefined && seconds >= MIN_RECONCILE_SECONDS ? text.trim() : undefined;
    },
  },
} satisfies Record<string, KeySpec<ConfigField>>;

export type ConfigKey = keyof typeof KEYS;

export const DEFAULTS: Config = {
  args: '',
  bootWait: 30,
  hotplugWait: 60,
  hotplugSource: 'metadata',
  exclude: [],
  managePrimary: true,
  tables: { first: LOWEST_TABLE, last: TABLE_BASE + SLOT_COUNT },
  sysctl: true,
  arpIgnore: '1',
  arpAnnounce: '2',
  rpFilter: '2',
  reconcileInterval: '5min',
};

/** A value as the file would spell it. */
export function formatValue(field: ConfigField, value: Config[ConfigField]): string {
  if (Array.isArray(value)) return value.join(' ');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  // Only `tables` is an object.
  if (typeof value === 'object') return `${value.first}-${value.last}`;
  return String(value);
}
