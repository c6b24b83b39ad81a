/** The run lock outlives no run: when a holder is killed (SIGKILL), the kernel frees it. */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TemporaryFailure } from '../../src/errors.js';
import { acquireRunLock } from '../../src/state/lock.js';

const built = fileURLToPath(new URL('../../dist/src/state/lock.js', import.meta.url));

describe('the run lock of a killed run', () => {
  it('is released by the kernel, with nothing stale left to clean up', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'multinic-lock-'));
    const holder = spawn(process.execPath, [
      '--input-type=module',
      '-e',
      `const { acquireRunLock } = await import(${JSON.stringify(built)}); await acquireRunLock(${JSON.stringify(stateDir)}, { waitMs: 0 }); console.log('held'); setInterval(() => {}, 1000);`,
    ]);
    await new Promise<void>((done) =>
      holder.stdout.once('data', () => {
        done();
      }),
    );
    await expect(acquireRunLock(stateDir, { waitMs: 0 })).rejects.toBeInstanceOf(TemporaryFailure);
    holder.kill('SIGKILL');
    await new Promise((done) => holder.once('exit', done));
    const release = await acquireRunLock(stateDir, { waitMs: 5000 });
    await release();
  });
});
