/**
 * Runs the benchmark: for each N, one guest namespace, then side by side and repeated:
 * multinic fresh, multinic rerun, the seed recipe (four ip processes per NIC), the floor
 * (node -e 0 + one ip -batch of exactly multinic's commands), and the rerun floor (node -e 0
 * + the reads a rerun makes, replayed). Then one untimed run each for peak memory, spawned
 * processes and metadata HTTP requests. Every timed line runs as `ip netns exec NS bash
 * SCRIPT`, so each pays the same entry cost.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  countPolicy,
  createGuest,
  destroyGuest,
  renderSeedScript,
  resetGuest,
  toNetworkData,
  type BenchGuest,
} from './guest.js';
import { summarise, type Summary } from './stats.js';
import { medianTimeline, timelineOf, type TimelineStep } from './timeline.js';

const RSS_RUNS = 3;

/**
 * The forms of multinic measured, each as its own fresh and rerun lines: dist/ (tsc output,
 * for library use and tests), and what is shipped: the bundle run plainly (the npm command,
 * and the wrapper's fallback), the bundle from its startup snapshot (`node --snapshot-blob`),
 * the wrapper `multinic install` writes (its snapshot check, then the snapshot), the single
 * executable with its snapshot (build/multinic, as shipped), and without one (A/B).
 */
export const FORMS = ['dist', 'bundle', 'snapshot', 'wrapper', 'sea', 'seaPlain'] as const;
export type Form = (typeof FORMS)[number];
/** The timed lines of each form, fresh and rerun; dist's keep their first names. */
export const FORM_LINES = {
  dist: ['fresh', 'rerun'],
  bundle: ['bundleFresh', 'bundleRerun'],
  snapshot: ['snapshotFresh', 'snapshotRerun'],
  wrapper: ['wrapperFresh', 'wrapperRerun'],
  sea: ['seaFresh', 'seaRerun'],
  seaPlain: ['seaPlainFresh', 'seaPlainRerun'],
} as const satisfies Record<Form, readonly [string, string]>;

export const TIMED_LINES = [
  'fresh',
  'rerun',
  'seed',
  'floor',
  'rerunFloor',
  'nodeStart',
  ...FORMS.slice(1).flatMap((form) => FORM_LINES[form]),
] as const;
export type TimedLine = 'seed' | 'floor' | 'rerunFloor' | 'nodeStart' | (typeof FORM_LINES)[Form][number];

export interface BenchPoint {
  n: number;
  /** Milliseconds, per line; the bundle lines only when a bundle was given. */
  timings: Partial<Record<TimedLine, Summary>>;
  /** The ip commands of a fresh apply (the floor's batch), and the sysctls it set besides. */
  ipCommands: number;
  sysctls: number;
  /** Kilobytes: the largest of RSS_RUNS fresh runs, and each run's. */
  peakRssKb: number;
  bundlePeakRssKb: number | null;
  peakRssSamplesKb: number[];
  bundlePeakRssSamplesKb: number[] | null;
  /** The same for every form measured (dist and bundle too). */
  peakRssSamplesKbByForm: Partial<Record<Form, number[]>>;
  /** Processes a fresh run spawned through src/kernel/run.ts (MULTINIC_RUN_LOG). */
  processesFresh: number;
  processesRerun: number;
  /** The same, counted by strace (every execve, whoever made it); null without strace. */
  processesFreshStrace: number | null;
  /** Requests the mock metadata service logged for one fresh run without --network-data. */
  httpRequests: number;
  /** What a rerun spawned, for the rerun floor. */
  rerunCommands: string[];
  /** Where a run's milliseconds go (timeline.ts); absent without strace. */
  timeline?: BenchTimeline;
}

/** Steps of a fresh run and a rerun of one form, medians of TIMELINE_RUNS straced runs. */
export interface BenchTimeline {
  form: Form;
  fresh: TimelineStep[];
  rerun: TimelineStep[];
  /** `node -e 0` under the same trace, start to exit. */
  nodeStartMs: number;
  runs: number;
}

export interface BenchResults {
  generatedAt: string;
  machine: {
    nproc: number;
    cpu: string;
    kernel: string;
    node: string;
    ip: string;
    multinic: string;
    bundle: string | null;
    forms?: Partial<Record<Form, string>>;
    source: string;
    loadBefore: number[];
    loadAfter: number[];
  };
  repetitions: number;
  counts: number[];
  points: BenchPoint[];
}

export interface BenchOptions {
  counts: number[];
  repetitions: number;
  /** dist/src/cli/main.js */
  cli: string;
  /** A single-file bundle of the CLI (scripts/build-bundle.mjs), benchmarked as its own lines. */
  bundle?: string;
  /**
   * The shipped forms besides (FORMS): each an argv prefix to which `apply …` is appended,
   * e.g. snapshot: [node, '--snapshot-blob', BLOB, '--'], sea: [build/multinic].
   */
  forms?: Partial<Record<Exclude<Form, 'dist' | 'bundle'>, string[]>>;
  /** dist/mocks/metadata/server.js */
  mockServer: string;
  workDir: string;
  log?: (line: string) => void;
}

interface LoggedRun {
  command: string;
  args: string[];
  input: string | null;
}

export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const say = options.log ?? (() => undefined);
  mkdirSync(options.workDir, { recursive: true });
  const points: BenchPoint[] = [];
  // Other work on the machine shows in every figure: the load averages are kept with them.
  const loadBefore = loadavg().map((l) => Math.round(l * 100) / 100);
  for (const n of options.counts) {
    const started = performance.now();
    const guest = createGuest(n);
    try {
      points.push(await benchOne(guest, options));
    } finally {
      destroyGuest(guest);
    }
    const point = points[points.length - 1]!;
    say(
      `N=${String(n).padStart(2)}: ${Object.entries(point.timings)
        .map(([line, s]) => `${line} ${s.median} ms`)
        .join(
          ', ',
        )}; ${Math.round(point.peakRssKb / 1024)} MB, ${point.processesFresh} processes, ${point.httpRequests} HTTP (${Math.round(performance.now() - started)} ms)`,
    );
  }
  return {
    generatedAt: new Date().toISOString(),
    machine: { ...readMachine(options), loadBefore, loadAfter: loadavg().map((l) => Math.round(l * 100) / 100) },
    repetitions: options.repetitions,
    counts: options.counts,
    points,
  };
}

/** The timed command: a fresh run or rerun of `prefix` (a form's argv) on a bench guest. */
export function applyArgv(prefix: string[], networkData: string, stateDir: string): string[] {
  return [...prefix, 'apply', '--network-data', networkData, '--persist', 'none', '--state-dir', stateDir];
}

/** The floor's `ip -batch` lines: the ip commands of a fresh run's --json, without `ip` and family. */
export function floorBatchLines(commands: string[]): string[] {
  return commands.filter((c) => c.startsWith('ip ')).map((c) => c.replace(/^ip (-[46] )?/, ''));
}

async function benchOne(guest: BenchGuest, options: BenchOptions): Promise<BenchPoint> {
  const n = guest.nics.length;
  const dir = join(options.workDir, `n${n}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const networkData = join(dir, 'network_data.json');
  writeFileSync(networkData, `${JSON.stringify(toNetworkData(guest.nics), null, 2)}\n`);
  const stateDir = join(dir, 'state');
  const node = process.execPath;
  const applyArgs = (cli: string | string[]) =>
    applyArgv(typeof cli === 'string' ? [node, cli] : cli, networkData, stateDir);
  const formArgv: Partial<Record<Form, string[]>> = {
    dist: [node, options.cli],
    ...(options.bundle ? { bundle: [node, options.bundle] } : {}),
    ...options.forms,
  };
  const forms = FORMS.filter((form) => formArgv[form]);
  const script = (name: string, lines: string[]) => {
    const path = join(dir, `${name}.sh`);
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  };
  const fresh = () => {
    resetGuest(guest);
    rmSync(stateDir, { recursive: true, force: true });
  };

  // The commands of a fresh apply, from its own --json: the floor's batch.
  fresh();
  const applied = JSON.parse(inGuest(guest, [...applyArgs(options.cli), '--json']).stdout) as { commands: string[] };
  const ipCommands = floorBatchLines(applied.commands);
  const sysctls = applied.commands.filter((c) => c.startsWith('sysctl ')).length;
  const floorBatch = join(dir, 'floor.batch');
  writeFileSync(floorBatch, `${ipCommands.join('\n')}\n`);
  assertApplied(guest, 'multinic apply --json');

  // Untimed runs: what a fresh run and a rerun spawned, and peak memory. Peak RSS moves by
  // several MB from run to run (when the garbage collector happens to run): the largest of
  // RSS_RUNS fresh runs is kept, as the target is an upper bound.
  const peakRss = (cli: string | string[], env: Record<string, string> = {}) => {
    const samples: number[] = [];
    for (let i = 0; i < RSS_RUNS; i++) {
      fresh();
      const rssFile = join(dir, `rss-${i}`);
      inGuest(guest, ['/usr/bin/time', '-f', '%M', '-o', rssFile, ...applyArgs(cli)], i === 0 ? env : {});
      samples.push(Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()));
    }
    return samples;
  };
  const freshLog = join(dir, 'fresh.runlog');
  const peakRssSamplesKb = peakRss(options.cli, { MULTINIC_RUN_LOG: freshLog });
  const rerunLog = join(dir, 'rerun.runlog');
  inGuest(guest, applyArgs(options.cli), { MULTINIC_RUN_LOG: rerunLog });
  const rerunRuns = readRunLog(rerunLog);
  const peakRssSamplesKbByForm: Partial<Record<Form, number[]>> = { dist: peakRssSamplesKb };
  for (const form of forms) if (form !== 'dist') peakRssSamplesKbByForm[form] = peakRss(formArgv[form]!);
  const bundlePeakRssSamplesKb = peakRssSamplesKbByForm.bundle ?? null;
  let processesFreshStrace: number | null = null;
  if (hasStrace()) {
    fresh();
    const trace = join(dir, 'fresh.strace');
    inGuest(guest, ['strace', '-f', '-qq', '-e', 'trace=execve', '-o', trace, ...applyArgs(options.cli)]);
    // Successful execve calls, less node's own.
    const execs = readFileSync(trace, 'utf8')
      .split('\n')
      .filter((line) => line.includes('execve(') && line.trim().endsWith('= 0'));
    processesFreshStrace = execs.length - 1;
  }
  const httpRequests = await countHttpRequests(guest, options, dir);
  // What a guest runs: the bundle from its snapshot when it was built, else the plainest form.
  const timelineForm = (['snapshot', 'bundle', 'dist'] as const).find((form) => formArgv[form]);
  const timeline =
    hasStrace() && timelineForm
      ? traceTimeline(guest, dir, timelineForm, applyArgs(formArgv[timelineForm]!), fresh)
      : undefined;

  // The timed lines.
  const formScripts = forms.map((form) => ({
    form,
    path: script(`form-${form}`, [shellJoin(applyArgs(formArgv[form]!))]),
  }));
  const seedScript = join(dir, 'seed.sh');
  writeFileSync(seedScript, renderSeedScript(guest.nics));
  const floorScript = script('floor', [shellJoin([node, '-e', '0']), `ip -batch ${floorBatch}`]);
  const rerunFloorScript = script('rerun-floor', [shellJoin([node, '-e', '0']), ...rerunRuns.map(toShell)]);
  const nodeScript = script('node', [shellJoin([node, '-e', '0'])]);
  const samples: Partial<Record<TimedLine, number[]>> = {};
  const time = (line: TimedLine, path: string) => {
    (samples[line] ??= []).push(timeInGuest(guest, path));
  };
  for (let rep = 0; rep < options.repetitions; rep++) {
    // The forms interleaved, in an order that turns with each repetition, so that load from
    // other work on the machine falls on each alike (A/B).
    for (const [i, { form, path }] of formScripts.entries()) {
      if (i === rep % formScripts.length) {
        time('rerunFloor', rerunFloorScript);
        time('nodeStart', nodeScript);
      }
      const [freshLine, rerunLine] = FORM_LINES[form];
      fresh();
      time(freshLine, path);
      assertApplied(guest, `multinic fresh (${form})`);
      time(rerunLine, path);
    }
    resetGuest(guest);
    time('seed', seedScript);
    resetGuest(guest);
    time('floor', floorScript);
    assertApplied(guest, 'the floor');
  }
  const timings: Partial<Record<TimedLine, Summary>> = {};
  for (const line of TIMED_LINES) if (samples[line]) timings[line] = summarise(samples[line]);
  return {
    n,
    timings,
    ipCommands: ipCommands.length,
    sysctls,
    peakRssKb: Math.max(...peakRssSamplesKb),
    bundlePeakRssKb: bundlePeakRssSamplesKb ? Math.max(...bundlePeakRssSamplesKb) : null,
    peakRssSamplesKb,
    bundlePeakRssSamplesKb,
    peakRssSamplesKbByForm,
    processesFresh: readRunLog(freshLog).length,
    processesRerun: rerunRuns.length,
    processesFreshStrace,
    httpRequests,
    ...(timeline ? { timeline } : {}),
    rerunCommands: rerunRuns.map(
      (r) =>
        `${r.command} ${r.args.join(' ')}${r.input === null ? '' : ` <<< ${JSON.stringify(r.input.length > 80 ? `${r.input.slice(0, 80)}…` : r.input)}`}`,
    ),
  };
}

const TIMELINE_RUNS = 5;

/** Fresh runs and reruns of one form under strace, each split into its steps (timeline.ts). */
function traceTimeline(guest: BenchGuest, dir: string, form: Form, argv: string[], fresh: () => void): BenchTimeline {
  const trace = join(dir, 'timeline.strace');
  const traced = (command: string[]) => {
    rmSync(trace, { force: true });
    inGuest(guest, [
      'strace',
      '-f',
      '-qq',
      '-tt',
      '--seccomp-bpf',
      '-e',
      'trace=execve,exit_group',
      '-o',
      trace,
      ...command,
    ]);
    return timelineOf(readFileSync(trace, 'utf8'));
  };
  const freshRuns: TimelineStep[][] = [];
  const reruns: TimelineStep[][] = [];
  const nodeStarts: number[] = [];
  for (let i = 0; i < TIMELINE_RUNS; i++) {
    fresh();
    freshRuns.push(traced(argv));
    reruns.push(traced(argv));
    nodeStarts.push(traced([process.execPath, '-e', '0']).reduce((sum, step) => sum + step.ms, 0));
  }
  const freshMedian = medianTimeline(freshRuns);
  const rerunMedian = medianTimeline(reruns);
  return {
    form,
    fresh: freshMedian.steps,
    rerun: rerunMedian.steps,
    nodeStartMs: summarise(nodeStarts).median,
    runs: Math.min(freshMedian.used, rerunMedian.used),
  };
}

/** One fresh run without --network-data against the mock metadata service in the guest. */
async function countHttpRequests(guest: BenchGuest, options: BenchOptions, dir: string): Promise<number> {
  resetGuest(guest);
  const stateDir = join(dir, 'state-http');
  rmSync(stateDir, { recursive: true, force: true });
  const config = join(dir, 'metadata.json');
  const log = join(dir, 'metadata.log');
  const ready = join(dir, 'metadata.ready');
  writeFileSync(config, JSON.stringify({ networkData: toNetworkData(guest.nics) }));
  rmSync(log, { force: true });
  rmSync(ready, { force: true });
  execFileSync('ip', ['-n', guest.ns, 'address', 'replace', '169.254.169.254/32', 'dev', 'lo']);
  const server = spawn(
    'ip',
    [
      'netns',
      'exec',
      guest.ns,
      process.execPath,
      options.mockServer,
      '--listen',
      '169.254.169.254:80',
      '--config',
      config,
      '--log',
      log,
      '--ready',
      ready,
    ],
    { stdio: 'ignore' },
  );
  try {
    for (let attempt = 0; !existsSync(ready); attempt++) {
      if (server.exitCode !== null || attempt > 200) throw new Error('bench: the mock metadata service did not start');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    inGuest(guest, [
      process.execPath,
      options.cli,
      'apply',
      '--source',
      'metadata',
      '--persist',
      'none',
      '--state-dir',
      stateDir,
      '--deadline',
      '30',
    ]);
    assertApplied(guest, 'multinic apply from the metadata service');
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '').length;
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => {
      if (server.exitCode !== null) resolve(null);
      else server.once('exit', resolve);
    });
    execFileSync('ip', ['-n', guest.ns, 'address', 'del', '169.254.169.254/32', 'dev', 'lo']);
  }
}

function inGuest(
  guest: BenchGuest,
  argv: string[],
  env: Record<string, string> = {},
): { stdout: string; stderr: string } {
  const result = spawnSync('ip', ['netns', 'exec', guest.ns, ...argv], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 << 20,
  });
  if (result.status !== 0)
    throw new Error(
      `bench: ${argv.join(' ')} in ${guest.ns} exited ${result.status ?? String(result.signal)}: ${result.stderr.trim()}`,
    );
  return { stdout: result.stdout, stderr: result.stderr };
}

/** Wall-clock milliseconds of `ip netns exec NS bash SCRIPT`; a failure stops the bench. */
function timeInGuest(guest: BenchGuest, path: string): number {
  const started = performance.now();
  const result = spawnSync('ip', ['netns', 'exec', guest.ns, 'bash', path], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const elapsed = performance.now() - started;
  if (result.status !== 0)
    throw new Error(`bench: ${path} exited ${result.status ?? String(result.signal)}: ${result.stderr.trim()}`);
  return elapsed;
}

/** Every timed apply must have left one rule and two routes per NIC, or its time means nothing. */
function assertApplied(guest: BenchGuest, what: string): void {
  const { rules, routes } = countPolicy(guest);
  const n = guest.nics.length;
  if (rules < n || routes < 2 * n)
    throw new Error(
      `bench: after ${what} the guest holds ${rules} rule(s) and ${routes} route(s), expected at least ${n} and ${2 * n}`,
    );
}

function readRunLog(path: string): LoggedRun[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LoggedRun);
}

function toShell(run: LoggedRun): string {
  const command = shellJoin([run.command, ...run.args]);
  if (run.input === null || run.input === '') return `${command} >/dev/null`;
  return `${command} >/dev/null <<'MULTINIC_BENCH_EOF'\n${run.input.replace(/\n$/, '')}\nMULTINIC_BENCH_EOF`;
}

function shellJoin(argv: string[]): string {
  return argv.map((arg) => (/^[\w./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}

let straceFound: boolean | undefined;
function hasStrace(): boolean {
  straceFound ??= spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
  return straceFound;
}

function readMachine(options: BenchOptions): Omit<BenchResults['machine'], 'loadBefore' | 'loadAfter'> {
  const ip = spawnSync('ip', ['-V'], { encoding: 'utf8' }).stdout.trim();
  // Which source was measured: the commit, and whether src/ differed from it.
  // Without git on the machine spawnSync fails and stdout is null (whatever its type says):
  // the commit is then unknown.
  const git = (args: string[]) => {
    const result = spawnSync('git', args, { encoding: 'utf8', cwd: dirname(options.cli) });
    return result.error ? '' : result.stdout.trim();
  };
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--', '../../../src', '../../../package.json']) !== '';
  return {
    source: commit ? `commit ${commit}${dirty ? ' with uncommitted changes in src/' : ''}` : 'unknown (no git)',
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    kernel: release(),
    node: process.version,
    ip,
    multinic: `node ${shortPath(options.cli)}`,
    bundle: options.bundle ? `node ${shortPath(options.bundle)}` : null,
    forms: Object.fromEntries(
      Object.entries(options.forms ?? {}).map(([form, argv]) => [form, argv.map(shortPath).join(' ')]),
    ),
  };
}

/** dist/… or build/… rather than where this checkout happens to live. */
function shortPath(path: string): string {
  return path.replace(/^.*\/(dist|build)\//, '$1/').replace(/^.*\/multinic-bench-\d+\//, '');
}
