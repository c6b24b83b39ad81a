/**
 * The cloud-config examples in cloud-init/ and the embedded-bundle user_data: each is
 * accepted by cloud-init's own schema check (Debian's cloud-init package), and what the
 * examples write agrees with what `multinic install` installs.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MULTINIC_HOTPLUG_SERVICE, UDEV_RULE } from '../../src/install/assets.js';
import { PATHS } from '../../src/install/render-install.js';
import { NOVA_USER_DATA_LIMIT, packUserData, renderEmbeddedUserData } from '../../scripts/render-user-data.js';

const exec = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
const EXAMPLES = (await readdir(join(repo, 'cloud-init'))).filter((name) => name.endsWith('.yaml')).sort();

async function schemaCheck(): Promise<{ ok: boolean; reason: string }> {
  try {
    await exec('cloud-init', ['--version']);
    return { ok: true, reason: "cloud-init's schema check" };
  } catch {
    const reason =
      'cloud-init schema checks skipped: no cloud-init (apt-get install --no-install-recommends cloud-init)';
    if (process.env.CI) throw new Error(`${reason} — in CI they must run`);
    process.stderr.write(`${reason}\n`);
    return { ok: false, reason };
  }
}
const cloudInit = await schemaCheck();

/** A unit or rule without its comments and blank lines: what systemd and udev read. */
const meaningful = (text: string): string[] =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

interface WriteFile {
  path: string;
  content: string;
  encoding?: string;
}

describe('cloud-init/ user_data examples', () => {
  it('holds the hand-written examples (the one that carries the bundle is generated into build/ by npm run bundle)', () => {
    expect(EXAMPLES).toEqual(['user-data-baked.yaml', 'user-data-download.yaml', 'user-data-hotplug.yaml']);
  });

  it.each(EXAMPLES)('%s starts with #cloud-config and says when to use it', async (name) => {
    const text = await readFile(join(repo, 'cloud-init', name), 'utf8');
    expect(text.startsWith('#cloud-config\n# When to use this: ')).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(NOVA_USER_DATA_LIMIT);
  });

  it.skipIf(!cloudInit.ok).each(EXAMPLES)(`%s passes cloud-init schema (${cloudInit.reason})`, async (name) => {
    const { stdout } = await exec('cloud-init', ['schema', '--config-file', join(repo, 'cloud-init', name)]);
    expect(stdout).toContain('Valid cloud-config');
  });

  it('the hotplug example writes the same unit and udev rule that multinic install installs', async () => {
    const config = parse(await readFile(join(repo, 'cloud-init', 'user-data-hotplug.yaml'), 'utf8')) as {
      write_files: WriteFile[];
    };
    const byPath = new Map(config.write_files.map((file) => [file.path, file.content]));
    expect(meaningful(byPath.get(PATHS.hotplugService) ?? '')).toEqual(meaningful(MULTINIC_HOTPLUG_SERVICE));
    expect(meaningful(byPath.get(PATHS.udevRule) ?? '')).toEqual(meaningful(UDEV_RULE));
  });
});

describe('the embedded-bundle user_data (rendered from bytes)', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'multinic-cloud-init-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });
  // Random-looking bytes do not compress: a large one shows the size verdict turn.
  const small = new TextEncoder().encode('console.log("multinic")\n'.repeat(100));
  const large = new Uint8Array(randomBytes(80_000));

  it('carries the bytes exactly (brotli + b64, unpacked by node), then installs and enables multinic', async () => {
    const text = renderEmbeddedUserData(small, '9.9.9');
    const config = parse(text) as { packages: string[]; write_files: WriteFile[]; runcmd: string[][] };
    expect(config.packages).toEqual(['nodejs']);
    const [file] = config.write_files;
    expect([file?.path, file?.encoding]).toEqual([`${PATHS.bundle}.br`, 'b64']);
    expect(new Uint8Array(brotliDecompressSync(Buffer.from(file?.content ?? '', 'base64')))).toEqual(small);
    // The unpack command itself, run as cloud-init's runcmd would: the bundle appears, the packed file goes.
    const [node, flag, script, packed, bundle] = config.runcmd[0] ?? [];
    expect([node, flag, packed, bundle]).toEqual(['node', '-e', `${PATHS.bundle}.br`, PATHS.bundle]);
    await writeFile(join(work, 'in.br'), Buffer.from(file?.content ?? '', 'base64'));
    await exec(process.execPath, ['-e', script ?? '', join(work, 'in.br'), join(work, 'out.cjs')]);
    expect(new Uint8Array(await readFile(join(work, 'out.cjs')))).toEqual(small);
    await expect(readFile(join(work, 'in.br'))).rejects.toThrow();
    expect(config.runcmd[1]).toEqual(['node', PATHS.bundle, 'install', '--root', '/', '--bundle', PATHS.bundle]);
    expect(config.runcmd.at(-1)).toEqual(['systemctl', 'enable', '--now', 'multinic.service']);
  });

  it("is handed to Nova gzip'd: exactly the text, deterministic, and says so", () => {
    const text = renderEmbeddedUserData(small, '9.9.9');
    expect(text).toContain('build/user-data-embedded.yaml.gz');
    const packed = packUserData(text);
    expect(gunzipSync(packed).toString('utf8')).toBe(text);
    expect(packUserData(text).equals(packed)).toBe(true);
    // gzip takes back most of what base64 added: well under the text's size.
    expect(packUserData(renderEmbeddedUserData(large, '9.9.9')).length).toBeLessThan(
      Buffer.byteLength(renderEmbeddedUserData(large, '9.9.9')),
    );
  });

  it.skipIf(!cloudInit.ok)('passes cloud-init schema', async () => {
    const file = join(work, 'user-data.yaml');
    await writeFile(file, renderEmbeddedUserData(small, '9.9.9'));
    const { stdout } = await exec('cloud-init', ['schema', '--config-file', file]);
    expect(stdout).toContain('Valid cloud-config');
  });
});
