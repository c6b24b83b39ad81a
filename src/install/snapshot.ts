/**
 * The installed bundle's startup snapshot: the V8 heap the bundle leaves once every module is
 * loaded (`node --build-snapshot`, src/cli/main.ts), so that a run from the wrapper starts
 * there instead of compiling and loading the bundle. A snapshot is only good for the node
 * binary that made it: another node aborts or crashes on it. So it is made by the tree's own
 * node on the tree's own PATH (in a chroot when the tree is not /), and the wrapper
 * (render-install.ts) starts from it only while that node and the blob are as they were made:
 * their sizes and modification times, recorded in the key file beside the blob. Anything else
 * (node upgraded or replaced, blob missing or damaged, no key) runs the bundle plainly.
 *
 * The blob and its key are derived from the installed bundle, not installed files: they are
 * not in the manifest, and install and uninstall remove them whenever they remove or replace
 * the bundle.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand, type Run } from '../kernel/run.js';
import { PATHS, renderSnapshotScript, SERVICE_PATH } from './render-install.js';

export interface SnapshotOutcome {
  made: boolean;
  /** One line for the install report. */
  why: string;
}

/** Makes the snapshot for the installed bundle under root; never fails the install. */
export async function writeSnapshot(root: string, run: Run = runCommand): Promise<SnapshotOutcome> {
  if (root !== '/' && process.getuid?.() !== 0)
    return {
      made: false,
      why: `no startup snapshot: making one inside ${root} needs chroot, and so root; the bundle runs without one`,
    };
  const shell = ['/bin/sh', '-c', renderSnapshotScript()];
  try {
    // A few seconds on an emulated CPU; bounded all the same.
    const result = await run('env', [`PATH=${SERVICE_PATH}`, ...(root === '/' ? shell : ['chroot', root, ...shell])], {
      timeoutMs: 300_000,
    });
    if (result.exitCode === 0)
      return { made: true, why: `startup snapshot made by the tree's node (${PATHS.snapshot})` };
    await removeSnapshot(root);
    const detail = result.stderr
      .trim()
      .split('\n')
      .filter((line) => !/not yet fully verified|may still work|To request support|--trace-warnings/.test(line))
      .slice(-3)
      .join('; ');
    return {
      made: false,
      why: `no startup snapshot: ${result.exitCode === 3 ? `the tree has no node on ${SERVICE_PATH}` : `node --build-snapshot failed (exit ${result.exitCode}${detail ? `: ${detail}` : ''})`}; the bundle runs without one`,
    };
  } catch (error) {
    await removeSnapshot(root);
    return { made: false, why: `no startup snapshot: ${(error as Error).message}; the bundle runs without one` };
  }
}

/** Removes the blob and its key (and their temporary files); returns what was there. */
export async function removeSnapshot(root: string): Promise<string[]> {
  const removed: string[] = [];
  for (const path of [PATHS.snapshotKey, `${PATHS.snapshotKey}.tmp`, PATHS.snapshot, `${PATHS.snapshot}.tmp`]) {
    const there = await rm(join(root, path)).then(
      () => true,
      () => false,
    );
    if (there) removed.push(path);
  }
  return removed;
}
