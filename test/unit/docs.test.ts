import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMMANDS, OPTIONS, USAGE } from '../../src/cli/args.js';
import { renderBashCompletion } from '../../src/docs/completion.js';
import { manConfigKeys } from '../../src/docs/config-keys.js';
import { MAN_DATE, renderManPage } from '../../src/docs/man.js';
import { VERSION } from '../../src/version.js';

const exec = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
const has = async (tool: string) =>
  await exec('sh', ['-c', `command -v ${tool}`]).then(
    () => true,
    () => false,
  );
const manAvailable = await has('man');
if (!manAvailable && process.env.CI)
  throw new Error('man is missing (apt-get install man-db): in CI the man page test must run');

describe('man page and completion, generated from the command line itself', () => {
  it('man/multinic.8 is what --help renders to (else: npm run docs)', async () => {
    expect(await readFile(join(repo, 'man', 'multinic.8'), 'utf8')).toBe(
      renderManPage(USAGE, VERSION, MAN_DATE, manConfigKeys()),
    );
  });

  it('completion/multinic is what the options render to (else: npm run docs)', async () => {
    expect(await readFile(join(repo, 'completion', 'multinic'), 'utf8')).toBe(renderBashCompletion(COMMANDS, OPTIONS));
  });

  it.skipIf(!manAvailable)(
    'man -l renders multinic(8) without warnings, with every command and option of --help',
    async () => {
      const { stdout, stderr } = await exec('man', ['-l', join(repo, 'man', 'multinic.8')], {
        env: { ...process.env, MANWIDTH: '100', MAN_KEEP_FORMATTING: '', LC_ALL: 'C.UTF-8' },
      });
      expect(stderr).toBe('');
      expect(stdout).toMatch(/^MULTINIC\(8\) +System Administration +MULTINIC\(8\)$/m);
      expect(stdout).toMatch(
        /^NAME\n {7}multinic - make every NIC of an OpenStack guest answer on its own addresses$/m,
      );
      expect(stdout).toMatch(/^ {7}MULTINIC_EXCLUDE=""\n {14}interface +names +or +MACs,/m);
      for (const section of [
        'SYNOPSIS',
        'COMMANDS',
        'SOURCE',
        'OPTIONS',
        'COMMON',
        'EXIT CODES',
        'EXAMPLES',
        'CONFIGURATION',
        'FILES',
        'SEE ALSO',
      ])
        expect(stdout).toMatch(new RegExp(`^${section}$`, 'm'));
      // Every line of --help is on the page, as written (indentation aside).
      const page = stdout.split('\n').map((line) => line.trim());
      for (const line of USAGE.split('\n')
        .slice(2)
        .filter((text) => text.startsWith('  ')))
        expect(page).toContain(line.trim());
      expect(stdout).toContain('multinic status || echo some address does not answer on its own NIC');
    },
  );

  it("bash completes commands, each command's options, and option values", async () => {
    const complete = async (...words: string[]) => {
      const script = `source ${join(repo, 'completion', 'multinic')}; COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _multinic; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return (await exec('bash', ['-c', script])).stdout.split('\n').filter(Boolean).sort();
    };
    expect(await complete('multinic', 'ex')).toEqual(['explain']);
    expect(await complete('multinic', 're')).toEqual(['reconcile']);
    expect(await complete('multinic', 'status', '--')).toEqual([
      '--config',
      '--debug',
      '--help',
      '--json',
      '--quiet',
      '--root',
      '--state-dir',
      '--verbose',
    ]);
    expect(await complete('multinic', 'apply', '--persist', 'n')).toEqual([
      'netplan',
      'networkd',
      'networkmanager',
      'none',
    ]);
    expect(await complete('multinic', 'plan', '--source', '')).toEqual(['auto', 'configdrive', 'file', 'metadata']);
    expect(await complete('multinic', 'explain', '127.0.0.')).toContain('127.0.0.1');
  });
});
