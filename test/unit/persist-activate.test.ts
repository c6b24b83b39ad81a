import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/kernel/run.js';
import { activatePersisted } from '../../src/persist/activate.js';
import type { WriteReport } from '../../src/persist/write.js';

const report = (written: string[], removed: string[] = []): WriteReport => ({
  written,
  unchanged: [],
  removed,
  refused: [],
});

function fakeRun(exitCode = 0, stderr = '') {
  const calls: string[][] = [];
  const run: Run = async (command, args) => {
    calls.push([command, ...args]);
    return { exitCode, stdout: '', stderr };
  };
  return { run, calls };
}

describe("activatePersisted: the owner's runtime configuration follows what was persisted (issue 13, scenario 7)", () => {
  it('runs netplan generate after the netplan files changed on the live system, so a networkctl reload keeps the rules', async () => {
    const { run, calls } = fakeRun();
    await activatePersisted('netplan', '/', report(['etc/netplan/90-multinic.yaml']), run);
    expect(calls).toEqual([['netplan', 'generate']]);
  });

  it('also when a file was removed (a detached NIC)', async () => {
    const { run, calls } = fakeRun();
    await activatePersisted('netplan', '/', report([], ['etc/netplan/90-multinic.yaml']), run);
    expect(calls).toEqual([['netplan', 'generate']]);
  });

  it('does nothing when nothing changed, for an image tree (--root), or for another backend', async () => {
    const { run, calls } = fakeRun();
    await activatePersisted('netplan', '/', report([]), run);
    await activatePersisted('netplan', '/srv/image', report(['etc/netplan/90-multinic.yaml']), run);
    await activatePersisted('ifupdown', '/', report(['etc/network/interfaces.d/90-multinic']), run);
    expect(calls).toEqual([]);
  });

  it('a failing or missing netplan is not an error of the run', async () => {
    const { run, calls } = fakeRun(1, 'Error in network definition');
    await expect(
      activatePersisted('netplan', '/', report(['etc/netplan/90-multinic.yaml']), run),
    ).resolves.toBeUndefined();
    const missing: Run = async () => {
      throw new Error('netplan: could not run (ENOENT)');
    };
    await expect(
      activatePersisted('netplan', '/', report(['etc/netplan/90-multinic.yaml']), missing),
    ).resolves.toBeUndefined();
    expect(calls).toEqual([['netplan', 'generate']]);
  });

  it('NetworkManager re-reads its connection files (nmcli connection reload) after multinic changed one, so a reactivation keeps the rules', async () => {
    const { run, calls } = fakeRun();
    await activatePersisted(
      'networkmanager',
      '/',
      report(['/etc/NetworkManager/system-connections/cloud-init-ens3.nmconnection']),
      run,
    );
    await activatePersisted('networkmanager', '/', report([]), run);
    await activatePersisted(
      'networkmanager',
      '/srv/image',
      report(['/etc/NetworkManager/system-connections/cloud-init-ens3.nmconnection']),
      run,
    );
    expect(calls).toEqual([['nmcli', 'connection', 'reload']]);
  });
});
