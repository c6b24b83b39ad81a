#!/usr/bin/env node
/**
 * `npm run sea`: build/multinic, a single executable for images without Node: a copy of
 * the node binary that builds it, with build/multinic.cjs injected as its main script
 * (https://nodejs.org/api/single-executable-applications.html). Run `npm run bundle` first.
 *
 * Built plain: the bundle's source, compiled at start. Not with `useSnapshot`, although that
 * starts faster: V8 checks a snapshot against its flags, which follow the machine and
 * NODE_OPTIONS, and a single executable whose snapshot is refused aborts (exit 14) before
 * any JavaScript runs, with no way to fall back. The VM suite saw exactly that: built on a
 * two-core host, refused under QEMU with one vCPU, multinic.service failed. Not with
 * `useCodeCache` either: a refused cache is only compiled again, but Node then prints
 * "Code cache data rejected" on every run, which an operator reads as a fault.
 *
 *   node scripts/build-sea.mjs [--form plain|snapshot|code-cache] [--out FILE]
 *
 * The other forms are for the benchmark's A/B (bench/main.ts): `snapshot` injects the V8
 * heap the bundle left at build time (useSnapshot), `code-cache` V8's compiled code.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, chmod, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { form: { type: 'string', default: 'plain' }, out: { type: 'string' } } });
const form = values.form;
if (!['snapshot', 'code-cache', 'plain'].includes(form))
  throw new Error(`build-sea: --form ${form}: give snapshot, code-cache or plain`);

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = join(root, 'build');
const out = values.out ? resolve(values.out) : join(build, 'multinic');
const blob = `${out}.sea-blob`;
const config = `${out}.sea-config.json`;

await writeFile(
  config,
  JSON.stringify({
    main: join(build, 'multinic.cjs'),
    output: blob,
    disableExperimentalSEAWarning: true,
    useSnapshot: form === 'snapshot',
    useCodeCache: form === 'code-cache',
  }),
);
// Building the snapshot runs the bundle's top level, which warns that node:child_process is
// "not yet fully verified" in snapshots: it is only required then, and spawns nothing until
// main runs (the e2e suites run every command from the snapshot).
execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
await rm(out, { force: true });
await copyFile(process.execPath, out);
// The fuse is the sentinel Node looks for to know a blob was injected (same string in 18 and 20).
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules', 'postject', 'dist', 'cli.js'),
    out,
    'NODE_SEA_BLOB',
    blob,
    '--sentinel-fuse',
    'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  ],
  { stdio: 'pipe' }, // postject warns about ELF note names it does not need; errors still throw
);
await chmod(out, 0o755);
await rm(blob, { force: true });
await rm(config, { force: true });
process.stdout.write(
  `${out}: ${(await stat(out)).size} bytes (node ${process.version} with the bundle injected, ${form})\n`,
);
