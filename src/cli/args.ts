/** The command line: commands, options and help, with util.parseArgs. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

export const COMMANDS = [
  'plan',
  'apply',
  'reconcile',
  'status',
  'explain',
  'verify',
  'config',
  'install',
  'uninstall',
] as const;
export type CommandName = (typeof COMMANDS)[number];

const sourceOptions = {
  'network-data': { type: 'string' },
  'metadata-url': { type: 'string' },
  timeout: { type: 'string' },
  deadline: { type: 'string' },
  source: { type: 'string' },
  offline: { type: 'boolean' },
} as const;

const common = {
  'state-dir': { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

const applyOptions = {
  ...sourceOptions,
  ...common,
  persist: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'no-sysctl': { type: 'boolean' },
  wait: { type: 'string' },
  root: { type: 'string' },
} as const;

/** Commands that take one positional argument, and what it is called in messages. */
export const POSITIONAL: Partial<Record<CommandName, string>> = { explain: 'ADDRESS' };

export const OPTIONS = {
  plan: { ...sourceOptions, ...common, 'no-sysctl': { type: 'boolean' } },
  apply: applyOptions,
  reconcile: applyOptions,
  status: { ...common, root: { type: 'string' } },
  explain: { ...common, root: { type: 'string' } },
  verify: { ...common },
  config: { config: common.config, json: common.json, debug: common.debug, help: common.help },
  install: {
    root: { type: 'string' },
    bundle: { type: 'string' },
    binary: { type: 'string' },
    json: common.json,
    debug: common.debug,
    help: common.help,
  },
  uninstall: { root: { type: 'string' }, json: common.json, debug: common.debug, help: common.help },
} satisfies Record<CommandName, ParseArgsConfig['options']>;

export const USAGE = `multinic: make every NIC of an OpenStack guest answer on its own addresses

Usage:
  multinic plan      [SOURCE] [--state-dir DIR] [--no-sysctl] [COMMON]
  multinic apply     [SOURCE] [--state-dir DIR] [--wait S] [--persist BACKEND] [--root DIR]
                     [--no-sysctl] [--dry-run] [COMMON]
  multinic reconcile [apply's options]
  multinic status    [--state-dir DIR] [--root DIR] [COMMON]
  multinic explain   ADDRESS [--state-dir DIR] [COMMON]
  multinic verify    [--state-dir DIR] [COMMON]
  multinic config    [--config FILE] [--json]
  multinic install   --root DIR [--bundle FILE | --binary FILE] [--json]
  multinic uninstall --root DIR [--json]
  multinic --version | --help

Commands:
  plan       show the ip commands that would make every NIC answer (changes nothing)
  apply      run them: one ip -batch with only what differs, then verify; undone on failure
  reconcile  apply from the metadata service, silent unless something changed; a source
             that does not answer keeps what is there (exit 0). multinic.timer runs it
  status     one line per managed address: interface, MAC, table, rule, where replies
             leave (ip route get to a far address / to the gateway), who persists it,
             and ok, drift or missing. Exit 0 only when every address is ok, else 1
  explain    why ADDRESS does or does not answer, in words, with the commands behind
             each fact. Exit 0 when it answers, else 1
  verify     check that every managed address routes through its own NIC and table
  config     the effective configuration and where each value comes from
  install    put the program, the systemd units and timer, the udev rule and
             /etc/multinic/multinic.conf into the tree DIR (an image being built, or /);
             by default the running bundle or single executable; again: only what changed
  uninstall  take out exactly what install put into DIR (an edited multinic.conf stays)

SOURCE (where network_data.json comes from):
  --source auto|metadata|configdrive|file
                       auto (default): --network-data if given, else the config drive (a
                       filesystem labelled config-2) if there is one, else the metadata service
  --network-data FILE  read network_data.json from FILE
  --metadata-url URL   metadata service base URL (default http://169.254.169.254)
  --offline            use the last good document kept in the state dir; ask no network

Options:
  --timeout SECONDS    wait this long for one answer of the metadata service (default 10)
  --deadline SECONDS   retry the metadata service until this long has passed (default 120;
                       reconcile: 20)
  --state-dir DIR      where table numbers are kept (default /var/lib/multinic)
  --persist BACKEND    also write the routing into the configuration of the network manager,
                       so it survives reboots and network restarts: auto (default: detect it),
                       netplan, networkd, ifupdown, ifcfg, networkmanager, or none
  --root DIR           write that configuration under DIR instead of / (an image tree);
                       with status: look for it there
  --wait SECONDS       with apply: wait up to this long for NICs in network_data.json that are
                       not on the guest yet, and for new NICs on the guest that it does not
                       list yet (after interface-attach); default 0, no wait
  --dry-run            with apply: print what would change, change nothing
  --no-sysctl          leave arp_ignore, arp_announce and rp_filter of the NICs alone
                       (by default set to 1, 2, 2 on managed NICs against ARP flux)

COMMON:
  --config FILE        the configuration (default /etc/multinic/multinic.conf, or
                       $MULTINIC_CONFIG): NICs to leave alone, the primary NIC, the table
                       range, the ARP settings, the timer's interval (multinic config)
  --json               machine-readable result on stdout (messages stay on stderr)
  -v, --verbose        also every command run, and the time since the start on each line
  -q, --quiet          only warnings and errors on stderr
  --debug              on an internal error, also print where it happened (a stack trace)
  Under systemd (JOURNAL_STREAM set) each line starts with its syslog priority:
  <3> error, <4> warning, <6> info, <7> debug (journalctl -p warning -u multinic).

Exit codes: 0 done, 1 status/explain: not every address ok, 64 usage, 65 invalid
network_data.json, 69 metadata unavailable, 70 internal error or the kernel refused,
74 state dir unusable (full, read-only), 75 temporary failure (try again: lock held, a
bound hit), 78 invalid configuration (file and line named). A run that fails leaves the
guest as it found it.

Examples:
  multinic plan --network-data /run/network_data.json
  multinic apply --offline            # at later boots, from the cached document
  multinic apply                      # at first boot, from http://169.254.169.254
  multinic apply --dry-run --json | jq .commands
  multinic status || echo some address does not answer on its own NIC
  multinic explain 203.0.113.22
  multinic verify && echo every address routes through its own NIC
`;

export interface ParsedCommand {
  command: CommandName | 'help' | 'version';
  values: Record<string, string | boolean | undefined>;
  /** The positional argument of commands that take one (explain ADDRESS). */
  argument?: string;
}

export function parseCommandLine(argv: string[]): ParsedCommand {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help')
    return { command: 'help', values: {} };
  if (first === '--version' || first === '-V' || first === 'version') return { command: 'version', values: {} };
  if (!(COMMANDS as readonly string[]).includes(first)) {
    throw new UsageError(`unknown command "${first}"; try: ${COMMANDS.join(', ')} (multinic --help)`);
  }
  const command = first as CommandName;
  try {
    const positional = POSITIONAL[command];
    const { values, positionals } = parseArgs({
      args: rest,
      options: OPTIONS[command],
      strict: true,
      allowPositionals: positional !== undefined,
    });
    if (values.help) return { command: 'help', values: {} };
    if (positional !== undefined && positionals.length !== 1) throw new Error(`give exactly one ${positional}`);
    return {
      command,
      values: values as ParsedCommand['values'],
      ...(positionals[0] !== undefined ? { argument: positionals[0] } : {}),
    };
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`, { cause: error });
  }
}

export function stringOption(values: ParsedCommand['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function secondsOption(values: ParsedCommand['values'], name: string): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0) throw new UsageError(`--${name}: "${text}" is not a number of seconds`);
  return seconds;
}
