/**
 * An A/B of two or more builds of multinic on one bench guest: their fresh runs and reruns
 * interleaved in a turning order, so load from other work falls on each alike, with
 * `node -e 0` and the floor beside them (as in run.ts).
 *
 *   node dist/bench/ab.js [--counts 8,64] [--repetitions 15] NAME=ARGV ...
 *   e.g. before='node /tmp/before.cjs' after='node build/multinic.cjs'
 *
 * Wall milliseconds, and CPU milliseconds (multinic and every process it started, from
 * `perf stat -e task-clock`) when perf is installed: CPU time moves less with load.
 * Prints a Markdown table; as root (it makes network namespaces, as run.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createGuest, destroyGuest, resetGuest, toNetworkData, type BenchGuest } from './guest.js';
import { applyArgv, floorBatchLines } from './run.js';
import { summarise } from './stats.js';

interface Sample {
  wallMs: number;
  cpuMs: number | null;
}

const hasPerf = spawnSync('perf', ['--version'], { stdio: 'ignore' }).status === 0;

function timed(guest: BenchGuest, argv: string[]): Sample {
  const command = ['ip', 'netns', 'exec', guest.ns, ...argv];
  const started = performance.now();
  const result = hasPerf
    ? spawnSync('perf', ['stat', '-x,', '-e', 'task-clock', ...command], { encoding: 'utf8' })
    : spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`ab: ${argv.join(' ')} exited ${String(result.status)}: ${result.stderr}`);
  const cpu = hasPerf ? /^([\d.]+),msec,task-clock/m.exec(result.stderr)?.[1] : undefined;
  return { wallMs, cpuMs: cpu === undefined ? null : Number(cpu) };
}

function abOne(n: number, repetitions: number, builds: [string, string[]][]): Map<string, Sample[]> {
  const guest = createGuest(n);
  const dir = mkdtempSync(join(tmpdir(), 'multinic-ab-'));
  try {
    const networkData = join(dir, 'network_data.json');
    writeFileSync(networkData, JSON.stringify(toNetworkData(guest.nics)));
    const stateDir = join(dir, 'state');
    const apply = (prefix: string[]) => applyArgv(prefix, networkData, stateDir);
    const fresh = () => {
      resetGuest(guest);
      rmSync(stateDir, { recursive: true, force: true });
    };
    // The floor's batch: the ip commands of a fresh run of the first build, from its --json.
    fresh();
    const json = spawnSync('ip', ['netns', 'exec', guest.ns, ...apply(builds[0]![1]), '--json'], { encoding: 'utf8' });
    const commands = (JSON.parse(json.stdout) as { commands: string[] }).commands;
    const batch = join(dir, 'floor.batch');
    writeFileSync(batch, `${floorBatchLines(commands).join('\n')}\n`);
    const floor = join(dir, 'floor.sh');
    writeFileSync(floor, `${process.execPath} -e 0\nip -batch ${batch}\n`);

    const samples = new Map<string, Sample[]>();
    const add = (line: string, sample: Sample) => {
      samples.set(line, [...(samples.get(line) ?? []), sample]);
    };
    for (let rep = 0; rep < repetitions; rep++) {
      add('node -e 0', timed(guest, [process.execPath, '-e', '0']));
      resetGuest(guest);
      add('floor (node -e 0 + one ip -batch)', timed(guest, ['bash', floor]));
      for (let i = 0; i < builds.length; i++) {
        const [name, prefix] = builds[(i + rep) % builds.length]!;
        fresh();
        add(`${name} fresh`, timed(guest, apply(prefix)));
        add(`${name} rerun`, timed(guest, apply(prefix)));
      }
    }
    return samples;
  } finally {
    destroyGuest(guest);
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: { counts: { type: 'string', default: '8,64' }, repetitions: { type: 'string', default: '15' } },
    allowPositionals: true,
  });
  const builds = positionals.map((spec): [string, string[]] => {
    const at = spec.indexOf('=');
    if (at < 1) throw new Error(`ab: "${spec}" is not NAME=ARGV`);
    return [spec.slice(0, at), spec.slice(at + 1).split(' ')];
  });
  if (builds.length < 2) throw new Error('ab: give at least two builds, NAME=ARGV each');
  const repetitions = Number(values.repetitions);
  console.log(`| N | line | wall ms, median (min–max) | CPU ms, median (min–max) |`);
  console.log('|---:|---|---:|---:|');
  for (const n of values.counts.split(',').map(Number)) {
    for (const [line, samples] of abOne(n, repetitions, builds)) {
      const wall = summarise(samples.map((s) => s.wallMs));
      const cpus = samples.flatMap((s) => (s.cpuMs === null ? [] : [s.cpuMs]));
      const cpu = cpus.length ? summarise(cpus) : undefined;
      console.log(
        `| ${n} | ${line} | ${wall.median} (${wall.min}–${wall.max}) | ${cpu ? `${cpu.median} (${cpu.min}–${cpu.max})` : 'no perf'} |`,
      );
    }
  }
}

main();
