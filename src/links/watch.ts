/**
 * Netlink events for a wait: a long-lived `ip -o monitor link address` child prints a line
 * whenever a link or an address comes, goes or changes, so a wait re-reads the kernel when
 * something can have changed instead of every second (issue 13: a hotplug wait cost 44 s of
 * CPU in 60 s under emulation). The child lives only as long as the wait (close()).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface LinkWatcher {
  /** Resolves 'event' at the first event not consumed yet, or 'timeout' after `ms`. */
  next(ms: number): Promise<'event' | 'timeout'>;
  close(): void;
}

export type SpawnMonitor = () => ChildProcess;

const spawnIpMonitor: SpawnMonitor = () =>
  spawn('ip', ['-o', 'monitor', 'link', 'address'], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, LC_ALL: 'C' },
  });

/** A child that cannot start (no `ip`) gives no events: the wait's timeouts still bound it. */
export function watchLinks(spawnMonitor: SpawnMonitor = spawnIpMonitor): LinkWatcher {
  let pending = false;
  let wake: (() => void) | undefined;
  let child: ChildProcess | undefined;
  try {
    child = spawnMonitor();
    child.on('error', () => undefined);
    child.stdout?.on('data', () => {
      pending = true;
      wake?.();
    });
  } catch {
    child = undefined;
  }
  return {
    next(ms) {
      if (pending) {
        pending = false;
        return Promise.resolve('event');
      }
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          wake = undefined;
          resolve('timeout');
        }, ms);
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          pending = false;
          resolve('event');
        };
      });
    },
    close() {
      wake = undefined;
      if (child?.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
