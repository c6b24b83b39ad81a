/**
 * What `multinic install` puts into an image tree, as data: every file with its path
 * (absolute inside the tree), content and mode. Pure: the program's bytes are passed in,
 * nothing is read or written here (src/install/write-install.ts does that).
 */
import { createHash } from 'node:crypto';
import { DEFAULT_CONFIG, MULTINIC_HOTPLUG_SERVICE, MULTINIC_SERVICE, RECONCILE_SERVICE, RECONCILE_TIMER, TIMER_GENERATOR, UDEV_RULE } from './assets.js';

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
export const UNIT_NAMES = ['multinic.service', 'multinic@.service', 'multinic.timer', 'multinic-reconcile.service'] as const;

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

/**
 * The wrapper for the bundle: the units call /usr/local/sbin/multinic either way, so an
 * image can switch between bundle and binary without touching them. `node` from PATH is
 * the distribution's (Debian 12 and Ubuntu 24.04 ship 18, which is enough).
 */
export function renderBundleWrapper(): string {
  return [
    '#!/bin/sh',
    '# multinic: runs the bundled CLI with the node on PATH. Written by `multinic install`.',
    `exec node ${PATHS.bundle} "$@"`,
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
