/**
 * One run at a time. udev can start several runs at once (one per attached NIC); each
 * must see the kernel and the state file as the previous run left them.
 *
 * The lock is the kernel's: flock(2) on <state dir>/run.lock, held by a `flock` process
 * (util-linux, on every distribution) for as long as this run keeps its stdin open. When
 * the run ends, however it ends (a crash, SIGKILL), the pipe closes and the kernel
 * releases the lock: there is no stale lock to detect, and none can be stolen.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { KernelCommandFailed, TemporaryFailure } from '../errors.js';

export const LOCK_FILE = 'run.lock';

export interface LockOptions {
  /** How long to wait for another run to finish. */
  waitMs: number;
  /** Said once when the lock is busy, so a waiting run explains itself. */
  onWait?: (message: string) => void;
}

export type Release = () => Promise<void>;

/** Resolves true once `flock` holds the lock, false when it gave up (exit 1). */
function holdLock(path: string, waitSeconds: number | 'nonblock'): Promise<{ held: boolean; child: ChildProcessWithoutNullStreams }> {
  const wait = waitSeconds === 'nonblock' ? ['--nonblock'] : ['--wait', String(waitSeconds)];
  // `cat` keeps the lock until our end of its stdin closes.
  const child = spawn('flock', ['--exclusive', ...wait, path, 'sh', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once('data', () => resolve({ held: true, child }));
    child.once('error', (error) => reject(new KernelCommandFailed(`flock: could not run (${error.message})`, 'flock', '', { cause: error })));
    child.once('exit', (code) => {
      if (code === 1) resolve({ held: false, child });
      else reject(new KernelCommandFailed(`flock ${path} failed (exit ${code}): ${stderr.trim()}`, 'flock', stderr));
    });
  });
}

export async function acquireRunLock(stateDir: string, options: LockOptions): Promise<Release> {
  await mkdir(stateDir, { recursive: true });
  const path = join(stateDir, LOCK_FILE);
  let attempt = await holdLock(path, 'nonblock');
  if (!attempt.held) {
    const seconds = Math.max(0, Math.ceil(options.waitMs / 1000));
    options.onWait?.(`another multinic run is in progress (${path}); waiting up to ${seconds} s`);
    attempt = await holdLock(path, seconds);
    if (!attempt.held) throw new TemporaryFailure(`${path}: another multinic run still holds the lock after ${seconds} s; try again`);
  }
  const { child } = attempt;
  // The flock process stays referenced: `apply` releases the lock in a `finally`, and an
  // unreferenced child let Node end a run early, as finished, while it awaited the kernel.
  return async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.stdin.end();
    await exited;
  };
}
