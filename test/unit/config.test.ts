import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { excludeNics } from '../../src/config/exclude.js';
import { globToRegExp } from '../../src/model/glob.js';
import { DEFAULTS, timeSpanSeconds } from '../../src/config/keys.js';
import { defaultConfig, parseConfig } from '../../src/config/parse-config.js';
import { readConfigSync } from '../../src/config/read-config.js';
import { main } from '../../src/cli/main.js';
import { InvalidConfiguration } from '../../src/errors.js';
import { allocateTables, emptyState } from '../../src/plan/allocate.js';
import { planSysctls } from '../../src/sysctl/plan-sysctl.js';
import type { Mapping, Nic } from '../../src/model/types.js';

const FILE = '/etc/multinic/multinic.conf';
const nic = (iface: string, mac: string): Nic => ({ iface, mac, linkId: `l-${iface}`, addresses: [] });

describe('multinic.conf (src/config)', () => {
  it('the shipped cloud-init/multinic.conf parses, documents every key, and gives the defaults', async () => {
    const text = await readFile(join(import.meta.dirname, '..', '..', 'cloud-init', 'multinic.conf'), 'utf8');
    const loaded = parseConfig(text, FILE);
    expect(loaded.config).toEqual(DEFAULTS);
    for (const key of [
      'MULTINIC_ARGS',
      'MULTINIC_BOOT_WAIT',
      'MULTINIC_HOTPLUG_WAIT',
      'MULTINIC_EXCLUDE',
      'MULTINIC_MANAGE_PRIMARY',
      'MULTINIC_TABLES',
      'MULTINIC_SYSCTL',
      'MULTINIC_ARP_IGNORE',
      'MULTINIC_ARP_ANNOUNCE',
      'MULTINIC_RP_FILTER',
      'MULTINIC_RECONCILE_INTERVAL',
    ]) {
      expect(text).toContain(`${key}=`);
    }
  });

  it('reads quoted and bare values, comments and blank lines, and says where each value came from', () => {
    const loaded = parseConfig(
      [
        '# a comment',
        '',
        'MULTINIC_EXCLUDE="ens7 docker* fa:16:3e:00:00:0?"',
        "MULTINIC_TABLES='11001-11100'",
        'MULTINIC_MANAGE_PRIMARY=no',
        '; also a comment',
        'MULTINIC_RECONCILE_INTERVAL="1h 30min"',
        'MULTINIC_ARGS="--persist none --no-sysctl"',
      ].join('\n'),
      FILE,
    );
    expect(loaded.config.exclude).toEqual(['ens7', 'docker*', 'fa:16:3e:00:00:0?']);
    expect(loaded.config.tables).toEqual({ first: 11001, last: 11100 });
    expect(loaded.config.managePrimary).toBe(false);
    expect(loaded.config.reconcileInterval).toBe('1h 30min');
    expect(loaded.config.args).toBe('--persist none --no-sysctl');
    expect(loaded.origins).toMatchObject({
      exclude: `${FILE}:3`,
      tables: `${FILE}:4`,
      managePrimary: `${FILE}:5`,
      sysctl: 'default',
      bootWait: 'default',
    });
  });

  it.each([
    [
      'MULTINIC_TABLES=5-9',
      3,
      /MULTINIC_TABLES="5-9" is not allowed; allowed: a range FIRST-LAST of routing table numbers within 10001-12000/,
    ],
    ['MULTINIC_TABLES=12000-11000', 3, /is not allowed/],
    ['MULTINIC_BOOT_WAIT=soon', 3, /MULTINIC_BOOT_WAIT="soon" is not allowed; allowed: a whole number of seconds/],
    ['MULTINIC_MANAGE_PRIMARY=maybe', 3, /allowed: yes or no/],
    ['MULTINIC_RP_FILTER=3', 3, /allowed: an rp_filter value, 0 \(off\), 1 \(strict\) or 2 \(loose\)/],
    ['MULTINIC_RECONCILE_INTERVAL=10s', 3, /allowed: a systemd time span of at least 60 s/],
    ['MULTINIC_EXCLUDES=ens7', 3, /unknown key MULTINIC_EXCLUDES; known keys: MULTINIC_ARGS/],
    ['MULTINIC_ARGS=--persist none', 3, /not one shell word; quote it/],
    ['exclude ens7', 3, /"exclude ens7" is not KEY=value/],
  ])('refuses %j with the file, its line number and what is allowed', (line, number, message) => {
    const text = ['# settings', 'MULTINIC_HOTPLUG_WAIT=30', line].join('\n');
    expect(() => parseConfig(text, FILE)).toThrow(InvalidConfiguration);
    expect(() => parseConfig(text, FILE)).toThrow(new RegExp(`^${FILE}:${number}: `));
    expect(() => parseConfig(text, FILE)).toThrow(message);
  });

  it('a key set twice takes the last value, as systemd and the shell do, and says which line', () => {
    const loaded = parseConfig('MULTINIC_EXCLUDE=""\n# added later\nMULTINIC_EXCLUDE="ens9"\n', FILE);
    expect([loaded.config.exclude, loaded.origins.exclude]).toEqual([['ens9'], `${FILE}:3`]);
  });

  it('a missing default file means the defaults; a missing file named with --config is refused', () => {
    const absent = readConfigSync(undefined, {}, '/nonexistent/etc/multinic.conf');
    expect([absent.found, absent.config, absent.origins.tables]).toEqual([false, DEFAULTS, 'default']);
    expect(() => readConfigSync(undefined, { MULTINIC_CONFIG: '/nonexistent/multinic.conf' })).toThrow(/cannot read/);
    expect(() => readConfigSync('/nonexistent/multinic.conf', {})).toThrow(
      /\/nonexistent\/multinic.conf: cannot read the configuration \(ENOENT\)/,
    );
  });

  it('`multinic config` prints the effective values and their origin; a bad line exits 78 naming file and line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'multinic-config-'));
    const file = join(dir, 'multinic.conf');
    await writeFile(file, '# test\nMULTINIC_EXCLUDE="ens7"\n');
    let out = '';
    let err = '';
    const io = { stdout: (text: string) => void (out += text), stderr: (text: string) => void (err += text) };
    const noRun = async () => ({ stdout: '', stderr: '', exitCode: 0 });
    expect(await main(['config', '--config', file], io, noRun, {})).toBe(0);
    expect(out).toMatch(new RegExp(`^MULTINIC_EXCLUDE="ens7" +# ${file}:2$`, 'm'));
    expect(out).toMatch(/^MULTINIC_TABLES="10001-12000" +# default$/m);
    await writeFile(file, '# test\nMULTINIC_EXCLUDE="ens7"\nMULTINIC_SYSCTL=perhaps\n');
    err = '';
    expect(await main(['config', '--config', file], io, noRun, {})).toBe(78);
    expect(err).toContain(`error: ${file}:3: MULTINIC_SYSCTL="perhaps" is not allowed; allowed: yes or no`);
    // Every command reads it: apply refuses before it fetches anything.
    err = '';
    expect(
      await main(
        ['apply', '--config', file, '--network-data', '/nonexistent.json'],
        io,
        async () => {
          throw new Error('nothing may run');
        },
        {},
      ),
    ).toBe(78);
  });
});

describe('exclusions (src/config/exclude.ts)', () => {
  it('globs match interface names and MACs, case-insensitively, as fnmatch does', () => {
    expect(globToRegExp('ens[5-7]').test('ens6')).toBe(true);
    expect(globToRegExp('ens[!5-7]').test('ens6')).toBe(false);
    expect(globToRegExp('FA:16:3E:00:*', { ignoreCase: true }).test('fa:16:3e:00:00:07')).toBe(true);
    expect(globToRegExp('Ens3').test('ens3')).toBe(false); // networkd's Name= is case-sensitive
    expect(globToRegExp('eth?').test('eth10')).toBe(false);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });

  it('takes excluded NICs and, with MULTINIC_MANAGE_PRIMARY=no, the primary one out of the mapping, saying why', () => {
    const mapping: Mapping = {
      nics: [nic('ens3', 'fa:16:3e:00:00:01'), nic('ens4', 'fa:16:3e:00:00:02'), nic('ens5', 'fa:16:3e:00:00:03')],
      missing: [],
      unlisted: [
        { iface: 'docker0', mac: '02:42:00:00:00:01' },
        { iface: 'ens9', mac: 'fa:16:3e:00:00:09' },
      ],
      absentAddresses: [{ iface: 'ens4', address: '203.0.113.99' }],
      notes: [
        {
          level: 'warn',
          message: 'ens4 (fa:16:3e:00:00:02): 203.0.113.99 from network n is not on the interface (yet), left out',
        },
      ],
    };
    const loaded = parseConfig('MULTINIC_EXCLUDE="fa:16:3e:00:00:02 docker*"\nMULTINIC_MANAGE_PRIMARY=no\n', FILE);
    const { mapping: kept, excluded } = excludeNics(mapping, loaded, new Set(['ens3']));
    expect(kept.nics.map((item) => item.iface)).toEqual(['ens5']);
    expect(kept.unlisted.map((item) => item.iface)).toEqual(['ens9']);
    expect(kept.absentAddresses).toEqual([]);
    expect(excluded.map((item) => item.iface)).toEqual(['ens3', 'ens4']);
    expect(kept.notes.map((note) => note.message)).toEqual([
      `ens3 (fa:16:3e:00:00:01): the primary NIC (it holds the main table's default route), not managed by ${FILE}:2 (MULTINIC_MANAGE_PRIMARY=no), left alone`,
      `ens4 (fa:16:3e:00:00:02): excluded by ${FILE}:1 (MULTINIC_EXCLUDE pattern "fa:16:3e:00:00:02"), left alone`,
    ]);
    // The defaults exclude nothing.
    expect(excludeNics(mapping, defaultConfig(FILE), new Set(['ens3'])).mapping).toEqual(mapping);
  });

  it('new NICs get tables from MULTINIC_TABLES; a NIC keeps the table it has', () => {
    const first = allocateTables(emptyState(), [{ mac: 'fa:16:3e:00:00:01', iface: 'ens3' }], new Set());
    const next = allocateTables(
      first,
      [
        { mac: 'fa:16:3e:00:00:01', iface: 'ens3' },
        { mac: 'fa:16:3e:00:00:02', iface: 'ens4' },
      ],
      new Set([11001]),
      new Map(),
      [],
      { first: 11001, last: 11002 },
    );
    expect(next.allocations['fa:16:3e:00:00:01']).toMatchObject({ table: 10001, priority: 10001 });
    expect(next.allocations['fa:16:3e:00:00:02']).toMatchObject({ table: 11002, priority: 11002 });
    expect(() =>
      allocateTables(
        next,
        [
          { mac: 'fa:16:3e:00:00:01', iface: 'ens3' },
          { mac: 'fa:16:3e:00:00:02', iface: 'ens4' },
          { mac: 'fa:16:3e:00:00:03', iface: 'ens5' },
        ],
        new Set([11001]),
        new Map(),
        [],
        { first: 11001, last: 11002 },
      ),
    ).toThrow(/all 2 routing tables of 11001-11002 are in use/);
  });

  it('the ARP settings come from the configuration', () => {
    const live = new Map([['ens4', { arp_ignore: '0', arp_announce: '0', rp_filter: '1' }]]);
    expect(
      planSysctls([{ mac: 'fa:16:3e:00:00:04', iface: 'ens4' }], live, {}, new Map(), {
        arp_ignore: '2',
        arp_announce: '2',
        rp_filter: '0',
      }).set,
    ).toEqual([
      { iface: 'ens4', key: 'arp_ignore', value: '2' },
      { iface: 'ens4', key: 'arp_announce', value: '2' },
      { iface: 'ens4', key: 'rp_filter', value: '0' },
    ]);
  });

  it('reads systemd time spans', () => {
    expect([
      timeSpanSeconds('5min'),
      timeSpanSeconds('1h 30min'),
      timeSpanSeconds('90'),
      timeSpanSeconds('soon'),
    ]).toEqual([300, 5400, 90, undefined]);
  });
});
