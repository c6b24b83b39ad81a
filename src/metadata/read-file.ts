/** network_data.json from a file given with --network-data. */
import { readFile } from 'node:fs/promises';
import { MetadataUnavailable } from '../errors.js';

export async function readNetworkDataFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new MetadataUnavailable(`${path}: cannot read network_data.json (${why})`, { cause: error });
  }
}
