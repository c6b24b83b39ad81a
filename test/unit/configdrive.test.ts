import { access, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetadataUnavailable } from '../../src/errors.js';
import type { Run, RunResult } from '../../src/kernel/run.js';
import { findConfigDrive, mountPointOf, NETWORK_DATA_PATH, readConfigDrive } from '../../src/metadata/config-drive.js';

const DOC = '{"links": [], "networks": []}';
const ok = (stdout = ''): RunResult => ({ stdout, stderr: '', exitCode: 0 });
const failed = (stderr: string, exitCode = 32): RunResult => ({ stdout: '', stderr, exitCode });

/** A fake `Run` that answers by command and records every call. */
function fakeRun(answer: (command: string, args: string[]) => RunResult | Promise<RunResult>) {
  const calls: string[][] = [];
  const run: Run = async (command, args) => {
    calls.push([command, ...args]);
    return answer(command, args);
  };
  return { run, calls };
}

describe('findConfigDrive', () => {
  it('asks blkid without its cache (stale after loop devices are reused), then probes the type', async () => {
    const { run, calls } = fakeRun((_command, args) => {
      if (args.includes('LABEL=config-2')) return failed('', 2); // blkid: nothing found
      if (args.includes('LABEL=CONFIG-2')) return ok('/dev/loop7\n');
      return ok('vfat\n');
    });
    expect(await findConfigDrive(run)).toEqual({ device: '/dev/loop7', type: 'vfat' });
    expect(calls).toEqual([
      ['blkid', '-c', '/dev/null', '-o', 'device', '-t', 'LABEL=config-2'],
      ['blkid', '-c', '/dev/null', '-o', 'device', '-t', 'LABEL=CONFIG-2'],
      ['blkid', '-c', '/dev/null', '-p', '-s', 'TYPE', '-o', 'value', '/dev/loop7'],
    ]);
  });

  it('finds none when no filesystem has either label', async () => {
    const { run } = fakeRun(() => failed('', 2));
    expect(await findConfigDrive(run)).toBeUndefined();
  });
});

describe('mountPointOf', () => {
  const mounts = [
    'sysfs /sys sysfs rw 0 0',
    '/dev/sr0 /media/config\\040drive iso9660 ro 0 0',
    '/dev/vdb /mnt/config vfat ro 0 0',
  ].join('\n');
  it('reads the mount point of the device from /proc/mounts, spaces unescaped', () => {
    expect(mountPointOf(mounts, '/dev/sr0')).toBe('/media/config drive');
    expect(mountPointOf(mounts, '/dev/vdb')).toBe('/mnt/config');
    expect(mountPointOf(mounts, '/dev/vdc')).toBeUndefined();
  });
});

describe('readConfigDrive', () => {
  it('reads where the drive is already mounted, running nothing', async () => {
    const mounted = await mkdtemp(join(tmpdir(), 'multinic-test-mounted-'));
    await mkdir(join(mounted, 'openstack', 'latest'), { recursive: true });
    await writeFile(join(mounted, NETWORK_DATA_PATH), DOC);
    const { run, calls } = fakeRun(() => failed('unexpected'));
    const result = await readConfigDrive(
      run,
      { device: '/dev/vdb', type: 'vfat' },
      { procMounts: `/dev/vdb ${mounted} vfat ro 0 0\n` },
    );
    expect(result).toEqual({ text: DOC, origin: `config drive /dev/vdb (vfat) mounted at ${mounted}` });
    expect(calls).toEqual([]);
  });

  it('else mounts it read-only in a private directory, reads, unmounts and removes the directory', async () => {
    let mountedAt = '';
    const { run, calls } = fakeRun(async (command, args) => {
      if (command === 'mount') {
        mountedAt = args.at(-1)!;
        // What the real mount would show: the drive's files under the mount point.
        await mkdir(join(mountedAt, 'openstack', 'latest'), { recursive: true });
        await writeFile(join(mountedAt, NETWORK_DATA_PATH), DOC);
      }
      return ok();
    });
    const result = await readConfigDrive(run, { device: '/dev/sr0', type: 'iso9660' }, { procMounts: '' });
    expect(result.text).toBe(DOC);
    expect(calls).toEqual([
      ['mount', '-o', 'ro', '-t', 'iso9660', '/dev/sr0', mountedAt],
      ['umount', mountedAt],
    ]);
    expect(mountedAt.startsWith(join(tmpdir(), 'multinic-configdrive-'))).toBe(true);
    await expect(access(mountedAt)).rejects.toThrow(/ENOENT/); // the private directory is gone
  });

  it('unmounts also when the mounted drive has no network_data.json, and says what is missing', async () => {
    const { run, calls } = fakeRun(() => ok());
    const error = await readConfigDrive(run, { device: '/dev/sr0', type: 'iso9660' }, { procMounts: '' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(MetadataUnavailable);
    expect((error as Error).message).toBe(`config drive /dev/sr0 (iso9660): no ${NETWORK_DATA_PATH} on it`);
    expect(calls.map((call) => call[0])).toEqual(['mount', 'umount']);
  });

  it('reads a vfat drive with mtools when the kernel refuses the mount', async () => {
    const { run, calls } = fakeRun((command) =>
      command === 'mount' ? failed('mount: unknown filesystem type vfat') : ok(DOC),
    );
    const result = await readConfigDrive(run, { device: '/dev/loop3', type: 'vfat' }, { procMounts: '' });
    expect(result).toEqual({ text: DOC, origin: 'config drive /dev/loop3 (vfat), read in user space' });
    expect(calls.slice(1)).toEqual([['mtype', '-i', '/dev/loop3', `::/${NETWORK_DATA_PATH}`]]);
  });

  it('reads an iso9660 drive with isoinfo, Rock Ridge names first and Joliet names next', async () => {
    const { run, calls } = fakeRun((command, args) => {
      if (command === 'mount') return failed('mount: permission denied');
      return args.includes('-J') ? ok(DOC) : ok(''); // isoinfo -x prints nothing for a name it does not find
    });
    const result = await readConfigDrive(run, { device: '/dev/loop4', type: 'iso9660' }, { procMounts: '' });
    expect(result.text).toBe(DOC);
    expect(calls.slice(1)).toEqual([
      ['isoinfo', '-i', '/dev/loop4', '-R', '-x', `/${NETWORK_DATA_PATH}`],
      ['isoinfo', '-i', '/dev/loop4', '-J', '-x', `/${NETWORK_DATA_PATH}`],
    ]);
  });

  it('gives up naming the device and every way it tried, when neither mount nor user space reads it', async () => {
    const { run } = fakeRun((command) => {
      if (command === 'mount') return failed('mount: permission denied');
      throw new Error('spawn mtype ENOENT'); // mtools not installed
    });
    const error = await readConfigDrive(run, { device: '/dev/loop5', type: 'vfat' }, { procMounts: '' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(MetadataUnavailable);
    expect((error as Error).message).toBe(
      `config drive /dev/loop5 (vfat): cannot read ${NETWORK_DATA_PATH} (mount: mount: permission denied; mtype: spawn mtype ENOENT)`,
    );
  });
});
