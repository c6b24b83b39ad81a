import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEntryPoint } from '../../src/cli/entry.js';

describe('isEntryPoint: is main.ts the program being run', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multinic-entry-'));
    file = join(dir, 'main.js');
    await writeFile(file, '');
    await symlink(file, join(dir, 'multinic'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a name as typed from PATH (argv[1] of a single executable) that resolves to nothing: not a crash', () => {
    expect(() => isEntryPoint(pathToFileURL(file).href, 'multinic', undefined)).not.toThrow();
    expect(isEntryPoint(pathToFileURL(file).href, 'multinic-no-such-file', undefined)).toBe(false);
  });

  it('the bundle and the single executable decide by their own flag (require.main === module), whatever argv[1] is', () => {
    expect(isEntryPoint(pathToFileURL(file).href, 'multinic', true)).toBe(true);
    expect(isEntryPoint(pathToFileURL(file).href, file, false)).toBe(false);
  });

  it('the ESM build: the same file by absolute path or through a symlink (npm bin), not another file', () => {
    expect(isEntryPoint(pathToFileURL(file).href, file, undefined)).toBe(true);
    expect(isEntryPoint(pathToFileURL(file).href, join(dir, 'multinic'), undefined)).toBe(true);
    expect(isEntryPoint(pathToFileURL(file).href, join(dir, 'other.js'), undefined)).toBe(false);
    expect(isEntryPoint(pathToFileURL(file).href, undefined, undefined)).toBe(false);
  });
});
