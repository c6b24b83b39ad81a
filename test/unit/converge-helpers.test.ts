import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TemporaryFailure } from '../../src/errors.js';
import { describePending, nothingPending, pendingNics } from '../../src/links/pending.js';
import type { Mapping } from '../../src/model/types.js';
import { acquireRunLock } from '../../src/state/lock.js';
import { anInterface } from './builders.js';

const mapping = (overrides: Partial<Mapping>): Mapping => ({
  nics: [],
  missing: [],
  unlisted: [],
  absentAddresses: [],
  notes: [],
  ...overrides,
});

describe('pendingNics', () => {
  it('waits for links the guest does not have yet and addresses not up yet', () => {
    const pending = pendingNics(
      mapping({
        missing: [{ linkId: 'tap6', mac: 'fa:16:3e:00:00:06' }],
        absentAddresses: [{ iface: 'ens4', address: '203.0.113.22' }],
      }),
      [],
      new Set(),
      false,
    );
    expect(describePending(pending)).toEqual([
      'link tap6 (fa:16:3e:00:00:06): in network_data.json, not on the guest yet',
      'ens4: 203.0.113.22 from network_data.json is not on the interface yet',
    ]);
  });

  it('waits for a new NIC the metadata does not list only when asked, and never for bridges, bond slaves or known MACs', () => {
    const interfaces = [
      anInterface({ name: 'ens7', mac: 'fa:16:3e:00:00:07' }),
      anInterface({ name: 'docker0', mac: '02:42:00:00:00:01', kind: 'bridge' }),
      anInterface({ name: 'eno2', mac: 'fa:16:3e:00:00:08', master: 'bond0' }),
      anInterface({ name: 'ens3', mac: 'fa:16:3e:00:00:01' }),
    ];
    const unlisted = interfaces.map((iface) => ({ iface: iface.name, mac: iface.mac! }));
    const known = new Set(['fa:16:3e:00:00:01']);
    expect(nothingPending(pendingNics(mapping({ unlisted }), interfaces, known, false))).toBe(true);
    expect(pendingNics(mapping({ unlisted }), interfaces, known, true).notInMetadata).toEqual([
      { iface: 'ens7', mac: 'fa:16:3e:00:00:07' },
    ]);
  });
});

describe('the run lock', () => {
  it('lets one run in, makes the next wait, and gives up with a temporary failure (exit 75)', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'multinic-lock-'));
    const release = await acquireRunLock(stateDir, { waitMs: 1000 });
    const said: string[] = [];
    const second = acquireRunLock(stateDir, { waitMs: 1000, onWait: (message) => said.push(message) });
    await expect(second).rejects.toBeInstanceOf(TemporaryFailure);
    await expect(second).rejects.toMatchObject({ exitCode: 75 });
    expect(said).toEqual([`another multinic run is in progress (${stateDir}/run.lock); waiting up to 1 s`]);
    await release();
    const third = await acquireRunLock(stateDir, { waitMs: 0 });
    await third();
  });

  it('hands the lock to the waiting run as soon as the first one releases it', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'multinic-lock-'));
    const first = await acquireRunLock(stateDir, { waitMs: 0 });
    const order: string[] = [];
    const second = acquireRunLock(stateDir, { waitMs: 30_000, onWait: () => order.push('waiting') }).then((release) => {
      order.push('second has it');
      return release;
    });
    await new Promise((done) => setTimeout(done, 200));
    order.push('first releases');
    await first();
    await (
      await second
    )();
    expect(order).toEqual(['waiting', 'first releases', 'second has it']);
  });
});
