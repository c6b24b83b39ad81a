import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidNetworkData, MetadataUnavailable } from '../../src/errors.js';
import type { Run, RunResult } from '../../src/kernel/run.js';
import { emptyState } from '../../src/plan/allocate.js';
import { writeRecord } from '../../src/state/record.js';
import { loadNetworkData } from '../../src/metadata/source.js';

const DOC = JSON.stringify({
  links: [{ id: 'tap0', type: 'ovs', ethernet_mac_address: 'FA:16:3E:00:00:01' }],
  networks: [{ id: 'n0', type: 'ipv4', link: 'tap0', ip_address: '203.0.113.21', netmask: '255.255.255.0' }],
});
const LATEST = '/openstack/latest/network_data.json';
const ok = (stdout = ''): RunResult => ({ stdout, stderr: '', exitCode: 0 });
const failed = (stderr = '', exitCode = 2): RunResult => ({ stdout: '', stderr, exitCode });

/** A fake guest: what blkid, mount, mtype and ip answer there; every call recorded. */
function fakeGuest(answers: { drive?: { type: string; file?: string }; ipv4Route?: boolean; ipv6DefaultDev?: string }) {
  const calls: string[] = [];
  const run: Run = async (command, args) => {
    calls.push([command, ...args].join(' '));
    if (command === 'blkid') {
      if (!answers.drive) return failed();
      return args.includes('-p')
        ? ok(`${answers.drive.type}\n`)
        : args.includes('LABEL=config-2')
          ? ok('/dev/loop9\n')
          : failed();
    }
    if (command === 'mount') return failed('mount: /tmp/x: permission denied.', 32);
    if (command === 'mtype')
      return answers.drive?.file ? ok(answers.drive.file) : failed(`mtype: File "::/${LATEST.slice(1)}" not found`, 1);
    if (command === 'ip' && args.includes('get'))
      return answers.ipv4Route === false
        ? failed('RTNETLINK answers: Network is unreachable')
        : ok('[{"dst":"169.254.169.254","dev":"ens3"}]');
    if (command === 'ip')
      return ok(
        JSON.stringify(
          answers.ipv6DefaultDev ? [{ dst: 'default', gateway: 'fe80::1', dev: answers.ipv6DefaultDev }] : [],
        ),
      );
    return failed(`unexpected ${command}`, 127);
  };
  return { run, calls };
}

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe('loadNetworkData: where network_data.json comes from', () => {
  it('auto: a config drive comes first, and then the network is not asked at all', async () => {
    const guest = fakeGuest({ drive: { type: 'vfat', file: DOC } });
    const loaded = await loadNetworkData({ source: 'auto' }, guest.run);
    expect(loaded.origin).toBe('config drive /dev/loop9 (vfat), read in user space');
    expect(loaded.data.links[0]?.mac).toBe('fa:16:3e:00:00:01');
    expect(guest.calls.some((call) => call.startsWith('ip '))).toBe(false);
  });

  it('auto: a config drive without network_data.json (older clouds) falls back to the metadata service, saying so', async () => {
    nock('http://169.254.169.254').get(LATEST).reply(200, DOC);
    const guest = fakeGuest({ drive: { type: 'vfat' } });
    const notes: string[] = [];
    const loaded = await loadNetworkData({ source: 'auto', onNote: (note) => notes.push(note) }, guest.run);
    expect(loaded.origin).toBe(`http://169.254.169.254${LATEST}`);
    expect(notes).toEqual([
      expect.stringMatching(/^config drive \/dev\/loop9 \(vfat\): cannot read .*; asking the metadata service$/),
    ]);
  });

  it('--source configdrive: a drive without network_data.json is a failure, not a reason to ask the network', async () => {
    const guest = fakeGuest({ drive: { type: 'vfat' } });
    await expect(loadNetworkData({ source: 'configdrive' }, guest.run)).rejects.toThrow(MetadataUnavailable);
    expect(guest.calls.some((call) => call.startsWith('ip '))).toBe(false);
  });

  it('--source configdrive without a drive: exit 69 naming the labels', async () => {
    const error = await loadNetworkData({ source: 'configdrive' }, fakeGuest({}).run).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(MetadataUnavailable);
    expect((error as Error).message).toContain('no filesystem labelled config-2 or CONFIG-2');
  });

  it('an IPv6-only guest asks http://[fe80::a9fe:a9fe%<dev>] on the interface of its IPv6 default route', async () => {
    // The zone id is not a valid URL host, so the request goes to a placeholder name that
    // the client's own lookup resolves to the scoped address.
    nock('http://link-local.multinic.invalid').get(LATEST).reply(200, DOC);
    const guest = fakeGuest({ ipv4Route: false, ipv6DefaultDev: 'ens3' });
    const notes: string[] = [];
    const loaded = await loadNetworkData({ source: 'metadata', onNote: (note) => notes.push(note) }, guest.run);
    expect(loaded.origin).toBe(`http://[fe80::a9fe:a9fe%ens3]${LATEST}`);
    expect(guest.calls).toEqual(['ip -j route get 169.254.169.254', 'ip -j -6 route show default']);
    expect(notes).toEqual(['no IPv4 route to 169.254.169.254; asking http://[fe80::a9fe:a9fe%ens3]']);
  });

  it('--metadata-url is used as given, with no route lookup', async () => {
    nock('http://192.0.2.10:8775').get(LATEST).reply(200, DOC);
    const guest = fakeGuest({});
    const loaded = await loadNetworkData({ source: 'metadata', metadataUrl: 'http://192.0.2.10:8775' }, guest.run);
    expect(loaded.origin).toBe(`http://192.0.2.10:8775${LATEST}`);
    expect(guest.calls).toEqual([]);
  });

  it('the hotplug run (--source metadata) asks the metadata service even with a config drive, which it never reads (issue 13)', async () => {
    nock('http://169.254.169.254').get(LATEST).reply(200, DOC);
    const guest = fakeGuest({ drive: { type: 'vfat', file: '{"links": [], "networks": []}' } });
    const loaded = await loadNetworkData({ source: 'metadata' }, guest.run);
    expect([loaded.origin, loaded.mayChange]).toEqual([`http://169.254.169.254${LATEST}`, true]);
    expect(guest.calls.filter((call) => !call.startsWith('ip '))).toEqual([]);
  });

  it('with no metadata service, --source metadata says why it matters and what to do without one', async () => {
    nock('http://169.254.169.254')
      .get(LATEST)
      .times(100)
      .replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 169.254.169.254:80' });
    const error = await loadNetworkData(
      { source: 'metadata', deadlineMs: 300, timeoutMs: 100 },
      fakeGuest({ drive: { type: 'vfat', file: DOC } }).run,
    ).catch((caught: unknown) => caught);
    nock.cleanAll();
    expect(error).toBeInstanceOf(MetadataUnavailable);
    const message = (error as Error).message;
    expect(message).toContain(`http://169.254.169.254${LATEST}`);
    expect(message).toContain(
      'Only the metadata service lists a port attached after boot (Nova writes the config drive once, at boot)',
    );
    expect(message).toContain('multinic apply --network-data FILE');
    expect(message).toContain('MULTINIC_HOTPLUG_SOURCE=auto');
  });

  it('a config drive and the cache are snapshots (mayChange false): a wait never reads them again', async () => {
    const guest = fakeGuest({ drive: { type: 'vfat', file: DOC } });
    expect((await loadNetworkData({ source: 'auto' }, guest.run)).mayChange).toBe(false);
    const stateDir = await mkdtemp(join(tmpdir(), 'multinic-test-cache-'));
    await writeRecord(stateDir, {
      state: emptyState(),
      applied: { nics: [], desired: { routes: [], rules: [] } },
      document: DOC,
    });
    expect((await loadNetworkData({ offline: true, stateDir }, guest.run)).mayChange).toBe(false);
  });

  it('a document the service serves but that is not valid is refused (exit 65), never read as "no NICs"', async () => {
    nock('http://169.254.169.254').get(LATEST).reply(200, '{"networks": []}');
    const error = await loadNetworkData({ source: 'metadata' }, fakeGuest({}).run).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidNetworkData);
    expect((error as Error).message).toMatch(/links/);
  });

  it('--offline applies the last good document from the state dir and asks nothing', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'multinic-test-cache-'));
    await writeRecord(stateDir, {
      state: emptyState(),
      applied: { nics: [], desired: { routes: [], rules: [] } },
      document: DOC,
    });
    const guest = fakeGuest({});
    const loaded = await loadNetworkData({ offline: true, stateDir, source: 'auto' }, guest.run);
    expect(loaded.data.networks[0]?.address).toEqual({ address: '203.0.113.21', prefix: 24 });
    expect(loaded.origin).toContain('--offline');
    expect(guest.calls).toEqual([]);
  });

  it('--offline without a cached document: exit 69, naming the file, asking nothing', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'multinic-test-cache-'));
    const guest = fakeGuest({});
    const error = await loadNetworkData({ offline: true, stateDir }, guest.run).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MetadataUnavailable);
    expect((error as Error).message).toContain(join(stateDir, 'network_data.json'));
    expect(guest.calls).toEqual([]);
  });

  it('--network-data FILE reads the file and asks neither drive nor network', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'multinic-test-file-'));
    const file = join(dir, 'network_data.json');
    await writeFile(file, DOC);
    const guest = fakeGuest({ drive: { type: 'vfat', file: '{}' } });
    const loaded = await loadNetworkData({ networkDataFile: file }, guest.run);
    expect(loaded.origin).toBe(file);
    expect(guest.calls).toEqual([]);
  });
});
