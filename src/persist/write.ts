/**
 * The one writer for every backend: under --root, atomically (temp, fsync, rename), only
 * when the content changed (so the mtime says when it last changed), never over a file
 * multinic did not write, and removing the files of an earlier run that the new one no
 * longer renders (a detached NIC's). What was written is listed in the state dir. The
 * one exception, NetworkManager's owner connections (networkmanager.ts), is written only
 * over the exact content it was rendered from.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileIfChanged } from '../io/write-file-atomic.js';
import * as z from '../schema/zod.js';
import { readStateFile, writeStateFile, type StateFileSpec } from '../state/files.js';
import { isGenerated } from './header.js';
import type { RenderedFile } from './types.js';

const MANIFEST = 'persisted.json';

export interface WriteReport {
  written: string[];
  unchanged: string[];
  removed: string[];
  /** Files left alone because multinic did not write them. */
  refused: string[];
}

const MANIFEST_SPEC: StateFileSpec<string[]> = {
  name: MANIFEST,
  schema: z.array(z.string()),
  recovery: 'files written by earlier runs and no longer rendered are left in place this time',
};

export async function writePersisted(
  root: string,
  stateDir: string,
  files: RenderedFile[],
  warn: (message: string) => void = () => undefined,
): Promise<WriteReport> {
  const report: WriteReport = { written: [], unchanged: [], removed: [], refused: [] };
  const kept: string[] = [];
  for (const file of files) {
    const target = join(root, file.path);
    const current = await readFile(target, 'utf8').catch(() => undefined);
    if (file.join) {
      // The owner's file, with multinic's marked lines added or taken back: written only
      // over exactly what the render read, so an edit made meanwhile is never lost.
      if (current !== file.join.base) {
        report.refused.push(file.path);
        continue;
      }
      if (file.join.ours) kept.push(file.path);
      if (await writeFileIfChanged(target, file.content, file.mode)) report.written.push(file.path);
      else report.unchanged.push(file.path);
      continue;
    }
    if (current !== undefined && !isGenerated(current)) {
      report.refused.push(file.path);
      continue;
    }
    kept.push(file.path);
    if (await writeFileIfChanged(target, file.content, file.mode)) report.written.push(file.path);
    else report.unchanged.push(file.path);
  }
  const previous = (await readStateFile(stateDir, MANIFEST_SPEC, warn)) ?? [];
  for (const path of previous.filter((old) => !kept.includes(old))) {
    const target = join(root, path);
    const current = await readFile(target, 'utf8').catch(() => undefined);
    if (current !== undefined && isGenerated(current)) {
      await rm(target, { force: true });
      report.removed.push(path);
    }
  }
  await writeStateFile(stateDir, MANIFEST, `${JSON.stringify([...kept].sort(), null, 2)}\n`);
  return report;
}
