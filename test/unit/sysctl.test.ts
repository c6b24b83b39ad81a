import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planSysctls, toSysctlCommands, type LiveSysctls } from '../../src/sysctl/plan-sysctl.js';
import { readSysctls, writeSysctls } from '../../src/sysctl/read-write.js';
import { renderSysctlConf } from '../../src/sysctl/render-conf.js';

const defaults = { arp_ignore: '0', arp_announce: '0', rp_filter: '1' };
const MAC3 = 'fa:16:3e:00:00:03';
const MAC4 = 'fa:16:3e:00:00:04';

describe('planSysctls', () => {
  it('sets arp_ignore=1, arp_announce=2, rp_filter=2 on managed interfaces only and remembers the old values', () => {
    const live: LiveSysctls = new Map([
      ['ens3', defaults],
      ['ens4', defaults],
      ['docker0', defaults],
    ]);
    const result = planSysctls(
      [
        { mac: MAC3, iface: 'ens3' },
        { mac: MAC4, iface: 'ens4' },
      ],
      live,
      {},
    );
    expect(toSysctlCommands(result.set)).toEqual([
      'sysctl -w net.ipv4.conf.ens3.arp_ignore=1',
      'sysctl -w net.ipv4.conf.ens3.arp_announce=2',
      'sysctl -w net.ipv4.conf.ens3.rp_filter=2',
      'sysctl -w net.ipv4.conf.ens4.arp_ignore=1',
      'sysctl -w net.ipv4.conf.ens4.arp_announce=2',
      'sysctl -w net.ipv4.conf.ens4.rp_filter=2',
    ]);
    expect(result.originals).toEqual({ [MAC3]: defaults, [MAC4]: defaults });
  });

  it('changes nothing on a rerun and keeps the first values seen', () => {
    const first = planSysctls([{ mac: MAC3, iface: 'ens3' }], new Map([['ens3', defaults]]), {});
    const settled = new Map([['ens3', { arp_ignore: '1', arp_announce: '2', rp_filter: '2' }]]);
    const again = planSysctls([{ mac: MAC3, iface: 'ens3' }], settled, first.originals);
    expect(again.set).toEqual([]);
    expect(again.originals).toEqual({ [MAC3]: defaults });
  });

  it('puts the old values back when a NIC is released, unless someone changed them since', () => {
    const originals = { [MAC4]: defaults };
    const live: LiveSysctls = new Map([['ens4', { arp_ignore: '1', arp_announce: '2', rp_filter: '0' }]]);
    const result = planSysctls([], live, originals, new Map([[MAC4, 'ens4']]));
    expect(toSysctlCommands(result.set)).toEqual([
      'sysctl -w net.ipv4.conf.ens4.arp_ignore=0',
      'sysctl -w net.ipv4.conf.ens4.arp_announce=0',
    ]);
    expect(result.originals).toEqual({});
  });

  it('forgets an interface that is gone', () => {
    expect(planSysctls([], new Map(), { [MAC4]: defaults })).toEqual({ set: [], desired: [], originals: {} });
  });

  it('keys the values to put back by MAC: a NIC renamed since it was managed gets them back when released (issue 17)', () => {
    // Managed as ens4; renamed to eth7 (udev, a new image); released from the metadata.
    const managed = planSysctls([{ mac: MAC4, iface: 'ens4' }], new Map([['ens4', defaults]]), {});
    expect(Object.keys(managed.originals)).toEqual([MAC4]);
    const renamed: LiveSysctls = new Map([
      ['eth7', { arp_ignore: '1', arp_announce: '2', rp_filter: '2' }],
      ['ens4', { arp_ignore: '1', arp_announce: '2', rp_filter: '2' }],
    ]);
    const released = planSysctls([], renamed, managed.originals, new Map([[MAC4, 'eth7']]));
    expect(toSysctlCommands(released.set)).toEqual([
      'sysctl -w net.ipv4.conf.eth7.arp_ignore=0',
      'sysctl -w net.ipv4.conf.eth7.arp_announce=0',
      'sysctl -w net.ipv4.conf.eth7.rp_filter=1',
    ]);
  });

  it('names VLAN interfaces with the slash form sysctl needs', () => {
    const result = planSysctls([{ mac: MAC3, iface: 'bond0.101' }], new Map([['bond0.101', defaults]]), {});
    expect(toSysctlCommands(result.set)[0]).toBe('sysctl -w net/ipv4/conf/bond0.101/arp_ignore=1');
    expect(renderSysctlConf(result.desired)).toContain('net/ipv4/conf/bond0.101/rp_filter = 2\n');
  });
});

describe('sysctl files', () => {
  it('reads and writes values under a /proc/sys tree', async () => {
    const procSys = await mkdtemp(join(tmpdir(), 'multinic-procsys-'));
    const dir = join(procSys, 'net', 'ipv4', 'conf', 'ens3');
    await mkdir(dir, { recursive: true });
    for (const [key, value] of Object.entries(defaults)) await writeFile(join(dir, key), `${value}\n`);
    expect(await readSysctls(['ens3', 'gone0'], procSys)).toEqual(new Map([['ens3', defaults]]));
    await writeSysctls([{ iface: 'ens3', key: 'rp_filter', value: '2' }], procSys);
    expect(await readFile(join(dir, 'rp_filter'), 'utf8')).toBe('2\n');
    await expect(writeSysctls([{ iface: 'gone0', key: 'rp_filter', value: '2' }], procSys)).rejects.toThrow(
      /gone0: left the guest during the run \(cannot set net.ipv4.conf.gone0.rp_filter\)/,
    );
  });
});
