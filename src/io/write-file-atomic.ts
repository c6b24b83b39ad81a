/**
 * Atomic file writes: a temporary file beside the target, fsync, rename, then fsync of
 * the directory, so a power cut leaves either the old file or the new one.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { chaosPoint } from '../state/chaos.js';
import { readBounded } from './read-bounded.js';

/**
 * A temporary name no other writer picks: the process id and a counter keep this process's
 * names apart, the random part those of a process that reused a crashed one's id. Not
 * node:crypto, whose loading cost more than the rest of this module (npm run bench).
 */
let tempCounter = 0;
function tempName(path: string): string {
  const unique = `${process.pid.toString(36)}-${(tempCounter++).toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  return join(dirname(path), `.${basename(path)}.${unique}.tmp`);
}

/** Whether a directory entry is one of these temporary files (a killed run's leftovers). */
export function isTempName(name: string): boolean {
  return /^\..+\.[0-9a-z]+-[0-9a-z]+-[0-9a-z]*\.tmp$/.test(name);
}

export async function writeFileAtomic(path: string, content: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = tempName(path);
  try {
    const handle = await open(temp, 'w', mode);
    try {
      await handle.writeFile(content);
      await handle.chmod(mode); // the umask must not loosen (or tighten) what we asked for
      await handle.sync();
    } finally {
      await handle.close();
    }
    chaosPoint(`${basename(path)}:temp`);
    await rename(temp, path);
  } catch (error) {
    // A full disk fails the write, not the open: the empty temp file must not pile up.
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/** Writes only when the content differs, so an unchanged file keeps its mtime. */
export async function writeFileIfChanged(path: string, content: string, mode = 0o644): Promise<boolean> {
  // Bounded: what sits at the path may be a FIFO or a huge file; either way it is replaced.
  const current = await readBounded(path, { maxBytes: Buffer.byteLength(content) + 1, timeoutMs: 0 }).then(
    (bytes) => bytes.toString('utf8'),
    () => undefined,
  );
  if (current === content) return false;
  await writeFileAtomic(path, content, mode);
  return true;
}
