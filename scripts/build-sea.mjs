#!/usr/bin/env node
/**
 * `npm run sea`: build/multinic, a single executable for images without Node: a copy of
 * the node binary that builds it, with build/multinic.cjs injected as its main script
 * (https://nodejs.org/api/single-executable-applications.html). Run `npm run bundle` first.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, chmod, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = join(root, 'build');
const blob = join(build, 'multinic.blob');
const config = join(build, 'sea-config.json');
const out = join(build, 'multinic');

await writeFile(config, JSON.stringify({ main: join(build, 'multinic.cjs'), output: blob, disableExperimentalSEAWarning: true }));
execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
await rm(out, { force: true });
await copyFile(process.execPath, out);
// The fuse is the sentinel Node looks for to know a blob was injected (same string in 18 and 20).
execFileSync(
  process.execPath,
  [join(root, 'node_modules', 'postject', 'dist', 'cli.js'), out, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'],
  { stdio: 'pipe' }, // postject warns about ELF note names it does not need; errors still throw
);
await chmod(out, 0o755);
await rm(blob, { force: true });
await rm(config, { force: true });
process.stdout.write(`build/multinic: ${(await stat(out)).size} bytes (node ${process.version} with the bundle injected)\n`);
