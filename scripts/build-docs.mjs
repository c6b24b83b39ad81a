#!/usr/bin/env node
/**
 * `npm run docs`: man/multinic.8 from `multinic --help` and completion/multinic from the
 * command line's options (src/docs/, compiled by tsc into dist/). Run after changing
 * USAGE or OPTIONS in src/cli/args.ts; test/unit/docs.test.ts fails while they differ.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { USAGE, COMMANDS, OPTIONS } = await import('../dist/src/cli/args.js');
const { VERSION } = await import('../dist/src/version.js');
const { renderManPage, MAN_DATE } = await import('../dist/src/docs/man.js');
const { renderBashCompletion } = await import('../dist/src/docs/completion.js');
const { manConfigKeys } = await import('../dist/src/docs/config-keys.js');
await mkdir(join(root, 'man'), { recursive: true });
await mkdir(join(root, 'completion'), { recursive: true });
await writeFile(join(root, 'man', 'multinic.8'), renderManPage(USAGE, VERSION, MAN_DATE, manConfigKeys()));
await writeFile(join(root, 'completion', 'multinic'), renderBashCompletion(COMMANDS, OPTIONS));
process.stdout.write('man/multinic.8, completion/multinic\n');
