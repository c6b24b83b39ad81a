/**
 * `multinic install` and `multinic uninstall` on a tree (an image being built, or `/`):
 * write the files renderInstall planned, atomically and only where they differ, and keep a
 * manifest so that uninstall takes out exactly what install put in.
 */
import { lstat, mkdir, readFile, readdir, readlink, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../io/write-file-atomic.js';
import { MANIFEST_PATH, parseManifest, renderManifest, toManifest, type Manifest } from './manifest.js';
import { removeSnapshot } from './snapshot.js';
import { sha256, UNIT_NAMES, type InstalledFile, type ProgramKind } from './render-install.js';

export interface InstallReport {
  written: string[];
  unchanged: string[];
  /** Files an admin edited since install: left as they are. */
  kept: string[];
  removed: string[];
}

const emptyReport = (): InstallReport => ({ written: [], unchanged: [], kept: [], removed: [] });

async function readBytes(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}

export async function readManifest(root: string): Promise<Manifest | undefined> {
  const bytes = await readBytes(join(root, MANIFEST_PATH));
  if (bytes === undefined) return undefined;
  const manifest = parseManifest(Buffer.from(bytes).toString('utf8'));
  if (!manifest)
    throw new UsageError(`${join(root, MANIFEST_PATH)}: not a manifest multinic install wrote; nothing changed`);
  return manifest;
}

/** The directories between root and each file that do not exist yet, parents first. */
async function missingDirs(root: string, paths: string[]): Promise<string[]> {
  const missing = new Set<string>();
  for (const path of paths) {
    const chain: string[] = [];
    for (let dir = dirname(path); dir !== '/' && dir !== '.'; dir = dirname(dir)) chain.unshift(dir);
    for (const dir of chain) if (!missing.has(dir) && !(await exists(join(root, dir)))) missing.add(dir);
  }
  return [...missing];
}

export async function writeInstall(root: string, kind: ProgramKind, files: InstalledFile[]): Promise<InstallReport> {
  const previous = await readManifest(root);
  const recorded = new Map((previous?.files ?? []).map((file) => [file.path, file]));
  const report = emptyReport();

  // Check every file before writing any, so a refusal leaves the tree as it was.
  const plan: { file: InstalledFile; action: 'write' | 'unchanged' | 'kept' }[] = [];
  for (const file of files) {
    const current = await readBytes(join(root, file.path));
    const wanted = sha256(file.content);
    if (current === undefined) plan.push({ file, action: 'write' });
    else if (sha256(current) === wanted) plan.push({ file, action: 'unchanged' });
    else if (!recorded.has(file.path)) {
      throw new UsageError(
        `${join(root, file.path)}: exists and multinic install did not write it; not overwritten, nothing changed`,
      );
    } else if (file.kind === 'config' && sha256(current) !== recorded.get(file.path)?.sha256)
      plan.push({ file, action: 'kept' });
    else plan.push({ file, action: 'write' });
  }

  const newDirs = await missingDirs(root, [...files.map((file) => file.path), MANIFEST_PATH]);
  for (const dir of newDirs) await mkdir(join(root, dir), { mode: 0o755 });
  for (const { file, action } of plan) {
    if (action === 'write') {
      await writeFileAtomic(join(root, file.path), file.content, file.mode);
      report.written.push(file.path);
    } else (action === 'kept' ? report.kept : report.unchanged).push(file.path);
  }

  // A file the last install made that this one does not (bundle ↔ binary) goes, unless edited.
  const planned = new Set(files.map((file) => file.path));
  for (const old of previous?.files ?? []) {
    if (planned.has(old.path)) continue;
    const current = await readBytes(join(root, old.path));
    if (current !== undefined && sha256(current) === old.sha256) {
      await rm(join(root, old.path));
      report.removed.push(old.path);
    }
  }

  // The kept config is recorded as install left it, so a later uninstall still sees the edit.
  const manifestFiles = toManifest(kind, files, []).files.map((entry) =>
    report.kept.includes(entry.path) ? (recorded.get(entry.path) ?? entry) : entry,
  );
  const dirs = [...new Set([...(previous?.dirs ?? []), ...newDirs])];
  const manifest: Manifest = { ...toManifest(kind, [], dirs), files: manifestFiles };
  const text = renderManifest(manifest);
  const before = await readBytes(join(root, MANIFEST_PATH));
  if (before === undefined || Buffer.from(before).toString('utf8') !== text)
    await writeFileAtomic(join(root, MANIFEST_PATH), text, 0o644);
  return report;
}

/**
 * The links `systemctl enable` made to our units (in *.wants/ and *.requires/ under
 * /etc/systemd/system): they would dangle once the units are gone.
 */
async function enablementLinks(root: string): Promise<string[]> {
  const base = '/etc/systemd/system';
  const entries = await readdir(join(root, base), { withFileTypes: true }).catch(() => []);
  const links: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !/\.(wants|requires)$/.test(entry.name)) continue;
    for (const name of await readdir(join(root, base, entry.name))) {
      const path = join(base, entry.name, name);
      const stat = await lstat(join(root, path));
      if (!stat.isSymbolicLink()) continue;
      const target = basename(await readlink(join(root, path)));
      if ((UNIT_NAMES as readonly string[]).includes(target)) links.push(path);
    }
  }
  return links;
}

export async function writeUninstall(root: string): Promise<InstallReport & { installed: boolean }> {
  const manifest = await readManifest(root);
  const report = { ...emptyReport(), installed: manifest !== undefined };
  if (!manifest) return report;
  for (const link of await enablementLinks(root)) {
    await rm(join(root, link));
    report.removed.push(link);
    // A *.wants/ directory that held only our link was made by `systemctl enable` for it.
    if ((await readdir(join(root, dirname(link)))).length === 0) {
      await rmdir(join(root, dirname(link)));
      report.removed.push(`${dirname(link)}/`);
    }
  }
  for (const file of manifest.files) {
    const current = await readBytes(join(root, file.path));
    if (current === undefined) continue;
    if (sha256(current) !== file.sha256) {
      report.kept.push(file.path);
      continue;
    }
    await rm(join(root, file.path));
    report.removed.push(file.path);
  }
  // The bundle's startup snapshot is made from the bundle, not recorded: it goes with it.
  report.removed.push(...(await removeSnapshot(root)));
  await rm(join(root, MANIFEST_PATH));
  report.removed.push(MANIFEST_PATH);
  // Deepest first; a directory that holds something else (an edited config) stays.
  for (const dir of [...manifest.dirs].sort((a, b) => b.length - a.length)) {
    try {
      await rmdir(join(root, dir));
      report.removed.push(`${dir}/`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'ENOENT' && code !== 'EEXIST') throw error;
    }
  }
  return report;
}
