/**
 * network_data.json from a config drive: the filesystem labelled config-2 (vfat or
 * iso9660) that Nova attaches when the cloud uses config drives. Read where it is
 * already mounted; else mounted read-only in a private temporary directory; and where
 * the kernel refuses the mount (a container without the vfat or iso9660 module), read
 * from the device in user space with mtools or isoinfo rather than give up.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidNetworkData, MetadataUnavailable } from '../errors.js';
import { readBounded } from '../io/read-bounded.js';
import type { Run } from '../kernel/run.js';
import { INPUT_CAP } from './read-file.js';

/** The file on the drive, bounded like --network-data: a regular file of at most INPUT_CAP. */
async function readDriveFile(path: string): Promise<string> {
  return (await readBounded(path, { maxBytes: INPUT_CAP, timeoutMs: 0 })).toString('utf8');
}

export const CONFIG_DRIVE_LABELS = ['config-2', 'CONFIG-2'];
export const NETWORK_DATA_PATH = 'openstack/latest/network_data.json';

export interface ConfigDrive {
  device: string;
  /** vfat or iso9660. */
  type: string;
}

/**
 * The config drive, if any. `-c /dev/null` keeps blkid from answering from its cache,
 * which goes stale when loop devices are reused; `-p` probes the device itself.
 */
export async function findConfigDrive(run: Run): Promise<ConfigDrive | undefined> {
  for (const label of CONFIG_DRIVE_LABELS) {
    const found = await run('blkid', ['-c', '/dev/null', '-o', 'device', '-t', `LABEL=${label}`]);
    const device =
      found.exitCode === 0
        ? found.stdout
            .split('\n')
            .map((line) => line.trim())
            .find(Boolean)
        : undefined;
    if (!device) continue;
    const probe = await run('blkid', ['-c', '/dev/null', '-p', '-s', 'TYPE', '-o', 'value', device]);
    return { device, type: probe.stdout.trim() || 'unknown' };
  }
  return undefined;
}

/** Where the device is mounted already, from /proc/mounts text. Pure. */
export function mountPointOf(procMounts: string, device: string): string | undefined {
  for (const line of procMounts.split('\n')) {
    const [source, target] = line.split(' ');
    // /proc/mounts escapes spaces in paths as \040.
    if (source === device && target) return target.replace(/\\040/g, ' ');
  }
  return undefined;
}

export async function readConfigDrive(
  run: Run,
  drive: ConfigDrive,
  options: { procMounts?: string } = {},
): Promise<{ text: string; origin: string }> {
  const origin = `config drive ${drive.device} (${drive.type})`;
  const mounts = options.procMounts ?? (await readFile('/proc/mounts', 'utf8').catch(() => ''));
  const mounted = mountPointOf(mounts, drive.device);
  if (mounted) {
    const text = await readDriveFile(join(mounted, NETWORK_DATA_PATH)).catch(() => undefined);
    if (text !== undefined) return { text, origin: `${origin} mounted at ${mounted}` };
  }
  const dir = await mkdtemp(join(tmpdir(), 'multinic-configdrive-'));
  try {
    const mount = await run('mount', [
      '-o',
      'ro',
      ...(drive.type === 'vfat' || drive.type === 'iso9660' ? ['-t', drive.type] : []),
      drive.device,
      dir,
    ]);
    if (mount.exitCode === 0) {
      try {
        return { text: await readDriveFile(join(dir, NETWORK_DATA_PATH)), origin };
      } catch (error) {
        throw new MetadataUnavailable(`${origin}: no ${NETWORK_DATA_PATH} on it`, { cause: error });
      } finally {
        await run('umount', [dir]);
      }
    }
    return { text: await readInUserSpace(run, drive, mount.stderr.trim()), origin: `${origin}, read in user space` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readInUserSpace(run: Run, drive: ConfigDrive, mountError: string): Promise<string> {
  const attempts: [string, string[]][] =
    drive.type === 'vfat'
      ? [['mtype', ['-i', drive.device, `::/${NETWORK_DATA_PATH}`]]]
      : [
          ['isoinfo', ['-i', drive.device, '-R', '-x', `/${NETWORK_DATA_PATH}`]],
          ['isoinfo', ['-i', drive.device, '-J', '-x', `/${NETWORK_DATA_PATH}`]],
        ];
  const failures = [`mount: ${mountError || 'refused'}`];
  for (const [command, args] of attempts) {
    // mtools checks the device's geometry against the filesystem's and refuses odd-sized
    // images (a config drive written to a partition, a loop device): skip that check.
    const env = command === 'mtype' ? { env: { MTOOLS_SKIP_CHECK: '1' } } : {};
    const result = await run(command, args, env).catch((error: unknown) => ({
      exitCode: 127,
      stdout: '',
      stderr: (error as Error).message,
    }));
    if (result.exitCode === 0 && result.stdout.length > INPUT_CAP)
      throw new InvalidNetworkData(
        `config drive ${drive.device}: ${NETWORK_DATA_PATH} is larger than ${INPUT_CAP} bytes: not a network_data.json`,
      );
    if (result.exitCode === 0 && result.stdout.trim()) return result.stdout;
    failures.push(
      `${command}: ${result.stderr.trim() || (result.exitCode === 0 ? 'nothing read' : `exit ${result.exitCode}`)}`,
    );
  }
  throw new MetadataUnavailable(
    `config drive ${drive.device} (${drive.type}): cannot read ${NETWORK_DATA_PATH} (${failures.join('; ')})`,
  );
}
