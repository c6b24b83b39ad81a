/**
 * The door to the system commands a run asks and reads the answer of (`ip`, `mount`,
 * `blkid`, `isoinfo`, ...): everything that runs them takes a `Run`, so unit tests inject a
 * fake, the CLI wraps it (--verbose, the benchmark's run log: cli/trace.ts) and the
 * end-to-end suite runs the real thing. Two children are not a `Run` because they are not a
 * question and its answer: `flock` (state/lock.ts) inherits the lock file's descriptor and
 * locks it for this process, and `ip monitor` (links/watch.ts) lives as long as a wait.
 *
 * Every command is bounded: it is killed (SIGKILL) when it runs longer than its timeout or
 * prints more than its output cap, and the run fails with BoundExceeded naming the command
 * and the bound. A hung `ip` (a kernel stuck in rtnl_lock, a broken wrapper on PATH) must
 * not hold the run lock forever, and a flood of output must not take the guest's memory.
 */
import { spawn } from 'node:child_process';
import { BoundExceeded, KernelCommandFailed } from '../errors.js';
import { formatBytes, formatMs } from '../io/units.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions {
  input?: string;
  env?: Record<string, string>;
  /** Kill the command after this long (default COMMAND_TIMEOUT_MS). */
  timeoutMs?: number;
}

export type Run = (command: string, args: string[], options?: RunOptions) => Promise<RunResult>;

/**
 * 30 s: `ip` answers a guest's whole routing in milliseconds (npm run bench: 64 NICs in
 * under 50 ms); mount and blkid of a config drive in well under a second.
 */
export const COMMAND_TIMEOUT_MS = 30_000;
/** 32 MiB of stdout: `ip -j` of 2000 tables' routes is a few MiB. stderr is kept to 64 KiB. */
export const COMMAND_OUTPUT_CAP = 32 * 1024 * 1024;
const STDERR_CAP = 64 * 1024;

/** Overridable in tests (and only there) through the environment, to meet the bounds quickly. */
function bound(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

export const runCommand: Run = (command, args, options = {}) => {
  const timeoutMs = options.timeoutMs ?? bound('MULTINIC_COMMAND_TIMEOUT_MS', COMMAND_TIMEOUT_MS);
  const outputCap = bound('MULTINIC_COMMAND_OUTPUT_CAP', COMMAND_OUTPUT_CAP);
  const text = `${command} ${args.join(' ')}`;
  // node:child_process, not execa: loading execa cost about 190 ms of every run's 400 ms
  // (npm run bench, BENCHMARKS.md), and a run needs only argv, stdin, stdout, stderr and the exit code.
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env, LC_ALL: 'C' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let stdoutSize = 0;
    let stderrSize = 0;
    let done = false;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      settle();
    };
    /** At a bound: kill, stop reading (a grandchild may hold the pipes open), fail. */
    const stop = (why: string) => {
      finish(() => {
        child.kill('SIGKILL');
        child.stdout.destroy();
        child.stderr.destroy();
        reject(new BoundExceeded(`${text}: ${why}; killed`));
      });
    };
    const timer = setTimeout(() => {
      stop(`no answer within ${formatMs(timeoutMs)} (the bound on every command)`);
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutSize += chunk.length;
      if (stdoutSize > outputCap) stop(`printed more than ${formatBytes(outputCap)} (the bound on a command's output)`);
      else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderrSize < STDERR_CAP) stderr.push(chunk);
      stderrSize += chunk.length;
    });
    child.on('error', (error) => {
      finish(() => {
        reject(new KernelCommandFailed(`${command}: could not run (${error.message})`, text, '', { cause: error }));
      });
    });
    child.on('close', (code, signal) => {
      finish(() => {
        const said = Buffer.concat(stderr).toString('utf8').slice(0, STDERR_CAP);
        resolve({
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: signal ? `${said}${command}: killed by ${signal}\n` : said,
          exitCode: code ?? 1,
        });
      });
    });
    // A command that exits without reading its input closes the pipe: that is its answer, not ours to fail on.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
};

/** Run and require exit 0; the error names the command and repeats what it said. */
export async function runChecked(run: Run, command: string, args: string[], input?: string): Promise<string> {
  const result = await run(command, args, input === undefined ? {} : { input });
  if (result.exitCode !== 0) {
    const text = `${command} ${args.join(' ')}`;
    throw new KernelCommandFailed(
      `${text} failed (exit ${result.exitCode}): ${result.stderr.trim() || 'no message'}`,
      text,
      result.stderr,
    );
  }
  return result.stdout;
}
