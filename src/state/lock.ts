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
import { closeSync, constants, fstatSync, mkdirSync, openSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { KernelCommandFailed, StorageFailed, TemporaryFailure } from '../errors.js';
import { describeErrno } from '../io/read-bounded.js';
import { asidePath } from './files.js';

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

/**
 * Resolves true once `flock` locked the descriptor, false when it gave up (exit 1). Spawned
 * here, not through kernel/run.ts: a `Run` cannot hand a child a descriptor, and this one
 * must inherit the lock file's. Bounded like every command all the same.
 */
function lockDescriptor(path: string, fd: number, waitSeconds: number | 'nonblock'): Promise<boolean> {
  const wait = waitSeconds === 'nonblock' ? ['--nonblock'] : ['--wait', String(waitSeconds)];
  const child = spawn('flock', ['--exclusive', ...wait, String(LOCK_FD)], { stdio: ['ignore', 'ignore', 'pipe', fd] });
  return new Promise((resolve, reject) => {
    let stderr = '';
    // flock bounds its own wait; this bounds flock (a few seconds more), as every command is.
    const bound = (waitSeconds === 'nonblock' ? 0 : waitSeconds) * 1000 + 10_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new KernelCommandFailed(`flock ${path}: no answer within ${bound / 1000} s; killed`, 'flock', ''));
    }, bound);
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString().slice(0, 4096)));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new KernelCommandFailed(`flock: could not run (${error.message})`, 'flock', '', { cause: error }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(true);
      else if (code === 1) resolve(false);
      else
        reject(
          new KernelCommandFailed(
            `flock ${path} failed (${code === null ? `killed by ${String(signal)}` : `exit ${code}`}): ${stderr.trim()}`,
            'flock',
            stderr,
          ),
        );
    });
  });
}

/**
 * 'a': created when missing, never truncated, and openable however the file's mode was left.
 * On a read-only state dir an existing lock file is opened for reading (flock(2) does not
 * care how), so a run with nothing to change can still run; one that must write fails later,
 * before it changes anything.
 */
function openLockFile(stateDir: string, path: string): number {
  try {
    mkdirSync(stateDir, { recursive: true });
    // Non-blocking and not through a link: a FIFO put there must not hang the run at open.
    const flags =
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK | constants.O_NOFOLLOW;
    let fd: number;
    try {
      fd = openSync(path, flags, 0o600);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENXIO' && code !== 'ELOOP' && code !== 'EISDIR') throw error;
      return openSync(moveAsideAndRetry(path), flags, 0o600);
    }
    if (fstatSync(fd).isFile()) return fd;
    closeSync(fd);
    return openSync(moveAsideAndRetry(path), flags, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EROFS' || code === 'EACCES') {
      try {
        return openSync(path, 'r');
      } catch {
        // fall through: the lock file cannot even be read
      }
    }
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'not a directory' : describeErrno(error);
    throw new StorageFailed(`state dir ${stateDir}: cannot take the run lock ${path} (${why}); nothing changed`, {
      cause: error,
    });
  }
}

/** Something other than a file at run.lock (a FIFO, a link, a directory): kept aside, and a new lock file made. */
function moveAsideAndRetry(path: string): string {
  renameSync(path, asidePath(path));
  return path;
}

/**
 * Everything up to starting `flock` is synchronous, so a caller can go on loading and
 * reading (not deciding) while `flock` runs.
 */
export async function acquireRunLock(stateDir: string, options: LockOptions): Promise<Release> {
  const path = join(stateDir, LOCK_FILE);
  const fd = openLockFile(stateDir, path);
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
