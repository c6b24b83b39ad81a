/**
 * What a run says about where network_data.json comes from, and the defaults. Apart from
 * source.ts so that the CLI reads its options without loading the fetchers and the schema.
 */
import type { RetryNotice } from './fetch-metadata.js';

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
