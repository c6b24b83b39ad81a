import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeNicChange, MAX_ROUNDS, snapshotNics, untilNicsHoldStill } from '../../src/cli/rerun-on-nic-change.js';

/** The kernel's NICs as a list the fake runs change, as a hotplug during a run does. */
function fakeGuest(initial: string[]) {
  let nics = [...initial];
  return { snapshot: async () => [...nics].sort(), set: (next: string[]) => (nics = [...next]) };
}

describe('a run that a NIC outran goes round again (issue 13, scenario 5)', () => {
  it('a port detached and attached again while the run worked: a second run configures it, and says why', async () => {
    const guest = fakeGuest(['ens3 2', 'ens4 3']);
    const said: string[] = [];
    const seen: string[][] = [];
    const code = await untilNicsHoldStill(
      async () => {
        seen.push(await guest.snapshot());
        // The first run read the kernel without ens6; it came back (a new ifindex) before the run ended.
        if (seen.length === 1) guest.set(['ens3 2', 'ens4 3', 'ens6 7']);
        return 0;
      },
      (message) => said.push(message),
      guest.snapshot,
    );
    expect(code).toBe(0);
    expect(seen).toEqual([
      ['ens3 2', 'ens4 3'],
      ['ens3 2', 'ens4 3', 'ens6 7'],
    ]);
    expect(said).toEqual(['NICs changed during the run (ens6 came): converging again']);
  });

  it('NICs that held still: one run, nothing said', async () => {
    const guest = fakeGuest(['ens3 2']);
    let runs = 0;
    const said: string[] = [];
    expect(
      await untilNicsHoldStill(
        async () => (runs++, 0),
        (message) => said.push(message),
        guest.snapshot,
      ),
    ).toBe(0);
    expect(runs).toBe(1);
    expect(said).toEqual([]);
  });

  it('a failed run is not repeated: its exit code stands', async () => {
    const guest = fakeGuest(['ens3 2']);
    let runs = 0;
    const code = await untilNicsHoldStill(
      async () => (runs++, guest.set(['ens3 2', `ens6 ${10 + runs}`]), 75),
      () => undefined,
      guest.snapshot,
    );
    expect(code).toBe(75);
    expect(runs).toBe(1);
  });

  it('a NIC that flaps on every run: bounded, with a warning, and the last exit code', async () => {
    const guest = fakeGuest(['ens3 2']);
    let runs = 0;
    const said: string[] = [];
    const code = await untilNicsHoldStill(
      async () => (runs++, guest.set(['ens3 2', `ens6 ${10 + runs}`]), 0),
      (message) => said.push(message),
      guest.snapshot,
    );
    expect(code).toBe(0);
    expect(runs).toBe(MAX_ROUNDS);
    expect(said.at(-1)).toBe(
      `warning: NICs changed during the run (ens6 came back) ${MAX_ROUNDS} times in a row: leaving them to the next run`,
    );
  });

  it('describes what came, came back and went', () => {
    expect(describeNicChange(['ens3 2', 'ens5 4', 'ens6 5'], ['ens3 2', 'ens6 8', 'ens7 9'])).toBe(
      'ens6 came back, ens7 came, ens5 went',
    );
    expect(describeNicChange(['ens3 2'], ['ens3 2'])).toBe('');
  });

  it('snapshots /sys/class/net: name and ifindex of every interface but lo, sorted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'multinic-sysnet-'));
    try {
      for (const [name, index] of [
        ['lo', '1'],
        ['ens4', '3'],
        ['ens3', '2'],
        ['gone', ''],
      ] as const) {
        await mkdir(join(dir, name));
        if (index) await writeFile(join(dir, name, 'ifindex'), `${index}\n`);
      }
      expect(await snapshotNics(dir)).toEqual(['ens3 2', 'ens4 3']);
      expect(await snapshotNics(join(dir, 'missing'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
