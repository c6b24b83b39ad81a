#!/usr/bin/env node
/**
 * Regenerates src/install/assets.ts from the readable originals in cloud-init/ (the units,
 * the udev rule, the default configuration). Run after editing one of them;
 * test/unit/install.test.ts fails while the two differ.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEEP_COMMENTS, stripComments } from './strip-comments.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ASSETS = {
  MULTINIC_SERVICE: 'multinic.service',
  MULTINIC_HOTPLUG_SERVICE: 'multinic@.service',
  UDEV_RULE: '99-multinic.rules',
  DEFAULT_CONFIG: 'multinic.conf',
  RECONCILE_TIMER: 'multinic.timer',
  RECONCILE_SERVICE: 'multinic-reconcile.service',
  TIMER_GENERATOR: 'multinic-generator',
};
const lines = [
  '/**',
  ' * The files `multinic install` puts into an image, carried inside the program itself so that',
  ' * the bundle and the single executable can install them with nothing else at hand. They are',
  ' * copies of cloud-init/ (the readable originals; comments kept only in multinic.conf), written by',
  ' * scripts/sync-assets.mjs; test/unit/install.test.ts fails when the two drift apart.',
  ' */',
  '',
];
for (const [name, file] of Object.entries(ASSETS)) {
  const original = await readFile(join(root, 'cloud-init', file), 'utf8');
  const text = KEEP_COMMENTS.has(file) ? original : stripComments(original, file);
  lines.push(`/** cloud-init/${file} */`, `export const ${name} = ${JSON.stringify(text)};`, '');
}
await writeFile(join(root, 'src', 'install', 'assets.ts'), lines.join('\n'));
