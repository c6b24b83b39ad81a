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
import { DEFAULT_METADATA_URL, fetchNetworkData } from './fetch-metadata.js';
import { readNetworkDataFile } from './read-file.js';
import { DEFAULT_DEADLINE_MS, DEFAULT_TIMEOUT_MS, type SourceOptions } from './source-options.js';
import { formatMs } from '../io/units.js';

function parseJsonArray(text: string): unknown[] {
  try {
    const json = JSON.parse(text.trim() || '[]') as unknown;
    return Array.isArray(json) ? json : [];
  } catch {
    return [];
  }
}

export interface LoadedNetworkData extends ParsedNetworkData {
  /** Where it came from: a path, a URL, a device. */
  origin: string;
  /** The document as read, for the last-good cache. */
  text: string;
  /**
   * Whether reading the same source again can give another answer during this run: yes for
   * the metadata service and a file; no for the cache and for a config drive, which Nova
   * writes once, at boot, and which never lists a port attached later.
   */
  mayChange: boolean;
}

/**
 * The source step, bounded as a whole by --deadline: finding a config drive, reading a
 * file or a pipe, and every request and retry of the metadata service (each request also
 * gets only what is left of the deadline, so nothing lingers after it).
 */
/**
 * `unchanged`: a document loaded before from the same source (a wait looking again): when
 * the text is the same it is returned as it is, not parsed and judged again. Every look of
 * a hotplug wait costs CPU, and under emulation the schema check is a good part of it.
 */
export async function loadNetworkData(
  options: SourceOptions,
  run: Run,
  unchanged?: LoadedNetworkData,
): Promise<LoadedNetworkData> {
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const end = Date.now() + deadlineMs;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new MetadataUnavailable(
          `${describeSource(options)}: no network_data.json within the deadline of ${formatMs(deadlineMs)} (--deadline, the bound on reading the source)`,
        ),
      );
    }, deadlineMs);
  });
  try {
    const { text, origin, mayChange } = await Promise.race([readSource(options, run, end), deadline]);
    if (unchanged?.text === text && unchanged.origin === origin) return unchanged;
    return { ...parseNetworkDataText(text, origin), origin, text, mayChange };
  } finally {
    clearTimeout(timer);
  }
}

function describeSource(options: SourceOptions): string {
  if (options.offline) return `${options.stateDir ?? '(no state dir)'}/network_data.json`;
  if (options.networkDataFile && (options.source ?? 'auto') !== 'metadata' && options.source !== 'configdrive')
    return options.networkDataFile;
  if (options.source === 'configdrive') return 'the config drive';
  return (
    options.metadataUrl ??
    (options.source === 'metadata' ? DEFAULT_METADATA_URL : 'the config drive or the metadata service')
  );
}

async function readSource(
  options: SourceOptions,
  run: Run,
  end: number,
): Promise<{ text: string; origin: string; mayChange: boolean }> {
  const source = options.source ?? 'auto';
  if (options.offline) {
    if (!options.stateDir) throw new UsageError('--offline needs a state dir');
    const warn = (message: string) => options.onNote?.(`warning: ${message}`);
    return {
      text: await readCachedNetworkData(options.stateDir, warn),
      origin: `${options.stateDir}/network_data.json (cached, --offline)`,
      mayChange: false,
    };
  }
  if (source === 'file' || (source === 'auto' && options.networkDataFile)) {
    if (!options.networkDataFile) throw new UsageError('--source file needs --network-data FILE');
    return {
      text: await readNetworkDataFile(options.networkDataFile, Math.max(1, end - Date.now())),
      origin: options.networkDataFile,
      mayChange: true,
    };
  }
  if (source === 'configdrive' || source === 'auto') {
    // As cloud-init does: a config drive, when there is one, comes before the network.
    const drive = await findConfigDrive(run);
    if (drive) {
      try {
        return { ...(await readConfigDrive(run, drive)), mayChange: false };
      } catch (error) {
        // Config drives of clouds older than Liberty carry no network_data.json (glean's
        // hp and rax fixtures): with `auto` the metadata service may still have it.
        if (source === 'configdrive' || !(error instanceof MetadataUnavailable)) throw error;
        options.onNote?.(`${error.message}; asking the metadata service`);
      }
    } else if (source === 'configdrive') {
      throw new MetadataUnavailable('no config drive: no filesystem labelled config-2 or CONFIG-2 (blkid)');
    } else {
      options.onNote?.('no config drive (no filesystem labelled config-2); asking the metadata service');
    }
  }
  const baseUrl = options.metadataUrl ?? (await defaultMetadataUrl(run, options.onNote));
  try {
    const { text, url } = await fetchNetworkData(baseUrl, {
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      // What is left of the step's deadline after the config drive was looked for.
      deadlineMs: Math.max(1, end - Date.now()),
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    });
    return { text, origin: url, mayChange: true };
  } catch (error) {
    if (source === 'metadata' && error instanceof MetadataUnavailable) throw withoutMetadataService(error);
    throw error;
  }
}

/**
 * `--source metadata` is what the hotplug run (multinic@.service) asks for: only the
 * metadata service lists a port attached after boot. When there is none, say so, and what
 * can be done without it.
 */
function withoutMetadataService(error: MetadataUnavailable): MetadataUnavailable {
  return new MetadataUnavailable(
    `${error.message}. Only the metadata service lists a port attached after boot (Nova writes the config drive once, at boot). ` +
      'Without one: multinic apply --network-data FILE with a document that lists the port, or MULTINIC_HOTPLUG_SOURCE=auto in /etc/multinic/multinic.conf to converge on what the config drive lists (README)',
    { cause: error },
  );
}

/** Nova's metadata service also answers on this IPv6 link-local address (since Wallaby). */
export const METADATA_LINK_LOCAL = 'fe80::a9fe:a9fe';

/**
 * http://169.254.169.254, unless the guest has no IPv4 route to it (an IPv6-only guest):
 * then the link-local address, on the interface of the IPv6 default route.
 */
/**
 * Which address to ask, found once per runner (one run of the CLI): a wait that looks at
 * the metadata again and again does not spawn `ip` for it each time (issue 13: under
 * emulation a spawn from the 99 MB single executable is a good part of a look's CPU).
 */
const metadataUrls = new WeakMap<Run, Promise<string>>();

function defaultMetadataUrl(run: Run, onNote?: (message: string) => void): Promise<string> {
  let url = metadataUrls.get(run);
  if (!url) {
    url = findMetadataUrl(run, onNote);
    metadataUrls.set(run, url);
    // A failure is not remembered: the next look tries again.
    url.catch(() => metadataUrls.delete(run));
  }
  return url;
}

async function findMetadataUrl(run: Run, onNote?: (message: string) => void): Promise<string> {
  const v4 = await run('ip', ['-j', 'route', 'get', '169.254.169.254']);
  if (v4.exitCode === 0) return DEFAULT_METADATA_URL;
  const v6 = await run('ip', ['-j', '-6', 'route', 'show', 'default']);
  const routes = v6.exitCode === 0 ? parseJsonArray(v6.stdout) : [];
  const dev = routes
    .map((route) => (route as { dev?: unknown } | null)?.dev)
    .find((name): name is string => typeof name === 'string');
  if (!dev) return DEFAULT_METADATA_URL; // nothing better to try: the fetch names the failure
  const url = `http://[${METADATA_LINK_LOCAL}%${dev}]`;
  onNote?.(`no IPv4 route to 169.254.169.254; asking ${url}`);
  return url;
}
