/**
 * network_data.json from a file given with --network-data: a regular file, or a pipe (a
 * shell's `<(curl …)`, /dev/stdin), bounded in size and in time (the source step's
 * deadline), so a FIFO with no writer or /dev/urandom cannot hang the run or fill memory.
 */
import { InvalidNetworkData, MetadataUnavailable } from '../errors.js';
import { BoundedReadError, readBounded } from '../io/read-bounded.js';

/** A network_data.json is a few kB (a 64-NIC one about 40 kB); anything this large is not one. */
export const INPUT_CAP = 4 * 1024 * 1024;

export async function readNetworkDataFile(path: string, timeoutMs: number): Promise<string> {
  try {
    return (await readBounded(path, { maxBytes: INPUT_CAP, timeoutMs, allowPipe: true })).toString('utf8');
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    const message = `${path}: cannot read network_data.json (${error.message})`;
    // Too large, or a device or directory: not a document, whatever a retry brings.
    if (error.reason === 'too-large' || error.reason === 'not-a-file')
      throw new InvalidNetworkData(message, { cause: error });
    throw new MetadataUnavailable(message, { cause: error });
  }
}
