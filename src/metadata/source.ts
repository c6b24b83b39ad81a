/** Chooses where network_data.json comes from and parses it. */
import { parseNetworkDataText, type ParsedNetworkData } from '../schema/parse.js';
import { DEFAULT_METADATA_URL, fetchNetworkData } from './fetch-metadata.js';
import { readNetworkDataFile } from './read-file.js';

export interface SourceOptions {
  networkDataFile?: string;
  metadataUrl?: string;
  timeoutMs?: number;
}

export interface LoadedNetworkData extends ParsedNetworkData {
  /** Where it came from: a path or a URL. */
  origin: string;
}

export async function loadNetworkData(options: SourceOptions): Promise<LoadedNetworkData> {
  if (options.networkDataFile) {
    const text = await readNetworkDataFile(options.networkDataFile);
    return { ...parseNetworkDataText(text, options.networkDataFile), origin: options.networkDataFile };
  }
  const { text, url } = await fetchNetworkData(options.metadataUrl ?? DEFAULT_METADATA_URL, { timeoutMs: options.timeoutMs ?? 10_000 });
  return { ...parseNetworkDataText(text, url), origin: url };
}
