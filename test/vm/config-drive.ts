/**
 * A real config drive as Nova writes one: a filesystem labelled config-2 holding
 * openstack/latest/{meta_data.json,network_data.json,user_data}, as vfat (Nova's
 * config_drive_format=vfat) or iso9660 (the default). Made without mounting anything
 * (the test machines cannot mount either): mkfs.vfat + mtools, or genisoimage.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { must } from './run.js';

export type DriveFormat = 'vfat' | 'iso9660';

export interface DriveContent {
  metaData: unknown;
  networkData: unknown;
  /** Text, or bytes (gzip'd user_data, which cloud-init unpacks itself). */
  userData: string | Uint8Array;
}

export async function makeConfigDrive(path: string, format: DriveFormat, content: DriveContent): Promise<string> {
  const work = await mkdtemp(`${path}.src-`);
  try {
    const latest = join(work, 'openstack', 'latest');
    await mkdir(latest, { recursive: true });
    await writeFile(join(latest, 'meta_data.json'), JSON.stringify(content.metaData));
    await writeFile(join(latest, 'network_data.json'), JSON.stringify(content.networkData));
    await writeFile(join(latest, 'user_data'), content.userData);
    await rm(path, { force: true });
    if (format === 'iso9660') {
      await must('genisoimage', ['-quiet', '-o', path, '-V', 'config-2', '-r', '-J', work]);
    } else {
      // Nova's vfat drive is 64 MiB; the label is what the guest looks for.
      await must('mkfs.vfat', ['-n', 'config-2', '-C', path, String(64 * 1024)]);
      await must('mcopy', ['-i', path, '-s', join(work, 'openstack'), '::/']);
    }
    return path;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** meta_data.json as Nova writes it (the fields cloud-init's OpenStack sources read). */
export function novaMetaData(uuid: string, name: string): Record<string, unknown> {
  return {
    uuid,
    name,
    hostname: name,
    availability_zone: 'nova',
    launch_index: 0,
    project_id: 'f0e1d2c3b4a5',
    meta: {},
    public_keys: {},
    keys: [],
    devices: [],
  };
}
