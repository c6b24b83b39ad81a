/**
 * What `multinic install` puts into an image tree, as data: every file with its path
 * (absolute inside the tree), content and mode. Pure: the program's bytes are passed in,
 * nothing is read or written here (src/install/write-install.ts does that).
 */
import { createHash } from 'node:crypto';
import {
  DEFAULT_CONFIG,
  MULTINIC_HOTPLUG_SERVICE,
  MULTINIC_SERVICE,
  RECONCILE_SERVICE,
  RECONCILE_TIMER,
  TIMER_GENERATOR,
  UDEV_RULE,
} from './assets.js';

export type ProgramKind = 'bundle' | 'binary';

/** What a file is to install/uninstall: a config file the admin may edit is kept when edited. */
export type InstalledKind = 'program' | 'unit' | 'udev' | 'config';

export interface InstalledFile {
  path: string;
  content: Uint8Array;
  mode: number;
  kind: InstalledKind;
}

export const PATHS = {
  sbin: '/usr/local/sbin/multinic',
  libDir: '/usr/local/lib/multinic',
  bundle: '/usr/local/lib/multinic/multinic.cjs',
  /** The bundle's startup snapshot and its key, made by the tree's node (snapshot.ts). */
  snapshot: '/usr/local/lib/multinic/multinic.blob',
  snapshotKey: '/usr/local/lib/multinic/multinic.blob.key',
  manifest: '/usr/local/lib/multinic/install-manifest.json',
  service: '/etc/systemd/system/multinic.service',
  hotplugService: '/etc/systemd/system/multinic@.service',
  udevRule: '/etc/udev/rules.d/99-multinic.rules',
  timer: '/etc/systemd/system/multinic.timer',
  reconcileService: '/etc/systemd/system/multinic-reconcile.service',
  generator: '/usr/local/lib/systemd/system-generators/multinic-generator',
  config: '/etc/multinic/multinic.conf',
} as const;

/** The unit files, for finding the links `systemctl enable` made to them. */
export const UNIT_NAMES = [
  'multinic.service',
  'multinic@.service',
  'multinic.timer',
  'multinic-reconcile.service',
] as const;

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

/** The PATH systemd gives services: the node the units' runs will find. */
export const SERVICE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * What identifies "the same node and blob": the wrapper runs this very `stat` and compares its
 * output with the key file. One line, no trailing blank (the shell's `read` would trim it).
 */
export const snapshotStat = (node: string, blob: string = PATHS.snapshot): string =>
  `stat -L --printf '%s %Y;' "${node}" ${blob}`;

/** Where the bundle, its snapshot and the key are (elsewhere only for tests and the benchmark). */
export type BundlePaths = Record<'bundle' | 'snapshot' | 'snapshotKey', string>;

/** The shell script that makes the blob and its key, run inside the tree. */
export function renderSnapshotScript(paths: BundlePaths = PATHS): string {
  return [
    'node=$(command -v node) || { echo "no node on PATH ($PATH)" >&2; exit 3; }',
    // The key goes first and comes last: a blob without its key is never used.
    `rm -f ${paths.snapshotKey}`,
    `node --snapshot-blob ${paths.snapshot}.tmp --build-snapshot ${paths.bundle} || exit 4`,
    `mv -f ${paths.snapshot}.tmp ${paths.snapshot}`,
    // The key ends its line, or the wrapper's `read` would fail at the end of the file.
    `{ ${snapshotStat('$node', paths.snapshot)} && echo; } > ${paths.snapshotKey}.tmp`,
    `mv -f ${paths.snapshotKey}.tmp ${paths.snapshotKey}`,
  ].join(' && ');
}

/**
 * The wrapper for the bundle: the units call /usr/local/sbin/multinic either way, so an
 * image can switch between bundle and binary without touching them. `node` from PATH is
 * the distribution's (Debian 12 and Ubuntu 24.04 ship 18, which is enough).
 *
 * It starts from the startup snapshot (snapshot.ts) only while `stat` of that node and the
 * blob still prints what it printed when the snapshot was made: a snapshot from another node
 * build aborts node before the run starts. `--` ends node's own options (`--version`). The
 * check costs one `stat` process; the snapshot saves loading and compiling the bundle.
 * The same node can still refuse the blob: V8 checks its flags, which follow the machine
 * (a snapshot made with two CPUs was refused under QEMU with one, in the VM suite). Node
 * then exits 14 before any of multinic has run (multinic never exits 14), so the wrapper
 * runs the bundle plainly instead.
 */
export function renderBundleWrapper(paths: BundlePaths = PATHS): string {
  return [
    '#!/bin/sh',
    "# multinic: runs the bundled CLI with the node on PATH. Written by `multinic install` (or the npm package's postinstall).",
    `if node=$(command -v node) && { read -r made < ${paths.snapshotKey}; } 2>/dev/null && [ "$(${snapshotStat('$node', paths.snapshot)} 2>/dev/null)" = "$made" ]; then`,
    `  node --snapshot-blob ${paths.snapshot} -- "$@"`,
    '  status=$?',
    '  [ "$status" -eq 14 ] || exit "$status"',
    'fi',
    `exec node ${paths.bundle} "$@"`,
    '',
  ].join('\n');
}

export function renderInstall(kind: ProgramKind, program: Uint8Array): InstalledFile[] {
  const programFiles: InstalledFile[] =
    kind === 'binary'
      ? [{ path: PATHS.sbin, content: program, mode: 0o755, kind: 'program' }]
      : [
          { path: PATHS.bundle, content: program, mode: 0o644, kind: 'program' },
          { path: PATHS.sbin, content: text(renderBundleWrapper()), mode: 0o755, kind: 'program' },
        ];
  return [
    ...programFiles,
    { path: PATHS.service, content: text(MULTINIC_SERVICE), mode: 0o644, kind: 'unit' },
    { path: PATHS.hotplugService, content: text(MULTINIC_HOTPLUG_SERVICE), mode: 0o644, kind: 'unit' },
    { path: PATHS.udevRule, content: text(UDEV_RULE), mode: 0o644, kind: 'udev' },
    { path: PATHS.timer, content: text(RECONCILE_TIMER), mode: 0o644, kind: 'unit' },
    { path: PATHS.reconcileService, content: text(RECONCILE_SERVICE), mode: 0o644, kind: 'unit' },
    { path: PATHS.generator, content: text(TIMER_GENERATOR), mode: 0o755, kind: 'unit' },
    { path: PATHS.config, content: text(DEFAULT_CONFIG), mode: 0o644, kind: 'config' },
  ];
}

export function sha256(content: Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}
