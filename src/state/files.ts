/**
 * The one reader and writer of the files in the state dir. Each file has a schema; a file
 * that is empty, not JSON, of the wrong shape, too large, or not a regular file (a FIFO, a
 * device, a directory, a symbolic link that could point out of the state dir) is moved
 * aside with a timestamp, for a person to look at, and read as missing: the caller rebuilds
 * what it held (the tables from the kernel's tagged rules) and the run goes on with a
 * warning naming the file. One damaged file must never wedge every later run at boot.
 */
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ZodMiniType } from 'zod/mini';
import * as z from '../schema/zod.js';
import { StorageFailed } from '../errors.js';
import { BoundedReadError, describeErrno, readBounded } from '../io/read-bounded.js';
import { isTempName, writeFileIfChanged } from '../io/write-file-atomic.js';
import { chaosPoint } from './chaos.js';

/** State files are a few kB at 64 NICs; the cap only stops a runaway file from filling memory. */
export const STATE_FILE_CAP = 16 * 1024 * 1024;

export interface StateFileSpec<T> {
  name: string;
  schema: ZodMiniType<T>;
  /** What the caller does instead, for the warning: "rebuilt from the kernel's tagged rules". */
  recovery: string;
}

export type Warn = (message: string) => void;

/**
 * The parsed file, or undefined when it is missing or was damaged (then moved aside and
 * `warn` told). Never throws for what the file holds.
 */
export async function readStateFile<T>(stateDir: string, spec: StateFileSpec<T>, warn: Warn): Promise<T | undefined> {
  const path = join(stateDir, spec.name);
  let text: string;
  try {
    text = (await readBounded(path, { maxBytes: STATE_FILE_CAP, timeoutMs: 0, noFollow: true })).toString('utf8');
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    if (error.reason === 'missing') return undefined;
    const cause = (error.cause as NodeJS.ErrnoException | undefined)?.code;
    // The state dir itself unusable (not a directory, not readable): nothing to move aside.
    if (cause === 'ENOTDIR' || cause === 'EACCES')
      throw new StorageFailed(`${path}: cannot read (${error.message})`, { cause: error });
    await moveAside(path, error.message, spec.recovery, warn);
    return undefined;
  }
  const problem = problemWith(text, spec.schema);
  if (problem === undefined) return spec.schema.parse(JSON.parse(text));
  await moveAside(path, problem, spec.recovery, warn);
  return undefined;
}

function problemWith<T>(text: string, schema: ZodMiniType<T>): string | undefined {
  if (text.trim() === '') return 'empty';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return `not JSON (${text.length} bytes, truncated or overwritten)`;
  }
  const parsed = schema.safeParse(json);
  return parsed.success
    ? undefined
    : `not the shape multinic writes (${z.prettifyError(parsed.error).replace(/\s*\n\s*/g, '; ')})`;
}

/** e.g. state.json.damaged-20261202T053000Z, beside the file. */
export function asidePath(path: string, now = new Date()): string {
  return `${path}.damaged-${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}`;
}

async function moveAside(path: string, problem: string, recovery: string, warn: Warn): Promise<void> {
  const aside = asidePath(path);
  try {
    await rename(path, aside);
    warn(`${path}: ${problem}; moved aside to ${aside} and ${recovery}`);
  } catch (error) {
    // A read-only state dir: the run can still go on (and change nothing it cannot record).
    warn(`${path}: ${problem}; ${recovery} (could not move it aside: ${describeErrno(error)})`);
  }
}

/** Writes a state file (temp, fsync, rename) when its content changed; failures name the file and the cause. */
export async function writeStateFile(stateDir: string, name: string, content: string, mode = 0o644): Promise<boolean> {
  const path = join(stateDir, name);
  let written: boolean;
  try {
    written = await writeFileIfChanged(path, content, mode);
  } catch (error) {
    throw new StorageFailed(`${path}: cannot write (${describeErrno(error)})`, { cause: error });
  }
  chaosPoint(name);
  return written;
}

/** Removes a state file (undo of a first write); a missing one is fine. */
export async function removeStateFile(stateDir: string, name: string): Promise<void> {
  await rm(join(stateDir, name), { force: true });
}

/**
 * The temporary files of writes a killed run left behind (.state.json.<id>.tmp). Called
 * under the run lock, so no other run is writing them.
 */
export async function cleanTempFiles(stateDir: string): Promise<string[]> {
  const entries = await readdir(stateDir, { withFileTypes: true }).catch(() => []);
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !isTempName(entry.name)) continue;
    await rm(join(stateDir, entry.name), { force: true }).then(
      () => removed.push(entry.name),
      () => undefined, // a read-only state dir: nothing this run can do, nor needs to
    );
  }
  return removed;
}
