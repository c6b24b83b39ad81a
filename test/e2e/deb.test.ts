/**
 * Issue 15, the Debian package: `npm run deb` builds it with dpkg-deb (no network);
 * `apt install ./multinic_*.deb` installs it into a Debian 12 tree (debootstrap, cached
 * under /var/cache/multinic-test-rootfs as for the packaging suite); the units, the timer,
 * the generator, the udev rule, the man page and the completion are where Debian looks
 * for them; an upgrade keeps an edited conffile; `apt purge` leaves the tree as it was
 * (apt's and dpkg's own bookkeeping aside).
 */
import { copyFile, mkdtemp, readFile, rm, stat, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { commandRunner } from '../support/commands.js';

const repo = join(import.meta.dirname, '..', '..');

const { run, checked } = commandRunner(300_000);

async function availability(): Promise<{ ok: boolean; reason: string }> {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('not root');
  for (const [tool, pkg] of [
    ['debootstrap', 'debootstrap'],
    ['dpkg-deb', 'dpkg'],
    ['systemctl', 'systemd'],
    ['unshare', 'util-linux'],
    ['man', 'man-db'],
  ] as const) {
    if ((await run('sh', ['-c', `command -v ${tool}`])).code !== 0) missing.push(`no ${tool} (apt-get install ${pkg})`);
  }
  if (missing.length === 0) return { ok: true, reason: 'root, debootstrap, dpkg-deb, systemctl, man' };
  const reason = `Debian package suite skipped: ${missing.join(', ')}`;
  if (process.env.CI) throw new Error(`${reason} — in CI it must run`);
  process.stderr.write(`${reason}\n`);
  return { ok: false, reason };
}

/** What apt and dpkg write for any package (their database, caches, logs) and the debs copied in. */
const BOOKKEEPING = /^(var\/lib\/dpkg|var\/lib\/apt|var\/cache\/apt|var\/cache\/debconf|var\/log|tmp)(\/| )/;
async function treeListing(root: string): Promise<string[]> {
  const { stdout } = await checked('find', [root, '-xdev', '-printf', '%P %y %m %l\n'], { timeout: 60_000 });
  return stdout
    .split('\n')
    .filter((line) => line && !BOOKKEEPING.test(line))
    .sort();
}

const status = await availability();

describe.skipIf(!status.ok)(`the Debian package (${status.reason})`, () => {
  let work: string;
  let root: string;
  let arch: string;
  const debOf = (revision: number) => join(repo, 'build', `multinic_${VERSION}-${revision}_${arch}.deb`);
  /** apt-get in the tree, with /proc, as an admin would run it there. */
  const apt = (...args: string[]) =>
    run('unshare', [
      '-m',
      'sh',
      '-c',
      `mount -t proc proc "$0/proc" && exec chroot "$0" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive apt-get -y "$@"`,
      root,
      ...args,
    ]);
  const inTree = (...args: string[]) =>
    run('chroot', [root, '/usr/bin/env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', ...args]);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'multinic-deb-'));
    arch = (await checked('dpkg', ['--print-architecture'])).stdout.trim();
    // As a user builds it: `npm run deb` (bundle, single executable, package); then the
    // same program as revision 2, the upgrade.
    const built = await checked('npm', ['run', '--silent', 'deb'], { timeout: 600_000 });
    expect(built.stdout).toContain(`build/multinic_${VERSION}-1_${arch}.deb`);
    await checked('node', [join(repo, 'scripts', 'build-deb.mjs')], {
      env: { ...process.env, MULTINIC_DEB_REVISION: '2' },
      timeout: 300_000,
    });
    root = join(work, 'root');
    await checked('sh', [join(repo, 'scripts', 'test-rootfs.sh'), root], { timeout: 300_000 });
  }, 900_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('holds the executable, the units, the timer, the generator, the udev rule, the conffile, the man page and the completion', async () => {
    const contents = (await checked('dpkg-deb', ['--contents', debOf(1)])).stdout;
    for (const path of [
      './usr/sbin/multinic',
      './lib/systemd/system/multinic.service',
      './lib/systemd/system/multinic@.service',
      './lib/systemd/system/multinic.timer',
      './lib/systemd/system/multinic-reconcile.service',
      './lib/systemd/system-generators/multinic-generator',
      './lib/udev/rules.d/99-multinic.rules',
      './etc/multinic/multinic.conf',
      './usr/share/man/man8/multinic.8.gz',
      './usr/share/bash-completion/completions/multinic',
    ])
      expect(contents).toContain(` ${path}\n`);
    expect(contents).toMatch(/^-rwxr-xr-x root\/root +\d+ .* \.\/usr\/sbin\/multinic$/m);
    expect((await checked('dpkg-deb', ['--info', debOf(1)])).stdout).toMatch(/Package: multinic\n Version: [^\n]+-1\n/);
    expect((await checked('dpkg-deb', ['--ctrl-tarfile', debOf(1)])).stdout).toBeDefined();
    const conffiles = (await checked('sh', ['-c', `dpkg-deb --ctrl-tarfile ${debOf(1)} | tar -xOf - ./conffiles`]))
      .stdout;
    expect(conffiles).toBe('/etc/multinic/multinic.conf\n');
  });

  it('installs with apt into a Debian tree, upgrades keeping an edited conffile, and apt purge leaves the tree as it was', async () => {
    const pristine = await treeListing(root);
    for (const revision of [1, 2])
      await copyFile(debOf(revision), join(root, 'tmp', `multinic_${VERSION}-${revision}_${arch}.deb`));

    const install = await apt('install', `/tmp/multinic_${VERSION}-1_${arch}.deb`);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toContain(`Setting up multinic (${VERSION}-1)`);
    // By name, from PATH, in the tree (which has no node).
    expect((await inTree('multinic', '--version')).stdout).toBe(`multinic ${VERSION}\n`);
    const config = await inTree('multinic', 'config');
    expect(config.code, config.stderr).toBe(0);
    expect(config.stdout).toMatch(/^MULTINIC_RECONCILE_INTERVAL="5min" +# \/etc\/multinic\/multinic.conf:\d+$/m);
    // Enabled by default: the boot unit and, through its Also=, the timer.
    expect((await run('systemctl', ['--root', root, 'is-enabled', 'multinic.service', 'multinic.timer'])).stdout).toBe(
      'enabled\nenabled\n',
    );
    const units = ['multinic.service', 'multinic@.service', 'multinic.timer', 'multinic-reconcile.service'].map(
      (unit) => `/lib/systemd/system/${unit}`,
    );
    // --man=no: the page is in the tree, and systemd-analyze would ask the host's man for it.
    const verify = await run('systemd-analyze', ['verify', '--man=no', `--root=${root}`, ...units]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(await readFile(join(root, 'lib/systemd/system/multinic-reconcile.service'), 'utf8')).toContain(
      'ExecStart=/usr/sbin/multinic reconcile $MULTINIC_ARGS',
    );
    // The generator, as systemd runs it at boot in the tree: the timer's interval from the conffile.
    const generated = await inTree(
      '/lib/systemd/system-generators/multinic-generator',
      '/tmp/gen',
      '/tmp/gen-early',
      '/tmp/gen-late',
    );
    expect(generated.code, generated.stderr).toBe(0);
    expect(await readFile(join(root, 'tmp/gen/multinic.timer.d/50-interval.conf'), 'utf8')).toContain(
      'OnUnitActiveSec=5min\n',
    );
    await rm(join(root, 'tmp/gen'), { recursive: true });
    const page = await run('man', ['-l', join(root, 'usr/share/man/man8/multinic.8.gz')], {
      env: { ...process.env, MANWIDTH: '100' },
    });
    expect([page.code, page.stderr]).toEqual([0, '']);
    expect(page.stdout).toMatch(/^MULTINIC\(8\)/);

    // The admin edits the conffile; the upgrade keeps it (the packaged one did not change).
    await appendFile(join(root, 'etc/multinic/multinic.conf'), 'MULTINIC_EXCLUDE="ens9"\n');
    const edited = await readFile(join(root, 'etc/multinic/multinic.conf'), 'utf8');
    const upgrade = await apt('install', `/tmp/multinic_${VERSION}-2_${arch}.deb`);
    expect(upgrade.code, upgrade.stderr).toBe(0);
    expect(upgrade.stdout).toContain(`Unpacking multinic (${VERSION}-2) over (${VERSION}-1)`);
    expect((await inTree('dpkg-query', '-W', '-f', '${Version}', 'multinic')).stdout).toBe(`${VERSION}-2`);
    expect(await readFile(join(root, 'etc/multinic/multinic.conf'), 'utf8')).toBe(edited);
    expect((await inTree('multinic', 'config')).stdout).toMatch(
      /^MULTINIC_EXCLUDE="ens9" +# \/etc\/multinic\/multinic.conf:\d+$/m,
    );
    expect((await run('systemctl', ['--root', root, 'is-enabled', 'multinic.timer'])).stdout).toBe('enabled\n');

    // A run leaves state behind; purge takes it out with everything else.
    await checked('mkdir', ['-p', join(root, 'var/lib/multinic')]);
    await appendFile(join(root, 'var/lib/multinic/state.json'), '{"version":1,"allocations":{}}\n');
    const purge = await apt('purge', 'multinic');
    expect(purge.code, purge.stderr).toBe(0);
    expect(await treeListing(root)).toEqual(pristine);
    await expect(stat(join(root, 'etc/multinic'))).rejects.toThrow();
  });
});
