/**
 * Chooses where network_data.json comes from, fetches it and parses it. A document that
 * does not parse is refused (exit 65); no source at all is MetadataUnavailable (exit 69);
 * neither is ever treated as "no NICs".
 */
import { MetadataUnavailable, UsageError } from '../errors.js';
import type { Run } from '../kernel/run.js';
import { parseNetworkDataText, type ParsedNetworkData } from '../schema/parse.js';
import { readCachedNetworkData } from './cache.js';
import { findConfigDrive, readConfigDrive } from './config-drive.js';
import { DEFAULT_METADATA_URL, fetchNetworkData, type RetryNotice } from './fetch-metadata.js';
import { readNetworkDataFile } from './read-file.js';

export const SOURCES = ['auto', 'metadata', 'configdrive', 'file'] as const;
export type SourceName = (typeof SOURCES)[number];

export interface SourceOptions {
  source?: SourceName;
  networkDataFile?: string;
  metadataUrl?: string;
  /** Per HTTP request. */
  timeoutMs?: number;
  /** For the whole fetch, retries included. */
  deadlineMs?: number;
  /** Use the last good document in the state dir; ask no network. */
  offline?: boolean;
  stateDir?: string;
  onRetry?: (notice: RetryNotice) => void;
  onNote?: (message: string) => void;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** At first boot the metadata service can take a while; two minutes, as cloud-init's default max_wait is 120 s. */
export const DEFAULT_DEADLINE_MS = 120_000;

export interface LoadedNetworkData extends ParsedNetworkData {
  /** Where it came from: a path, a URL, a device. */
  origin: string;
  /** The document as read, for the last-good cache. */
  text: string;
}

export async function loadNetworkData(options: SourceOptions, run: Run): Promise<LoadedNetworkData> {
  const { text, origin } = await readSource(options, run);
  return { ...parseNetworkDataText(text, origin), origin, text };
}

async function readSource(options: SourceOptions, run: Run): Promise<{ text: string; origin: string }> {
  const source = options.source ?? 'auto';
  if (options.offline) {
    if (!options.stateDir) throw new UsageError('--offline needs a state dir');
    return { text: await readCachedNetworkData(options.stateDir), origin: `${options.stateDir}/network_data.json (cached, --offline)` };
  }
  if (source === 'file' || (source === 'auto' && options.networkDataFile)) {
    if (!options.networkDataFile) throw new UsageError('--source file needs --network-data FILE');
    return { text: await readNetworkDataFile(options.networkDataFile), origin: options.networkDataFile };
  }
  if (source === 'configdrive' || source === 'auto') {
    // As cloud-init does: a config drive, when there is one, comes before the network.
    const drive = await findConfigDrive(run);
    if (drive) return await readConfigDrive(run, drive);
    if (source === 'configdrive') {
      throw new MetadataUnavailable('no config drive: no filesystem labelled config-2 or CONFIG-2 (blkid)');
    }
    options.onNote?.('no config drive (no filesystem labelled config-2); asking the metadata service');
  }
  const { text, url } = await fetchNetworkData(options.metadataUrl ?? DEFAULT_METADATA_URL, {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    deadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
  return { text, origin: url };
}
