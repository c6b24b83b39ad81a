/**
 * Issue 14, harm 4, on a real kernel: documents that would do harm are refused with exit
 * 65 and the JSON path before anything changes, and the guest keeps answering on every
 * NIC; `"networks": []` is applied as what it says.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THREE_NIC_GUEST, THREE_NIC_NETWORK_DATA, THREE_NIC_NETWORKS } from '../../mocks/lab/guests.js';
import { createLab, type Lab } from '../../mocks/lab/lab.js';
import { e2eAvailability } from '../support/e2e.js';

const availability = await e2eAvailability();
const ALL = ['203.0.113.21', '203.0.113.22', '192.0.2.30'];
const document = THREE_NIC_NETWORK_DATA as { links: object[]; networks: { ip_address: string }[]; services: object[] };

describe.skipIf(!availability.ok)(`documents judged before they act (${availability.reason})`, () => {
  let lab: Lab;
  let state: string;
  const apply = () => lab.multinic(['apply', '--source', 'metadata', '--persist', 'none', '--state-dir', state]);
  const routing = async () =>
    (await Promise.all([lab.exec('guest', 'ip', ['rule']), lab.exec('guest', 'ip', ['route', 'show', 'table', 'all'])]))
      .map((result) => result.stdout)
      .join('\n');

  beforeAll(async () => {
    state = await mkdtemp(join(tmpdir(), 'multinic-e2e14j-'));
    lab = await createLab({ networks: THREE_NIC_NETWORKS, nics: THREE_NIC_GUEST, networkData: THREE_NIC_NETWORK_DATA });
    const first = await apply();
    expect(first.exitCode, first.stderr).toBe(0);
    expect([...(await lab.reachability(ALL)).values()]).toEqual([true, true, true]);
  });
  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if beforeAll failed before it was made
    await lab?.destroy();
    await rm(state, { recursive: true, force: true });
  });

  it("two NICs' addresses swapped: exit 65 naming the JSON path, nothing changed, 3/3 still answer", async () => {
    const swapped = structuredClone(document);
    const [a, , c] = swapped.networks; // tap-ens4's 203.0.113.22 and tap-ens5's 192.0.2.30
    [a!.ip_address, c!.ip_address] = [c!.ip_address, a!.ip_address];
    await lab.metadata.setNetworkData(swapped);
    const before = await routing();
    const result = await apply();
    expect(result.exitCode, result.stderr).toBe(65);
    expect(result.stderr).toContain('networks[0].ip_address: 192.0.2.30 is on ens5 (fa:16:3e:a1:00:03)');
    expect(await routing()).toBe(before);
    expect([...(await lab.reachability(ALL)).values()]).toEqual([true, true, true]);
  });

  it('no networks key: exit 65 naming networks, every rule kept', async () => {
    await lab.metadata.setNetworkData({ links: document.links, services: [] });
    const before = await routing();
    const result = await apply();
    expect(result.exitCode, result.stderr).toBe(65);
    expect(result.stderr).toContain('network_data.json: networks: is missing');
    expect(await routing()).toBe(before);
    expect([...(await lab.reachability(ALL)).values()]).toEqual([true, true, true]);
  });

  it('"networks": [] is applied as what it says: multinic removes its own rules, the primary still answers', async () => {
    await lab.metadata.setNetworkData({ links: document.links, networks: [], services: [] });
    const result = await apply();
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await lab.exec('guest', 'ip', ['rule'])).stdout).not.toContain('proto 147');
    expect([...(await lab.reachability(ALL)).values()]).toEqual([true, false, false]);
  });
});
