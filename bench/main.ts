/**
 * `npm run bench`: multinic against the seed recipe and the floor, in namespaces, as root.
 *
 *   node dist/bench/main.js [--counts 1,2,4,8,16,32,64] [--repetitions 5] [--out DIR]
 *                           [--markdown FILE] [--bundle FILE|none] [--sea none]
 *
 * With a bundle, the shipped forms are measured besides (run.ts, FORMS): the bundle plainly,
 * from a startup snapshot made here for this node, through the wrapper `multinic install`
 * writes, and the single executable (scripts/build-sea.mjs) with and without its snapshot.
 *
 * Writes DIR/results.json and DIR/plot.svg (DIR defaults to bench/) and BENCHMARKS.md at the
 * repository root, with bench/NOTES.md (the hand-written analysis) appended.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderBundleWrapper, renderSnapshotScript, type BundlePaths } from '../src/install/render-install.js';
import { renderMarkdown, renderSvg } from './render.js';
import { runBench, type BenchOptions, type BenchResults } from './run.js';
import { renderVmTable, type VmResults } from './vm-table.js';

/** The repository root: dist/bench/main.js → ../.. ; bench/main.ts (vitest) → .. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('bench: no package.json above this file');
    dir = up;
  }
  return dir;
}

export interface BenchFiles {
  resultsFile: string;
  svgFile: string;
  markdownFile: string;
}

export function writeBenchFiles(results: BenchResults, files: BenchFiles, notes: string[] = []): void {
  for (const file of [files.resultsFile, files.svgFile, files.markdownFile])
    mkdirSync(dirname(file), { recursive: true });
  writeFileSync(files.resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(files.svgFile, renderSvg(results));
  const svgName = relative(dirname(files.markdownFile), files.svgFile);
  writeFileSync(files.markdownFile, renderMarkdown(results, { svgName, notes }));
}

export interface BenchCommandOptions {
  counts?: number[];
  repetitions?: number;
  outDir?: string;
  markdownFile?: string;
  /** A bundle to benchmark besides dist/; null: none; undefined: build/multinic.cjs if present. */
  bundle?: string | null;
  /** false: no single executable lines (they take a minute to build). */
  sea?: boolean;
  log?: (line: string) => void;
}

export async function benchCommand(
  options: BenchCommandOptions = {},
): Promise<{ results: BenchResults; files: BenchFiles }> {
  const root = repoRoot();
  const cli = join(root, 'dist', 'src', 'cli', 'main.js');
  const mockServer = join(root, 'dist', 'mocks', 'metadata', 'server.js');
  for (const file of [cli, mockServer])
    if (!existsSync(file)) throw new Error(`bench: ${file} is missing; run npm run build first`);
  const bundle = options.bundle === null ? undefined : (options.bundle ?? buildBundle(root, options.log));
  const outDir = options.outDir ?? join(root, 'bench');
  const workDir = join(tmpdir(), `multinic-bench-${process.pid}`);
  try {
    const forms = bundle ? buildForms(root, bundle, join(workDir, 'forms'), options.sea !== false, options.log) : {};
    const results = await runBench({
      counts: options.counts ?? [1, 2, 4, 8, 16, 32, 64],
      repetitions: options.repetitions ?? 5,
      cli,
      ...(bundle ? { bundle, forms } : {}),
      mockServer,
      workDir,
      ...(options.log ? { log: options.log } : {}),
    });
    const files: BenchFiles = {
      resultsFile: join(outDir, 'results.json'),
      svgFile: join(outDir, 'plot.svg'),
      markdownFile: options.markdownFile ?? join(root, 'BENCHMARKS.md'),
    };
    const notesFile = join(root, 'bench', 'NOTES.md');
    // The in-guest table (issue 13) comes from the VM suite's last recorded run, if any.
    const vmFile = join(root, 'bench', 'vm-results.json');
    const vmTable = existsSync(vmFile)
      ? [renderVmTable(JSON.parse(readFileSync(vmFile, 'utf8')) as VmResults).trimEnd()]
      : [];
    const notes = [...vmTable, ...(existsSync(notesFile) ? [readFileSync(notesFile, 'utf8').trimEnd()] : [])];
    writeBenchFiles(results, files, notes);
    return { results, files };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * The single-file bundle as shipped (scripts/build-bundle.mjs → build/multinic.cjs), rebuilt
 * from the current source so its lines never measure a stale build; none if the script is absent.
 */
function buildBundle(root: string, log?: (line: string) => void): string | undefined {
  const script = join(root, 'scripts', 'build-bundle.mjs');
  const out = join(root, 'build', 'multinic.cjs');
  if (!existsSync(script)) return undefined;
  execFileSync(process.execPath, [script], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(out)) throw new Error(`bench: ${script} did not write ${out}`);
  log?.(`bundle rebuilt: ${out}`);
  return out;
}

/**
 * The shipped forms beyond the plain bundle, built from it here: a snapshot blob for this node,
 * the installed wrapper with its blob and key (as `multinic install` makes them, in `dir`),
 * and the single executable with and without its snapshot.
 */
function buildForms(
  root: string,
  bundle: string,
  dir: string,
  sea: boolean,
  log?: (line: string) => void,
): NonNullable<BenchOptions['forms']> {
  const node = process.execPath;
  mkdirSync(dir, { recursive: true });
  const quiet = { cwd: root, stdio: ['ignore', 'ignore', 'ignore'] as ('ignore' | 'inherit')[] };
  const blob = join(dir, 'multinic.blob');
  execFileSync(node, ['--snapshot-blob', blob, '--build-snapshot', bundle], quiet);
  const forms: NonNullable<BenchOptions['forms']> = { snapshot: [node, '--snapshot-blob', blob, '--'] };
  // The wrapper finds node on PATH: measured only when that is this node.
  const onPath = execFileSync('sh', ['-c', 'command -v node'], { encoding: 'utf8' }).trim();
  if (onPath && realpathSync(onPath) === realpathSync(node)) {
    const paths: BundlePaths = {
      bundle: join(dir, 'lib', 'multinic.cjs'),
      snapshot: join(dir, 'lib', 'multinic.blob'),
      snapshotKey: join(dir, 'lib', 'multinic.blob.key'),
    };
    mkdirSync(dirname(paths.bundle), { recursive: true });
    copyFileSync(bundle, paths.bundle);
    execFileSync('sh', ['-c', renderSnapshotScript(paths)], quiet);
    const wrapper = join(dir, 'multinic-wrapper');
    writeFileSync(wrapper, renderBundleWrapper(paths), { mode: 0o755 });
    forms.wrapper = [wrapper];
  } else log?.(`no wrapper line: node on PATH (${onPath || 'none'}) is not ${node}`);
  if (sea) {
    const script = join(root, 'scripts', 'build-sea.mjs');
    execFileSync(node, [script], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    // The shipped executable is plain (scripts/build-sea.mjs says why); the A/B line is the
    // same with a startup snapshot, which is faster but aborts wherever V8 refuses it.
    execFileSync(node, [script, '--form', 'snapshot', '--out', join(dir, 'multinic-plain')], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    forms.sea = [join(root, 'build', 'multinic')];
    forms.seaPlain = [join(dir, 'multinic-plain')];
    log?.('single executables built: build/multinic (plain, shipped) and one with a startup snapshot (A/B)');
  }
  return forms;
}

async function cliMain(): Promise<void> {
  const { values } = parseArgs({
    options: {
      counts: { type: 'string' },
      repetitions: { type: 'string' },
      out: { type: 'string' },
      markdown: { type: 'string' },
      bundle: { type: 'string' },
      sea: { type: 'string' },
    },
  });
  if (process.getuid?.() !== 0) throw new Error('the benchmark needs root (network namespaces)');
  const started = Date.now();
  const { files } = await benchCommand({
    ...(values.counts ? { counts: values.counts.split(',').map(Number) } : {}),
    ...(values.repetitions ? { repetitions: Number(values.repetitions) } : {}),
    ...(values.out ? { outDir: resolve(values.out) } : {}),
    ...(values.markdown ? { markdownFile: resolve(values.markdown) } : {}),
    ...(values.bundle ? { bundle: values.bundle === 'none' ? null : resolve(values.bundle) } : {}),
    ...(values.sea === 'none' ? { sea: false } : {}),
    log: (line) => process.stderr.write(`bench: ${line}\n`),
  });
  process.stderr.write(
    `bench: wrote ${Object.values(files).join(', ')} in ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  cliMain().catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
