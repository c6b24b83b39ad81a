/**
 * One run at a time. udev can start several runs at once (one per attached NIC); each
 * must see the kernel and the state file as the previous run left them. The lock lives
 * in the state dir (proper-lockfile: an atomic mkdir, refreshed while held, and taken
 * over when its holder died and stopped refreshing it).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TemporaryFailure } from '../errors.js';

export const LOCK_NAME = 'run';

export interface LockOptions {
  /** How long to wait for another run to finish. */
  waitMs: number;
  /** Said once when the lock is busy, so a waiting run explains itself. */
  onWait?: (message: string) => void;
  /** Said if another run took the lock over while this one held it (this run stalled). */
  onLost?: (message: string) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export type Release = () => Promise<void>;

export async function acquireRunLock(stateDir: string, options: LockOptions): Promise<Release> {
  const { default: lockfile } = await import('proper-lockfile');
  await mkdir(stateDir, { recursive: true });
  const target = join(stateDir, LOCK_NAME);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const end = now() + options.waitMs;
  let told = false;
  for (;;) {
    try {
      return await lockfile.lock(target, {
        realpath: false, // the target file itself need not exist
        stale: 15_000, // a holder refreshes every 7.5 s; older than this, it died
        // Only a run whose event loop stalled past `stale` loses its lock. It finishes (stopping
        // half-way would be worse) but says so; the other run re-reads and converges after it.
        onCompromised: (error) => options.onLost?.(`warning: ${target}.lock was taken over by another run while this one held it (${error.message})`),
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (now() >= end) {
        throw new TemporaryFailure(`${target}.lock: another multinic run still holds the lock after ${Math.round(options.waitMs / 1000)} s; try again`);
      }
      if (!told) {
        options.onWait?.(`another multinic run is in progress (${target}.lock); waiting up to ${Math.round(options.waitMs / 1000)} s`);
        told = true;
      }
      await sleep(200);
    }
  }
}
