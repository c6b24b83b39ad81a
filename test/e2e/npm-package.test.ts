/**
 * Issue 15, the npm package: `npm pack` (its prepack builds the bundle), then
 * `npm install -g` of the tarball into a clean prefix with no network: `multinic` typed by
 * name from PATH runs the bundle, every command works, and `multinic install --root`
 * installs the package's own bundle with nothing more to say (no --bundle).
 *
 * Issue 16: the package's postinstall makes the bundle's startup snapshot for the node that
 * installs it, and `multinic` starts from it while that node and the blob are unchanged, else
 * runs the bundle plainly.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readlink, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';

const exec = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');

describe('the npm package', () => {
  let work: string;
  let prefix: string;
  let env: NodeJS.ProcessEnv;
  const multinic = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await exec('multinic', args, { env, cwd: work });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? 127, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'multinic-npm-'));
    prefix = join(work, 'prefix');
    const packed = await exec('npm', ['pack', '--pack-destination', work, '--json'], {
      cwd: repo,
      maxBuffer: 64 << 20,
      timeout: 300_000,
    });
    // The prepack script's own lines (bundle sizes) come first on stdout, then npm's JSON.
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[\n'))) as {
      filename: string;
      files: { path: string }[];
    }[];
    expect(info?.files.map((file) => file.path).sort()).toEqual([
      'README.md',
      'build/multinic-npm',
      'build/multinic.cjs',
      'build/npm-postinstall.sh',
      'cloud-init/99-multinic.rules',
      'cloud-init/multinic-generator',
      'cloud-init/multinic-reconcile.service',
      'cloud-init/multinic.conf',
      'cloud-init/multinic.service',
      'cloud-init/multinic.timer',
      'cloud-init/multinic@.service',
      'cloud-init/user-data-baked.yaml',
      'cloud-init/user-data-download.yaml',
      'cloud-init/user-data-hotplug.yaml',
      'completion/multinic',
      'man/multinic.8',
      'package.json',
    ]);
    // A clean prefix, and no registry: the package needs nothing from it.
    await mkdir(prefix);
    await exec(
      'npm',
      ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(work, info?.filename ?? '')],
      { cwd: work, timeout: 300_000 },
    );
    env = {
      PATH: `${join(prefix, 'bin')}:${dirname(process.execPath)}:/usr/sbin:/usr/bin:/sbin:/bin`,
      HOME: work,
      LC_ALL: 'C',
    };
  }, 600_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('puts a multinic on PATH that runs the bundle: --version, --help, config', async () => {
    expect(await readlink(join(prefix, 'bin', 'multinic'))).toBe('../lib/node_modules/multinic/build/multinic-npm');
    expect(await multinic('--version')).toEqual({ code: 0, stdout: `multinic ${VERSION}\n`, stderr: '' });
    expect((await multinic('--help')).stdout).toContain('multinic explain   ADDRESS');
    const config = await multinic(
      'config',
      '--config',
      join(prefix, 'lib', 'node_modules', 'multinic', 'cloud-init', 'multinic.conf'),
    );
    expect(config.code, config.stderr).toBe(0);
    expect(config.stdout).toContain('MULTINIC_TABLES="10001-12000"');
    // npm links the man page of a global install.
    expect((await stat(join(prefix, 'share', 'man', 'man8', 'multinic.8'))).isFile()).toBe(true);
  });

  it("multinic install --root uses the package's own bundle, with no --bundle", async () => {
    const root = join(work, 'image');
    await mkdir(root);
    const install = await multinic('install', '--root', root);
    expect(install.code, install.stderr).toBe(0);
    const bundle = join(prefix, 'lib', 'node_modules', 'multinic', 'build', 'multinic.cjs');
    expect(install.stderr).toContain(`installing the bundle ${bundle} into ${root}`);
    expect(await readFile(join(root, 'usr/local/lib/multinic/multinic.cjs'))).toEqual(await readFile(bundle));
    expect(await readFile(join(root, 'usr/local/sbin/multinic'), 'utf8')).toContain(
      'exec node /usr/local/lib/multinic/multinic.cjs "$@"',
    );
    for (const path of [
      'etc/systemd/system/multinic.timer',
      'etc/systemd/system/multinic-reconcile.service',
      'etc/multinic/multinic.conf',
    ])
      expect((await stat(join(root, path))).isFile()).toBe(true);
    // The installed bundle runs alone (the wrapper names its place in the image, not here).
    const { stdout } = await exec('node', [join(root, 'usr/local/lib/multinic/multinic.cjs'), '--version'], { env });
    expect(stdout).toBe(`multinic ${VERSION}\n`);
  });
  it('multinic starts from the startup snapshot the postinstall made, and runs the bundle plainly once the blob changed', async () => {
    const build = join(prefix, 'lib', 'node_modules', 'multinic', 'build');
    expect((await stat(join(build, 'multinic.blob'))).size).toBeGreaterThan(1 << 20);
    // `sh -x` shows which exec the command took.
    const traced = async (...args: string[]) => {
      try {
        return await exec('sh', ['-x', join(prefix, 'bin', 'multinic'), ...args], { env, cwd: work });
      } catch (error) {
        return error as { stdout: string; stderr: string };
      }
    };
    let version = await traced('--version');
    expect(version.stdout).toBe(`multinic ${VERSION}\n`);
    expect(version.stderr).toContain(`node --snapshot-blob ${join(build, 'multinic.blob')} -- --version`);
    expect(version.stderr).not.toContain(`exec node ${join(build, 'multinic.cjs')}`);
    const config = await traced('config', '--config', join(build, '..', 'cloud-init', 'multinic.conf'));
    expect(config.stdout).toContain('MULTINIC_TABLES="10001-12000"');
    // A damaged blob (here cut short) no longer matches its key: the bundle runs, no error.
    await truncate(join(build, 'multinic.blob'), 4096);
    version = await traced('--version');
    expect(version.stdout).toBe(`multinic ${VERSION}\n`);
    expect(version.stderr).toContain(`exec node ${join(build, 'multinic.cjs')} --version`);
    expect(version.stderr).not.toContain('--snapshot-blob');
  });
});
