/**
 * The emulated guest of the demo and the first-boot test: three NICs, two on
 * 203.0.113.0/24 and one on 192.0.2.0/24. In network_data.json the primary (ens3) is not
 * listed first and one MAC is written in upper case, as real documents can have it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from './repo-root.js';
import type { LabNetwork, LabNic } from './lab.js';

export const THREE_NIC_NETWORKS: LabNetwork[] = [
  { name: 'net-a', v4: { cidr: '203.0.113.0/24', gateway: '203.0.113.1' } },
  { name: 'net-b', v4: { cidr: '192.0.2.0/24', gateway: '192.0.2.1' } },
];

export const THREE_NIC_GUEST: LabNic[] = [
  { name: 'ens3', mac: 'fa:16:3e:a1:00:01', network: 'net-a', addresses: ['203.0.113.21/24'], primary: true },
  { name: 'ens4', mac: 'fa:16:3e:a1:00:02', network: 'net-a', addresses: ['203.0.113.22/24'] },
  { name: 'ens5', mac: 'fa:16:3e:a1:00:03', network: 'net-b', addresses: ['192.0.2.30/24'] },
];

/** network_data.json for THREE_NIC_GUEST: test/fixtures/guests/three-nics.json, the one copy. */
export const THREE_NIC_NETWORK_DATA: unknown = JSON.parse(
  readFileSync(join(findRepoRoot(), 'test', 'fixtures', 'guests', 'three-nics.json'), 'utf8'),
);
