/**
 * The files a run keeps in its state dir are written only when they change: a rerun with
 * nothing to do then costs no write and no fsync (npm run bench: about 15 ms of a rerun under
 * strace went to rewriting four identical files). A changed file is still replaced atomically.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyState } from '../../src/plan/allocate.js';
import { writeRecord } from '../../src/state/record.js';
import { writeSysctlOriginals } from '../../src/sysctl/read-write.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const aStateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'multinic-state-writes-'));
  dirs.push(dir);
  return dir;
};
// An atomic replace is a rename of a new file: a new inode. No write keeps the old one.
const inode = (path: string) => statSync(path).ino;

describe('state dir writes on a rerun', () => {
  it('leave state.json, applied.json, the cached document and the sysctl originals alone when unchanged', async () => {
    const dir = aStateDir();
    const state = emptyState();
    const write = async (text: string, value: string) => {
      await writeRecord(dir, { state, applied: { nics: [], desired: { routes: [], rules: [] } }, document: text });
      await writeSysctlOriginals(dir, { 'fa:16:3e:00:00:04': { rp_filter: value } });
    };
    await write('{"links":[]}', '1');
    const files = ['state.json', 'applied.json', 'network_data.json', 'sysctl-originals.json'].map((name) =>
      join(dir, name),
    );
    const before = files.map(inode);
    await write('{"links":[]}', '1');
    expect(files.map(inode)).toEqual(before);

    // Changed content is still written, atomically (a new file renamed over the old one).
    await write('{"links":[],"networks":[]}', '0');
    expect(inode(files[2]!)).not.toBe(before[2]);
    expect(inode(files[3]!)).not.toBe(before[3]);
    expect(readFileSync(files[2]!, 'utf8')).toBe('{"links":[],"networks":[]}\n');
    expect(JSON.parse(readFileSync(files[3]!, 'utf8'))).toEqual({ 'fa:16:3e:00:00:04': { rp_filter: '0' } });
  });
});
