/**
 * cloud-init/user-data-download.yaml's fetch script, run for real as cloud-init's runcmd
 * runs it, from a /run mounted noexec as Debian's initramfs mounts it, in a network
 * namespace of its own with the bundle served from a documentation address there, and with
 * nothing on PATH but what a minimal Debian image with nodejs has: sh, node, sha256sum, rm
 * (systemctl and udevadm recorded, not run). The VM suite found the example fetching with
 * curl, which such an image lacks and cannot install without a package mirror, and running
 * its script directly from noexec /run (test/vm/sources.test.ts › 3 user-data-download.yaml).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { serveFiles, type FileServer } from '../vm/serve-files.js';
import { e2eAvailability } from '../support/e2e.js';

const availability = await e2eAvailability();
const repo = join(import.meta.dirname, '..', '..');
const ADDRESS = '192.0.2.80';

/** Stands in for build/multinic.cjs: records how it was asked to install itself. */
const FAKE_BUNDLE =
  'const a = process.argv.slice(2); const fs = require("fs"); fs.mkdirSync(a[2], { recursive: true }); fs.writeFileSync(a[2] + "/installed", a.join(" "));\n';

describe.skipIf(!availability.ok)(`user-data-download.yaml's script in a namespace (${availability.reason})`, () => {
  const netns = `mnudl${randomBytes(3).toString('hex')}`;
  let work = '';
  let server: FileServer;
  let script = '';
  let runcmd: string[][] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'multinic-udl-'));
    execFileSync('ip', ['netns', 'add', netns]);
    execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    execFileSync('ip', ['-n', netns, 'addr', 'add', `${ADDRESS}/32`, 'dev', 'lo']);
    await writeFile(join(work, 'bundle.cjs'), FAKE_BUNDLE);
    server = await serveFiles(netns, ADDRESS, 8080, { 'multinic.cjs': join(work, 'bundle.cjs') });
    const config = parse(await readFile(join(repo, 'cloud-init', 'user-data-download.yaml'), 'utf8')) as {
      write_files: { path: string; content: string }[];
      runcmd: string[][];
    };
    const file = config.write_files.find((f) => f.path === '/run/multinic-fetch.sh');
    runcmd = config.runcmd;
    expect(runcmd).toHaveLength(1);
    script = file?.content ?? '';
    // A PATH with only what the image has; systemctl and udevadm only say they were called.
    const bin = join(work, 'bin');
    await mkdir(bin);
    for (const tool of ['sh', 'sha256sum', 'rm'])
      await symlink(
        execFileSync('sh', ['-c', `command -v ${tool}`])
          .toString()
          .trim(),
        join(bin, tool),
      );
    await symlink(process.execPath, join(bin, 'node'));
    for (const tool of ['systemctl', 'udevadm']) {
      await writeFile(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> ${join(work, 'calls.log')}\n`);
      await chmod(join(bin, tool), 0o755);
    }
  });

  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if beforeAll failed before it was made
    await server?.stop();
    spawnSync('ip', ['netns', 'del', netns]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** The script as an operator fills it in (url, sha256), with / moved into a sandbox. */
  async function runScript(name: string, sha256: string): Promise<{ code: number; stderr: string; sandbox: string }> {
    const sandbox = join(work, name);
    await mkdir(join(sandbox, 'run'), { recursive: true });
    const filled = script
      .replace(/^url=.*$/m, `url=${server.url('multinic.cjs')}`)
      .replace(/^sha256=.*$/m, `sha256=${sha256}`)
      .replaceAll('/run/', `${sandbox}/run/`)
      .replaceAll('--root /', `--root ${sandbox}/root`);
    expect(filled).not.toBe(script);
    await writeFile(join(sandbox, 'fetch.sh'), filled);
    // cloud-init writes the script (write_files, 0700) into /run, then runs runcmd's argv;
    // /run is a noexec tmpfs (Debian's initramfs-tools), here in a mount namespace of its own.
    const argv = (runcmd[0] ?? []).map((arg) => arg.replace(/^\/run\//, `${sandbox}/run/`));
    const inRun = [
      `mount -t tmpfs -o nodev,noexec,nosuid tmpfs '${sandbox}/run'`,
      `cp '${sandbox}/fetch.sh' '${sandbox}/run/multinic-fetch.sh'`,
      `chmod 0700 '${sandbox}/run/multinic-fetch.sh'`,
      `exec ip netns exec ${netns} env -i PATH='${join(work, 'bin')}' "$@"`,
    ].join(' && ');
    const result = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', inRun, 'sh', ...argv], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: result.status ?? 1, stderr: result.stderr, sandbox };
  }

  it('fetches the bundle with node alone (no curl), checks its sha256, installs it and enables multinic.service', async () => {
    const sha256 = createHash('sha256').update(FAKE_BUNDLE).digest('hex');
    const { code, stderr, sandbox } = await runScript('good', sha256);
    expect(code, stderr).toBe(0);
    expect(await readFile(join(sandbox, 'root', 'installed'), 'utf8')).toBe(
      `install --root ${sandbox}/root --bundle ${sandbox}/run/multinic.cjs`,
    );
    expect((await readFile(join(work, 'calls.log'), 'utf8')).trim().split('\n')).toEqual([
      'systemctl daemon-reload',
      'udevadm control --reload',
      'systemctl enable --now multinic.service',
    ]);
    expect(server.requests).toContain('multinic.cjs');
  });

  it('installs nothing when the checksum does not match', async () => {
    await rm(join(work, 'calls.log'), { force: true });
    const { code, stderr, sandbox } = await runScript('bad', '0'.repeat(64));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/did NOT match/);
    await expect(readFile(join(sandbox, 'root', 'installed'))).rejects.toThrow();
    await expect(readFile(join(work, 'calls.log'))).rejects.toThrow();
  });
});
