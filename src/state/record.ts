/**
 * The record step of apply: state.json, applied.json and the last-good document, written
 * once the kernel holds the plan and verify accepted it. Each file keeps what it held
 * before, so a failure after this step (persist) puts them back with the kernel.
 *
 * The order is for a kill at any instant: state.json first (and even without it the next
 * run rebuilds the same tables from the kernel's tagged rules), then applied.json, then the
 * cache, which only ever holds a document a kernel accepted.
 */
import { join } from 'node:path';
import { readBounded } from '../io/read-bounded.js';
import { CACHE_FILE, cacheText } from '../metadata/cache.js';
import type { State } from '../plan/types.js';
import { APPLIED_FILE, type AppliedRecord } from './applied.js';
import { removeStateFile, STATE_FILE_CAP, writeStateFile } from './files.js';
import { STATE_FILE } from './store.js';

export interface RunRecord {
  state: State;
  applied: AppliedRecord;
  /** The document's text; absent with --offline (it came from the cache). */
  document?: string;
}

/** Writes the record; returns how to put the files back as they were. */
export async function writeRecord(stateDir: string, record: RunRecord): Promise<() => Promise<void>> {
  const files: [name: string, content: string, mode: number][] = [
    [STATE_FILE, `${JSON.stringify(record.state, null, 2)}\n`, 0o644],
    [APPLIED_FILE, `${JSON.stringify(record.applied, null, 2)}\n`, 0o644],
    ...(record.document === undefined
      ? []
      : [[CACHE_FILE, cacheText(record.document), 0o600] as [string, string, number]]),
  ];
  const previous: [name: string, content: string | undefined, mode: number][] = [];
  for (const [name, content, mode] of files) {
    const before = await readBounded(join(stateDir, name), {
      maxBytes: STATE_FILE_CAP,
      timeoutMs: 0,
      noFollow: true,
    }).then(
      (bytes) => bytes.toString('utf8'),
      () => undefined,
    );
    if (await writeStateFile(stateDir, name, content, mode)) previous.push([name, before, mode]);
  }
  return async () => {
    for (const [name, content, mode] of previous.reverse()) {
      if (content === undefined) await removeStateFile(stateDir, name);
      else await writeStateFile(stateDir, name, content, mode);
    }
  };
}
