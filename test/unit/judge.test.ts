/** Issue 14: a document whose addresses would move to another NIC is refused before anything is planned. */
import { describe, expect, it } from 'vitest';
import { InvalidNetworkData } from '../../src/errors.js';
import { judgeAgainstKernel } from '../../src/plan/judge.js';
import { aLink, aNetwork, anAddress, anInterface, networkData } from './builders.js';

const links = [aLink({ id: 'tap4', mac: 'fa:16:3e:00:00:04' }), aLink({ id: 'tap5', mac: 'fa:16:3e:00:00:05' })];
const guest = [
  anInterface({ name: 'ens4', mac: 'fa:16:3e:00:00:04', addresses: [anAddress('203.0.113.22', 24)] }),
  anInterface({ name: 'ens5', index: 3, mac: 'fa:16:3e:00:00:05', addresses: [anAddress('192.0.2.30', 24)] }),
];
const on = (linkId: string, address: string, index: number) =>
  aNetwork({
    id: `n${index}`,
    path: `networks[${index}]`,
    linkId,
    address: { address, prefix: 24 },
    gateway: undefined,
  });

describe('judging a document against the guest', () => {
  it('accepts addresses on the NICs that hold them', () => {
    expect(() => {
      judgeAgainstKernel(networkData(links, [on('tap4', '203.0.113.22', 0), on('tap5', '192.0.2.30', 1)]), guest);
    }).not.toThrow();
  });

  it("refuses two NICs' addresses swapped, naming the JSON path, the NIC that holds the address and the one the document names", () => {
    const swapped = networkData(links, [on('tap4', '192.0.2.30', 0), on('tap5', '203.0.113.22', 1)]);
    expect(() => {
      judgeAgainstKernel(swapped, guest);
    }).toThrow(InvalidNetworkData);
    expect(() => {
      judgeAgainstKernel(swapped, guest);
    }).toThrow(
      'network_data.json: networks[0].ip_address: 192.0.2.30 is on ens5 (fa:16:3e:00:00:05), but the document puts it on link "tap4" (fa:16:3e:00:00:04, which is ens4)',
    );
  });

  it('does not judge an address no NIC holds yet, nor a NIC that is not on the guest yet', () => {
    expect(() => {
      judgeAgainstKernel(networkData(links, [on('tap4', '203.0.113.99', 0)]), guest);
    }).not.toThrow();
    const absent = [aLink({ id: 'tap9', mac: 'fa:16:3e:00:00:09' })];
    expect(() => {
      judgeAgainstKernel(networkData(absent, [on('tap9', '192.0.2.30', 0)]), guest);
    }).not.toThrow();
  });
});
