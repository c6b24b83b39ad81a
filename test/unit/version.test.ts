import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../../src/cli/args.js';
import { main } from '../../src/cli/main.js';
import { VERSION } from '../../src/version.js';

async function runMain(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(
    argv,
    { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) },
    async () => {
      throw new Error('no command may run for this');
    },
  );
  return { code, stdout, stderr };
}

describe('the CLI surface', () => {
  it('reports the version package.json declares', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(VERSION).toBe(pkg.version);
    expect((await runMain(['--version'])).stdout).toBe(`multinic ${pkg.version}\n`);
  });

  it('shows the same usage in --help as the README documents', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const help = await runMain(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(USAGE);
    expect(readme).toContain(USAGE.trimEnd());
  });

  it('exits 64 on an unknown command or option, naming it', async () => {
    const command = await runMain(['frobnicate']);
    expect([command.code, command.stderr]).toEqual([64, expect.stringContaining('unknown command "frobnicate"')]);
    const option = await runMain(['plan', '--frob']);
    expect(option.code).toBe(64);
    expect(option.stderr).toContain('--frob');
  });
});
