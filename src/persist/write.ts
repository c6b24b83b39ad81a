/**
 * The one writer for every backend: under --root, atomically (temp, fsync, rename), only
 * when the content changed (so the mtime says when it last changed), never over a file
 * multinic did not write, and removing the files of an earlier run that the new one no
 * longer renders (a detached NIC's). What was written is listed in the state dir.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, writeFileIfChanged } from '../io/write-file-atomic.js';
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

async function readManifest(stateDir: string): Promise<string[]> {
  const text = await readFile(join(stateDir, MANIFEST), 'utf8').catch(() => '[]');
  return JSON.parse(text) as string[];
}

export async function writePersisted(root: string, stateDir: string, files: RenderedFile[]): Promise<WriteReport> {
  const report: WriteReport = { written: [], unchanged: [], removed: [], refused: [] };
  const kept: string[] = [];
  for (const file of files) {
    const target = join(root, file.path);
    const current = await readFile(target, 'utf8').catch(() => undefined);
    if (current !== undefined && !isGenerated(current)) {
      report.refused.push(file.path);
      continue;
    }
    kept.push(file.path);
    if (await writeFileIfChanged(target, file.content, file.mode)) report.written.push(file.path);
    else report.unchanged.push(file.path);
  }
  const previous = await readManifest(stateDir);
  for (const path of previous.filter((old) => !kept.includes(old))) {
    const target = join(root, path);
    const current = await readFile(target, 'utf8').catch(() => undefined);
    if (current !== undefined && isGenerated(current)) {
      await rm(target, { force: true });
      report.removed.push(path);
    }
  }
  const manifest = `${JSON.stringify([...kept].sort(), null, 2)}\n`;
  const oldManifest = await readFile(join(stateDir, MANIFEST), 'utf8').catch(() => undefined);
  if (oldManifest !== manifest) await writeFileAtomic(join(stateDir, MANIFEST), manifest);
  return report;
}
