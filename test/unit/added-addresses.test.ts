/**
 * addresses.json goes through the state dir's one reader: written and read back as is, and a
 * damaged one is moved aside with a warning (it used to throw, and a `.catch` at the caller
 * silently read it as empty).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AddressRecord } from '../../src/plan/addresses.js';
import { readAddressRecord, writeAddressRecord } from '../../src/state/added-addresses.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const aDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'multinic-addresses-'));
  dirs.push(dir);
  return dir;
};

const record: AddressRecord = {
  nics: [
    {
      mac: 'fa:16:3e:00:00:06',
      iface: 'ens6',
      addresses: [
        { family: 4, address: '198.51.100.44', prefix: 24 },
        { family: 6, address: '2001:db8:6::44', prefix: 64 },
      ],
      linkUp: true,
    },
  ],
};

describe('addresses.json', () => {
  it('reads back what was written; a missing file is an empty record, without a warning', async () => {
    const dir = aDir();
    const said: string[] = [];
    expect(await readAddressRecord(dir, (message) => said.push(message))).toEqual({ nics: [] });
    await writeAddressRecord(dir, record);
    expect(await readAddressRecord(dir, (message) => said.push(message))).toEqual(record);
    expect(said).toEqual([]);
  });

  it.each([
    ['truncated', '{"nics": [{"mac": "fa:16'],
    ['of another shape', '{"nics": [{"mac": "fa:16:3e:00:00:06", "addresses": "198.51.100.44"}]}'],
  ])('a %s file is moved aside with a warning naming it, and read as empty', async (_what, text) => {
    const dir = aDir();
    writeFileSync(join(dir, 'addresses.json'), text);
    const said: string[] = [];
    expect(await readAddressRecord(dir, (message) => said.push(message))).toEqual({ nics: [] });
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(`${join(dir, 'addresses.json')}: `);
    expect(said[0]).toContain('the addresses multinic put on before are left where they are');
    expect(existsSync(join(dir, 'addresses.json'))).toBe(false);
    expect(readdirSync(dir).filter((name) => name.startsWith('addresses.json.damaged-'))).toHaveLength(1);
  });
});
