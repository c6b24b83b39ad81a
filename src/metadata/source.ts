/** Chooses where network_data.json comes from and parses it. */
import { parseNetworkDataText, type ParsedNetworkData } from '../schema/parse.js';
import { DEFAULT_METADATA_URL, fetchNetworkData, type RetryNotice } from './fetch-metadata.js';
import { readNetworkDataFile } from './read-file.js';

export interface SourceOptions {
  networkDataFile?: string;
  metadataUrl?: string;
  /** Per HTTP request. */
  timeoutMs?: number;
  /** For the whole fetch, retries included. */
  deadlineMs?: number;
  onRetry?: (notice: RetryNotice) => void;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** At first boot the metadata service can take a while; two minutes, as cloud-init's default max_wait is 120 s. */
export const DEFAULT_DEADLINE_MS = 120_000;

export interface LoadedNetworkData extends ParsedNetworkData {
  /** Where it came from: a path or a URL. */
  origin: string;
}

export async function loadNetworkData(options: SourceOptions): Promise<LoadedNetworkData> {
  if (options.networkDataFile) {
    const text = await readNetworkDataFile(options.networkDataFile);
    return { ...parseNetworkDataText(text, options.networkDataFile), origin: options.networkDataFile };
  }
  const { text, url } = await fetchNetworkData(options.metadataUrl ?? DEFAULT_METADATA_URL, {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    deadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
  return { ...parseNetworkDataText(text, url), origin: url };
}
