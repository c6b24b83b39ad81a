/** links/watch.ts: events from the monitor child wake a wait; close() stops the child. */
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { watchLinks } from '../../src/links/watch.js';

function fakeMonitor() {
  const child = Object.assign(new EventEmitter(), {
    stdout: new EventEmitter(),
    exitCode: null as number | null,
    signalCode: null as string | null,
    killed: [] as string[],
  });
  (child as unknown as { kill: (signal: string) => boolean }).kill = (signal: string) => {
    child.killed.push(signal);
    child.signalCode = signal;
    return true;
  };
  return child;
}

describe('watchLinks', () => {
  it('a line from the monitor wakes the wait; one seen before the wait is not lost; close kills the child', async () => {
    const child = fakeMonitor();
    const watcher = watchLinks(() => child as unknown as ChildProcess);
    const waiting = watcher.next(60_000);
    child.stdout.emit('data', Buffer.from('5: ens6: <BROADCAST,MULTICAST> mtu 1500 state DOWN\n'));
    expect(await waiting).toBe('event');
    child.stdout.emit('data', Buffer.from('5: ens6    inet 203.0.113.26/24 scope global ens6\n'));
    expect(await watcher.next(60_000)).toBe('event');
    expect(await watcher.next(5)).toBe('timeout');
    watcher.close();
    expect(child.killed).toEqual(['SIGTERM']);
  });

  it('a monitor that cannot start gives only timeouts, never an error', async () => {
    const watcher = watchLinks(() => {
      throw new Error('spawn ip ENOENT');
    });
    expect(await watcher.next(5)).toBe('timeout');
    watcher.close();
  });
});
