/**
 * One run at a time. udev can start several runs at once (one per attached NIC); each
 * must see the kernel and the state file as the previous run left them.
 *
 * The lock is the kernel's: flock(2) on <state dir>/run.lock. Node has no flock(2), so
 * this process opens the file and hands the descriptor to one short `flock` (util-linux,
 * on every distribution) as its fd 3; flock(2) locks belong to the open file description,
 * so the lock `flock` takes is this process's, and stays held after `flock` exits until
 * the descriptor here is closed. However the run ends (a crash, SIGKILL), the kernel closes
 * the descriptor and releases the lock: there is no stale lock to detect, none to steal,
 * and no helper process left running (npm run bench: one process instead of three).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { KernelCommandFailed, TemporaryFailure } from '../errors.js';

export const LOCK_FILE = 'run.lock';
/** The descriptor number `flock` finds the lock file on. */
const LOCK_FD = 3;

export interface LockOptions {
  /** How long to wait for another run to finish. */
  waitMs: number;
  /** Said once when the lock is busy, so a waiting run explains itself. */
  onWait?: (message: string) => void;
}

export type Release = () => Promise<void>;

/** Resolves true once `flock` locked the descriptor, false when it gave up (exit 1). */
function lockDescriptor(path: string, fd: number, waitSeconds: number | 'nonblock'): Promise<boolean> {
  const wait = waitSeconds === 'nonblock' ? ['--nonblock'] : ['--wait', String(waitSeconds)];
  const child = spawn('flock', ['--exclusive', ...wait, String(LOCK_FD)], { stdio: ['ignore', 'ignore', 'pipe', fd] });
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', (error) => reject(new KernelCommandFailed(`flock: could not run (${error.message})`, 'flock', '', { cause: error })));
    child.once('close', (code) => {
      if (code === 0) resolve(true);
      else if (code === 1) resolve(false);
      else reject(new KernelCommandFailed(`flock ${path} failed (exit ${code}): ${stderr.trim()}`, 'flock', stderr));
    });
  });
}

/**
 * Everything up to starting `flock` is synchronous, so a caller can go on loading and
 * reading (not deciding) while `flock` runs.
 */
export async function acquireRunLock(stateDir: string, options: LockOptions): Promise<Release> {
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, LOCK_FILE);
  // 'a': created when missing, never truncated, and openable however the file's mode was left.
  const fd = openSync(path, 'a', 0o600);
  try {
    if (!(await lockDescriptor(path, fd, 'nonblock'))) {
      const seconds = Math.max(0, Math.ceil(options.waitMs / 1000));
      options.onWait?.(`another multinic run is in progress (${path}); waiting up to ${seconds} s`);
      if (!(await lockDescriptor(path, fd, seconds))) {
        throw new TemporaryFailure(`${path}: another multinic run still holds the lock after ${seconds} s; try again`);
      }
    }
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    // Closing the last descriptor of the open file description releases flock(2).
    closeSync(fd);
  };
}
