/**
 * Issue 13: the wait for NICs looks again only when something can have changed — the
 * kernel on a netlink event (rechecked now and then), the metadata with a backoff and only
 * when the source can answer differently — and ends when nothing is pending or at its bound.
 * Time is a fake clock; events come from a fake watcher at chosen times.
 */
import { describe, expect, it } from 'vitest';
import { mapLinks } from '../../src/links/map.js';
import type { LoadedNetworkData } from '../../src/metadata/source.js';
import type { KernelInterface, NetworkData } from '../../src/model/types.js';
import { Reporter } from '../../src/cli/output.js';
import type { Prepared } from '../../src/cli/pipeline.js';
import { waitForNics, type Clock } from '../../src/cli/wait-for-nics.js';
import type { LinkWatcher } from '../../src/links/watch.js';
import { aLink, aNetwork, anAddress, anInterface, networkData } from './builders.js';

const ens3 = anInterface({
  name: 'ens3',
  index: 2,
  mac: 'fa:16:3e:00:00:01',
  addresses: [anAddress('203.0.113.21', 24)],
});
const ens6 = anInterface({
  name: 'ens6',
  index: 5,
  mac: 'fa:16:3e:00:00:06',
  addresses: [anAddress('198.51.100.44', 24)],
});
const oneNic = networkData([aLink()], [aNetwork()]);
const twoNics = networkData(
  [aLink(), aLink({ id: 'tap6', mac: 'fa:16:3e:00:00:06' })],
  [
    aNetwork(),
    aNetwork({
      id: 'network6',
      linkId: 'tap6',
      address: { address: '198.51.100.44', prefix: 24 },
      gateway: '198.51.100.1',
    }),
  ],
);

function loaded(data: NetworkData, mayChange: boolean): LoadedNetworkData {
  return {
    data,
    notes: [],
    origin: mayChange ? 'http://169.254.169.254/openstack/latest/network_data.json' : '/dev/sr0',
    text: JSON.stringify(data),
    mayChange,
  };
}

function prepared(source: LoadedNetworkData, interfaces: KernelInterface[]): Prepared {
  return {
    source,
    live: { interfaces, gateways: new Map() },
    mapping: mapLinks(source.data, interfaces),
    plan: { state: { allocations: {} } },
  } as unknown as Prepared;
}

/** A clock that only moves when the code under test waits. */
function fakeClock(): Clock & { t: number } {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

/** Netlink events at the given times; counts how the wait used it. */
function fakeWatcher(clock: { t: number }, eventsAt: number[]) {
  const stats = { started: 0, closed: 0, waits: 0 };
  const factory = (): LinkWatcher => {
    stats.started++;
    return {
      next: async (ms) => {
        stats.waits++;
        const due = eventsAt.find((at) => at <= clock.t + ms && at > clock.t - 1);
        if (due !== undefined) {
          eventsAt.splice(eventsAt.indexOf(due), 1);
          clock.t = Math.max(clock.t, due);
          return 'event';
        }
        clock.t += ms;
        return 'timeout';
      },
      close: () => {
        stats.closed++;
      },
    };
  };
  return { factory, stats };
}

function quietReporter() {
  const said: string[] = [];
  return { reporter: new Reporter({ stdout: () => undefined, stderr: (text) => said.push(text.trim()) }, false), said };
}

describe('waitForNics', () => {
  it('a boot from the cache (or a config drive) does not wait for a NIC the document cannot list', async () => {
    const clock = fakeClock();
    const watcher = fakeWatcher(clock, []);
    const { reporter } = quietReporter();
    let rereads = 0;
    let fetches = 0;
    const result = await waitForNics(
      prepared(loaded(oneNic, false), [ens3, ens6]),
      async () => (rereads++, prepared(loaded(oneNic, false), [ens3, ens6])),
      reporter,
      {
        waitMs: 30_000,
        fetchDocument: async () => (fetches++, loaded(oneNic, false)),
        clock,
        watchLinks: watcher.factory,
      },
    );
    expect(result.mapping.unlisted.map((entry) => entry.iface)).toEqual(['ens6']);
    expect({ t: clock.t, rereads, fetches, watchers: watcher.stats.started }).toEqual({
      t: 0,
      rereads: 0,
      fetches: 0,
      watchers: 0,
    });
  });

  it('a NIC the document lists appears at 7.3 s: one re-read on its event, a few rechecks before, never the document again', async () => {
    const clock = fakeClock();
    const watcher = fakeWatcher(clock, [7300]);
    const { reporter, said } = quietReporter();
    const kernelReads: number[] = [];
    let fetches = 0;
    const source = loaded(twoNics, false); // a config drive: cannot change
    const result = await waitForNics(
      prepared(source, [ens3]),
      async (document) => {
        kernelReads.push(clock.t);
        return prepared(document, clock.t >= 7300 ? [ens3, ens6] : [ens3]);
      },
      reporter,
      { waitMs: 60_000, fetchDocument: async () => (fetches++, source), clock, watchLinks: watcher.factory },
    );
    expect(result.mapping.nics.map((nic) => nic.iface)).toEqual(['ens3', 'ens6']);
    expect(clock.t).toBeLessThan(8000);
    // Rechecks at 2 s and 6 s, then the event (plus its settle time).
    expect(kernelReads).toEqual([2000, 6000, 7400]);
    expect(fetches).toBe(0);
    expect(watcher.stats).toMatchObject({ started: 1, closed: 1 });
    expect(said[0]).toContain('link tap6 (fa:16:3e:00:00:06): in network_data.json, not on the guest yet');
  });

  it('a NIC on the guest the metadata lists only at the 4th look: looks back off (1, 2, 4 s), the kernel is not re-read in between', async () => {
    const clock = fakeClock();
    const watcher = fakeWatcher(clock, []);
    const { reporter } = quietReporter();
    const fetchedAt: number[] = [];
    let rereads = 0;
    const result = await waitForNics(
      prepared(loaded(oneNic, true), [ens3, ens6]),
      async (document) => (rereads++, prepared(document, [ens3, ens6])),
      reporter,
      {
        waitMs: 60_000,
        fetchDocument: async () => (fetchedAt.push(clock.t), loaded(fetchedAt.length >= 4 ? twoNics : oneNic, true)),
        clock,
        watchLinks: watcher.factory,
      },
    );
    expect(result.mapping.nics.map((nic) => nic.iface)).toEqual(['ens3', 'ens6']);
    expect(fetchedAt).toEqual([1000, 3000, 7000, 15000]);
    expect(rereads).toBe(1); // only when the document changed
    expect(watcher.stats.started).toBe(0); // nothing to wait for on the guest's side
  });

  it('ends at its bound when nothing comes, says what it gave up on, and stops the watcher', async () => {
    const clock = fakeClock();
    const watcher = fakeWatcher(clock, []);
    const { reporter, said } = quietReporter();
    let rereads = 0;
    let fetches = 0;
    const source = loaded(twoNics, true);
    await waitForNics(prepared(source, [ens3]), async (document) => (rereads++, prepared(document, [ens3])), reporter, {
      waitMs: 30_000,
      fetchDocument: async () => (fetches++, source),
      clock,
      watchLinks: watcher.factory,
    });
    expect(clock.t).toBe(30_000);
    expect(watcher.stats).toMatchObject({ started: 1, closed: 1 });
    // A second apart would be 30 of each; backoff and rechecks make a handful.
    expect(fetches).toBeLessThanOrEqual(7);
    expect(rereads).toBeLessThanOrEqual(7);
    expect(said.at(-1)).toContain(
      'warning: link tap6 (fa:16:3e:00:00:06): in network_data.json, not on the guest yet; configuring the others',
    );
  });

  it('--wait 0: no wait at all, a warning for the listed NIC that is missing, nothing about an unlisted one', async () => {
    const clock = fakeClock();
    const watcher = fakeWatcher(clock, []);
    const { reporter, said } = quietReporter();
    let rereads = 0;
    let fetches = 0;
    // The document lists tap6 (not on the guest); the guest has ens7, which it does not list.
    const ens7 = anInterface({ name: 'ens7', index: 7, mac: 'fa:16:3e:00:00:07', addresses: [] });
    await waitForNics(
      prepared(loaded(twoNics, true), [ens3, ens7]),
      async (document) => (rereads++, prepared(document, [ens3, ens7])),
      reporter,
      {
        waitMs: 0,
        fetchDocument: async () => (fetches++, loaded(twoNics, true)),
        clock,
        watchLinks: watcher.factory,
      },
    );
    expect({ t: clock.t, rereads, fetches, watchers: watcher.stats.started }).toEqual({
      t: 0,
      rereads: 0,
      fetches: 0,
      watchers: 0,
    });
    expect(said).toEqual([
      'multinic: warning: link tap6 (fa:16:3e:00:00:06): in network_data.json, not on the guest yet; configuring the others',
    ]);
  });

  it('with a wait, also for a NIC the guest has and the document does not list yet; it names that NIC', async () => {
    const clock = fakeClock();
    const { reporter, said } = quietReporter();
    await waitForNics(
      prepared(loaded(oneNic, true), [ens3, ens6]),
      async (document) => prepared(document, [ens3, ens6]),
      reporter,
      {
        waitMs: 3000,
        fetchDocument: async () => loaded(oneNic, true),
        clock,
        watchLinks: fakeWatcher(clock, []).factory,
      },
    );
    expect(said[0]).toBe(
      'multinic: waiting up to 3 s for: ens6 (fa:16:3e:00:00:06): on the guest, not in network_data.json yet',
    );
    expect(said.at(-1)).toBe(
      'multinic: warning: ens6 (fa:16:3e:00:00:06): on the guest, not in network_data.json yet; configuring the others',
    );
    expect(clock.t).toBe(3000);
  });

  it('an address not on its NIC yet: the re-read on the netlink event that brings it ends the wait', async () => {
    const clock = fakeClock();
    const watcher = fakeWatcher(clock, [1500]);
    const { reporter } = quietReporter();
    const bare = anInterface({ name: 'ens6', index: 5, mac: 'fa:16:3e:00:00:06', addresses: [] });
    const source = loaded(twoNics, false);
    const first = prepared(source, [ens3, bare]);
    expect(first.mapping.absentAddresses).toEqual([{ iface: 'ens6', address: '198.51.100.44' }]);
    const result = await waitForNics(
      first,
      async (document) => prepared(document, clock.t >= 1500 ? [ens3, ens6] : [ens3, bare]),
      reporter,
      {
        waitMs: 30_000,
        clock,
        watchLinks: watcher.factory,
      },
    );
    expect(result.mapping.absentAddresses).toEqual([]);
    expect(clock.t).toBe(1500 + 100); // the event, then the settle time for the rest of its burst
    expect(watcher.stats).toMatchObject({ started: 1, closed: 1 });
  });

  it('a re-read of the document that fails keeps the one read before, says so, and goes on waiting', async () => {
    const clock = fakeClock();
    const { reporter, said } = quietReporter();
    let fetches = 0;
    const result = await waitForNics(
      prepared(loaded(oneNic, true), [ens3, ens6]),
      async (document) => prepared(document, [ens3, ens6]),
      reporter,
      {
        waitMs: 10_000,
        fetchDocument: async () => {
          fetches++;
          if (fetches === 1)
            throw new Error('http://169.254.169.254/openstack/latest/network_data.json: connection refused');
          return loaded(twoNics, true);
        },
        clock,
        watchLinks: fakeWatcher(clock, []).factory,
      },
    );
    expect(said).toContain(
      'multinic: warning: reading network_data.json again failed (http://169.254.169.254/openstack/latest/network_data.json: connection refused); keeping the one read before',
    );
    expect(result.mapping.nics.map((nic) => nic.iface)).toEqual(['ens3', 'ens6']);
    expect(fetches).toBe(2);
  });
});
