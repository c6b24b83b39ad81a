import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import * as assets from '../../src/install/assets.js';
import { KEEP_COMMENTS, stripComments } from '../../scripts/strip-comments.mjs';
import { MANIFEST_PATH, parseManifest } from '../../src/install/manifest.js';
import { readProgram } from '../../src/install/program-source.js';
import { PATHS, renderInstall } from '../../src/install/render-install.js';
import { writeInstall, writeUninstall } from '../../src/install/write-install.js';

const repo = join(import.meta.dirname, '..', '..');
const BUNDLE = new TextEncoder().encode('#!/usr/bin/env node\nconsole.log("a bundle")\n');
const BINARY = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 255]);

/** Every path under root with its type, for "nothing left behind". */
async function listing(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      out.push(`${path}${entry.isDirectory() ? '/' : entry.isSymbolicLink() ? '@' : ''}`);
      if (entry.isDirectory()) await walk(path);
    }
  }
  await walk('');
  return out.sort();
}

describe('the files install carries are the ones in cloud-init/', () => {
  it.each([
    ['MULTINIC_SERVICE', 'multinic.service'],
    ['MULTINIC_HOTPLUG_SERVICE', 'multinic@.service'],
    ['UDEV_RULE', '99-multinic.rules'],
    ['DEFAULT_CONFIG', 'multinic.conf'],
    ['RECONCILE_TIMER', 'multinic.timer'],
    ['RECONCILE_SERVICE', 'multinic-reconcile.service'],
    ['TIMER_GENERATOR', 'multinic-generator'],
  ] as const)('%s equals cloud-init/%s (else: node scripts/sync-assets.mjs)', async (name, file) => {
    const original = await readFile(join(repo, 'cloud-init', file), 'utf8');
    expect(assets[name]).toBe(KEEP_COMMENTS.has(file) ? original : stripComments(original, file));
  });
});

describe('renderInstall', () => {
  it('puts the binary itself at /usr/local/sbin/multinic, executable', () => {
    const files = renderInstall('binary', BINARY);
    expect(files.map((file) => [file.path, file.mode.toString(8), file.kind])).toEqual([
      [PATHS.sbin, '755', 'program'],
      ['/etc/systemd/system/multinic.service', '644', 'unit'],
      ['/etc/systemd/system/multinic@.service', '644', 'unit'],
      ['/etc/udev/rules.d/99-multinic.rules', '644', 'udev'],
      ['/etc/systemd/system/multinic.timer', '644', 'unit'],
      ['/etc/systemd/system/multinic-reconcile.service', '644', 'unit'],
      ['/usr/local/lib/systemd/system-generators/multinic-generator', '755', 'unit'],
      ['/etc/multinic/multinic.conf', '644', 'config'],
    ]);
    expect(files[0]?.content).toEqual(BINARY);
  });

  it('puts the bundle under /usr/local/lib/multinic and a wrapper that runs it with node at /usr/local/sbin/multinic', () => {
    const files = renderInstall('bundle', BUNDLE);
    expect(files.slice(0, 2).map((file) => [file.path, file.mode.toString(8)])).toEqual([
      ['/usr/local/lib/multinic/multinic.cjs', '644'],
      ['/usr/local/sbin/multinic', '755'],
    ]);
    expect(files[0]?.content).toEqual(BUNDLE);
    expect(new TextDecoder().decode(files[1]?.content)).toMatch(
      /^#!\/bin\/sh\n[^]*\nexec node \/usr\/local\/lib\/multinic\/multinic\.cjs "\$@"\n$/,
    );
  });

  it('the units run the program where install puts it', () => {
    for (const unit of [assets.MULTINIC_SERVICE, assets.MULTINIC_HOTPLUG_SERVICE])
      expect(unit).toContain(`${PATHS.sbin} apply`);
    expect(assets.RECONCILE_SERVICE).toContain(`ExecStart=${PATHS.sbin} reconcile $MULTINIC_ARGS`);
    expect(assets.RECONCILE_TIMER).toContain('Unit=multinic-reconcile.service');
    expect(assets.MULTINIC_SERVICE).toContain('Also=multinic.timer');
    expect(assets.UDEV_RULE).toContain('multinic@$name.service');
  });
});

describe('writeInstall and writeUninstall on a tree', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'multinic-install-unit-'));
    // Parts of a real tree that exist before install and must still exist after uninstall.
    await mkdir(join(root, 'etc', 'systemd', 'system', 'multi-user.target.wants'), { recursive: true });
    await symlink(
      '/lib/systemd/system/cron.service',
      join(root, 'etc', 'systemd', 'system', 'multi-user.target.wants', 'cron.service'),
    );
    await mkdir(join(root, 'usr', 'local', 'sbin'), { recursive: true });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes every file with its mode and a manifest; a second run writes nothing and keeps mtimes', async () => {
    const first = await writeInstall(root, 'binary', renderInstall('binary', BINARY));
    expect(first.written).toHaveLength(8);
    expect(new Uint8Array(await readFile(join(root, PATHS.sbin)))).toEqual(BINARY);
    expect((await stat(join(root, PATHS.sbin))).mode & 0o777).toBe(0o755);
    const manifest = parseManifest(await readFile(join(root, MANIFEST_PATH), 'utf8'));
    expect(manifest?.files.map((file) => file.path)).toEqual(renderInstall('binary', BINARY).map((file) => file.path));
    // Only the directories install made are recorded: not /etc/systemd/system, which was there.
    expect(manifest?.dirs).toContain('/etc/multinic');
    expect(manifest?.dirs).not.toContain('/etc/systemd/system');
    expect(manifest?.dirs).not.toContain('/usr/local/sbin');

    const before = await Promise.all(
      [PATHS.sbin, PATHS.service, MANIFEST_PATH].map(async (path) => (await stat(join(root, path))).mtimeMs),
    );
    const second = await writeInstall(root, 'binary', renderInstall('binary', BINARY));
    expect(second.written).toEqual([]);
    expect(second.unchanged).toHaveLength(8);
    expect(
      await Promise.all(
        [PATHS.sbin, PATHS.service, MANIFEST_PATH].map(async (path) => (await stat(join(root, path))).mtimeMs),
      ),
    ).toEqual(before);
  });

  it('uninstall leaves exactly the tree that was there before, also after systemctl enable made links', async () => {
    const pristine = await listing(root);
    await writeInstall(root, 'bundle', renderInstall('bundle', BUNDLE));
    // The startup snapshot and its key, as install's snapshot step leaves them beside the
    // bundle (not in the manifest: made from it, they go with it).
    await writeFile(join(root, PATHS.snapshot), 'blob');
    await writeFile(join(root, PATHS.snapshotKey), '1 2;3 4;\n');
    // What `systemctl --root enable multinic.service` does, per the unit's [Install] section.
    await symlink(
      '/etc/systemd/system/multinic.service',
      join(root, 'etc/systemd/system/multi-user.target.wants/multinic.service'),
    );
    await mkdir(join(root, 'etc/systemd/system/network-online.target.wants'));
    await symlink(
      '/etc/systemd/system/multinic.service',
      join(root, 'etc/systemd/system/network-online.target.wants/multinic.service'),
    );
    await mkdir(join(root, 'etc/systemd/system/timers.target.wants'));
    await symlink(
      '/etc/systemd/system/multinic.timer',
      join(root, 'etc/systemd/system/timers.target.wants/multinic.timer'),
    );
    const report = await writeUninstall(root);
    expect(report.kept).toEqual([]);
    expect(report.removed).toEqual(expect.arrayContaining([PATHS.snapshot, PATHS.snapshotKey]));
    expect(await listing(root)).toEqual(pristine);
    expect((await lstat(join(root, 'etc/systemd/system/multi-user.target.wants/cron.service'))).isSymbolicLink()).toBe(
      true,
    );
  });

  it('refuses to overwrite a file it did not write, and changes nothing', async () => {
    await mkdir(join(root, 'etc/udev/rules.d'), { recursive: true });
    await writeFile(join(root, PATHS.udevRule), '# someone else\n');
    const pristine = await listing(root);
    await expect(writeInstall(root, 'binary', renderInstall('binary', BINARY))).rejects.toThrow(UsageError);
    await expect(writeInstall(root, 'binary', renderInstall('binary', BINARY))).rejects.toThrow(
      `${join(root, PATHS.udevRule)}: exists and multinic install did not write it`,
    );
    expect(await listing(root)).toEqual(pristine);
    expect(await readFile(join(root, PATHS.udevRule), 'utf8')).toBe('# someone else\n');
  });

  it('keeps an edited multinic.conf on reinstall and on uninstall, and removes the rest', async () => {
    await writeInstall(root, 'binary', renderInstall('binary', BINARY));
    await writeFile(join(root, PATHS.config), 'MULTINIC_ARGS="--no-sysctl"\n');
    const again = await writeInstall(root, 'binary', renderInstall('binary', BINARY));
    expect(again.kept).toEqual([PATHS.config]);
    expect(await readFile(join(root, PATHS.config), 'utf8')).toBe('MULTINIC_ARGS="--no-sysctl"\n');
    const gone = await writeUninstall(root);
    expect(gone.kept).toEqual([PATHS.config]);
    expect(await listing(root)).toContain('etc/multinic/multinic.conf');
    expect(
      (await listing(root)).filter(
        (path) => path.includes('multinic') && path !== 'etc/multinic/' && path !== 'etc/multinic/multinic.conf',
      ),
    ).toEqual([]);
  });

  it('switching from bundle to binary removes the bundle it had written', async () => {
    await writeInstall(root, 'bundle', renderInstall('bundle', BUNDLE));
    const report = await writeInstall(root, 'binary', renderInstall('binary', BINARY));
    expect(report.removed).toEqual([PATHS.bundle]);
    expect(report.written).toEqual([PATHS.sbin]);
    await expect(stat(join(root, PATHS.bundle))).rejects.toThrow();
  });

  it('uninstall on a tree without a manifest changes nothing', async () => {
    const pristine = await listing(root);
    expect((await writeUninstall(root)).installed).toBe(false);
    expect(await listing(root)).toEqual(pristine);
  });
});

describe('readProgram', () => {
  it('needs --bundle or --binary when the running multinic is the one under dist/', async () => {
    await expect(readProgram({})).rejects.toThrow(
      'give --bundle build/multinic.cjs (npm run bundle) or --binary build/multinic (npm run sea)',
    );
  });
  it('names the file it cannot read', async () => {
    await expect(readProgram({ binary: '/nonexistent/multinic' })).rejects.toThrow(
      'cannot read the binary /nonexistent/multinic',
    );
    await expect(readProgram({ bundle: 'a', binary: 'b' })).rejects.toThrow(UsageError);
  });
});
