import { describe, expect, it } from 'vitest';
import { Reporter } from '../../src/cli/output.js';
import type { Prepared } from '../../src/cli/pipeline.js';
import { waitForNics } from '../../src/cli/wait-for-nics.js';

describe('a long wait keeps saying what it waits for', () => {
  it('says it again every 10 s while nothing changes, then gives up with a warning', async () => {
    const prepared = {
      mapping: {
        nics: [],
        missing: [{ linkId: 'tap9', mac: 'fa:16:3e:00:00:09' }],
        unlisted: [],
        absentAddresses: [],
        notes: [],
      },
      live: { interfaces: [] },
      source: { mayChange: false, text: '' },
      plan: { state: { version: 1, allocations: {} } },
    } as unknown as Prepared;
    let clock = 0;
    let err = '';
    const reporter = new Reporter({ stdout: () => undefined, stderr: (text) => void (err += text) }, false);
    // No event ever comes: the watcher times out after whatever it was given.
    const watchLinks = () => ({
      next: async (ms: number) => ((clock += ms), 'timeout' as const),
      close: () => undefined,
    });
    const clockApi = { now: () => clock, sleep: async (ms: number) => void (clock += ms) };
    await waitForNics(prepared, async () => prepared, reporter, { waitMs: 25_000, clock: clockApi, watchLinks });
    const lines = err.split('\n').filter(Boolean);
    expect(lines).toEqual([
      'multinic: waiting up to 25 s for: link tap9 (fa:16:3e:00:00:09): in network_data.json, not on the guest yet',
      'multinic: still waiting up to 15 s for: link tap9 (fa:16:3e:00:00:09): in network_data.json, not on the guest yet',
      'multinic: still waiting up to 5 s for: link tap9 (fa:16:3e:00:00:09): in network_data.json, not on the guest yet',
      'multinic: warning: link tap9 (fa:16:3e:00:00:09): in network_data.json, not on the guest yet; configuring the others',
    ]);
  });
});
