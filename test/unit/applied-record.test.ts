/**
 * The record of the last apply keeps every field of what was applied: a field its schema
 * leaves out is dropped on reading, and `verify` then reports the three rule tiers of
 * plan/local-paths.ts (which differ only by `to` and `suppressPrefixlength`) as missing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppliedRecord } from '../../src/state/applied.js';
import { emptyState } from '../../src/plan/allocate.js';
import { readApplied } from '../../src/state/applied.js';
import { writeRecord } from '../../src/state/record.js';

const record: AppliedRecord = {
  nics: [
    {
      mac: 'fa:16:3e:a1:00:02',
      iface: 'ens4',
      table: 10001,
      priority: 10001,
      addresses: ['203.0.113.22'],
      kind: 'vlan',
      dynamic: ['203.0.113.22'],
    },
  ],
  desired: {
    routes: [
      { family: 4, table: 10001, dst: '203.0.113.0/24', dev: 'ens4', src: '203.0.113.22', scope: 'link' },
      { family: 4, table: 10001, dst: 'default', via: '203.0.113.1', dev: 'ens4' },
    ],
    rules: [
      { family: 4, priority: 10001, from: '203.0.113.22/32', to: '203.0.113.0/24', table: 10001 },
      { family: 4, priority: 12001, from: '203.0.113.22/32', table: 254, suppressPrefixlength: 0 },
      { family: 4, priority: 14001, from: '203.0.113.22/32', table: 10001 },
    ],
  },
};

describe('applied.json', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads back exactly what was written, the rule tiers and the NIC kinds included', async () => {
    dir = await mkdtemp(join(tmpdir(), 'multinic-applied-'));
    await writeRecord(dir, { state: emptyState(), applied: record });
    const warnings: string[] = [];
    expect(await readApplied(dir, (message) => warnings.push(message))).toEqual(record);
    expect(warnings).toEqual([]);
  });
});
