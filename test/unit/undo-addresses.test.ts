/**
 * Issue 17 for the own-address step (issue 13): a run that fails after it put addresses on
 * an unowned NIC takes them off again. The undo is planned here, pure; the kernel is modelled
 * by a small interpreter of the `ip` lines (applyLines), written for the test, so the check
 * is "the kernel after plan + undo equals the kernel before", not the lines the code built.
 */
import { describe, expect, it } from 'vitest';
import {
  addressCommands,
  EMPTY_RECORD,
  inverseAddressPlan,
  planAddresses,
  undoAddressCommands,
  type AddressPlan,
  type AddressRecord,
} from '../../src/plan/addresses.js';
import type { KernelInterface } from '../../src/model/types.js';
import { aLink, aNetwork, anAddress, bareEns6, ens3, MAC6, networkData } from './builders.js';

const ens6Networks = (v4: string) => [
  aNetwork({ id: 'network6', linkId: 'tap6', address: { address: v4, prefix: 24 }, gateway: '198.51.100.1' }),
  aNetwork({
    id: 'network6v6',
    linkId: 'tap6',
    family: 6,
    address: { address: '2001:db8:6::44', prefix: 64 },
    gateway: '2001:db8:6::1',
  }),
];
const withEns6 = (v4: string) =>
  networkData([aLink(), aLink({ id: 'tap6', mac: MAC6 })], [aNetwork(), ...ens6Networks(v4)]);
const ownsEns3 = (nic: KernelInterface) => (nic.name === 'ens3' ? { owner: 'ifupdown', why: 'test' } : undefined);

/** The kernel's side of the lines, as `ip -batch` would leave the interfaces (stops at the first refusal). */
function applyLines(interfaces: KernelInterface[], lines: string[][]): KernelInterface[] {
  const next = interfaces.map((iface) => ({ ...iface, addresses: [...iface.addresses] }));
  for (const line of lines) {
    const [object, verb] = line;
    const iface = next.find((candidate) => candidate.name === line[line.indexOf('dev') + 1]);
    if (!iface) throw new Error(`Cannot find device: ${line.join(' ')}`);
    if (object === 'link') iface.up = line[4] === 'up';
    else {
      const [address = '', prefix = ''] = (line[2] ?? '').split('/');
      const at = iface.addresses.findIndex((live) => live.address === address && live.prefix === Number(prefix));
      if (verb === 'add') {
        if (at >= 0) throw new Error(`File exists: ${line.join(' ')}`);
        iface.addresses.push(anAddress(address, Number(prefix)));
      } else {
        if (at < 0) throw new Error(`Cannot assign requested address: ${line.join(' ')}`);
        iface.addresses.splice(at, 1);
      }
    }
  }
  return next;
}

const sorted = (interfaces: KernelInterface[]) =>
  interfaces.map((iface) => ({
    ...iface,
    addresses: [...iface.addresses].sort((a, b) => a.address.localeCompare(b.address)),
  }));

describe('inverseAddressPlan', () => {
  it('swaps what was added with what was removed and up with down, and carries the record of before', () => {
    const before: AddressRecord = { nics: [{ mac: MAC6, iface: 'ens6', addresses: [], linkUp: true }] };
    const plan: AddressPlan = {
      up: ['ens6'],
      add: [{ iface: 'ens6', family: 4, address: '198.51.100.44', prefix: 24 }],
      remove: [{ iface: 'ens7', family: 6, address: '2001:db8:7::1', prefix: 64 }],
      down: ['ens7'],
      record: EMPTY_RECORD,
      notes: [{ level: 'info', message: 'x' }],
    };
    expect(inverseAddressPlan(plan, before)).toEqual({
      up: ['ens7'],
      add: [{ iface: 'ens7', family: 6, address: '2001:db8:7::1', prefix: 64 }],
      remove: [{ iface: 'ens6', family: 4, address: '198.51.100.44', prefix: 24 }],
      down: ['ens6'],
      record: before,
      notes: [],
    });
  });
});

describe('undoAddressCommands', () => {
  it('attach undone: the addresses put on come off, then the link goes down; the kernel is as before', () => {
    const before = [ens3, bareEns6];
    const plan = planAddresses(withEns6('198.51.100.44'), before, EMPTY_RECORD, ownsEns3);
    const after = applyLines(before, addressCommands(plan));
    const undo = undoAddressCommands([plan], after);
    expect(undo).toEqual([
      ['address', 'del', '198.51.100.44/24', 'dev', 'ens6'],
      ['address', 'del', '2001:db8:6::44/64', 'dev', 'ens6'],
      ['link', 'set', 'dev', 'ens6', 'down'],
    ]);
    expect(sorted(applyLines(after, undo))).toEqual(sorted(before));
  });

  it("a port whose address changed: the new one comes off and the old one (an earlier run's) goes back on", () => {
    const record: AddressRecord = {
      nics: [
        {
          mac: MAC6,
          iface: 'ens6',
          addresses: [
            { family: 4, address: '198.51.100.44', prefix: 24 },
            { family: 6, address: '2001:db8:6::44', prefix: 64 },
          ],
          linkUp: true,
        },
      ],
    };
    const before = [
      ens3,
      { ...bareEns6, up: true, addresses: [anAddress('198.51.100.44', 24), anAddress('2001:db8:6::44', 64)] },
    ];
    const plan = planAddresses(withEns6('198.51.100.45'), before, record, ownsEns3);
    expect(plan.remove).toHaveLength(1);
    const after = applyLines(before, addressCommands(plan));
    const undo = undoAddressCommands([plan], after);
    expect(undo).toEqual([
      ['address', 'add', '198.51.100.44/24', 'dev', 'ens6'],
      ['address', 'del', '198.51.100.45/24', 'dev', 'ens6'],
    ]);
    expect(sorted(applyLines(after, undo))).toEqual(sorted(before));
  });

  it('a port gone from the metadata: the addresses taken off go back on and the link comes up again', () => {
    const record: AddressRecord = {
      nics: [
        { mac: MAC6, iface: 'ens6', addresses: [{ family: 4, address: '198.51.100.44', prefix: 24 }], linkUp: true },
      ],
    };
    const before = [ens3, { ...bareEns6, up: true, addresses: [anAddress('198.51.100.44', 24)] }];
    const plan = planAddresses(networkData([aLink()], [aNetwork()]), before, record, ownsEns3);
    const after = applyLines(before, addressCommands(plan));
    expect(after[1]).toMatchObject({ up: false, addresses: [] });
    const undo = undoAddressCommands([plan], after);
    expect(undo).toEqual([
      ['link', 'set', 'dev', 'ens6', 'up'],
      ['address', 'add', '198.51.100.44/24', 'dev', 'ens6'],
    ]);
    expect(sorted(applyLines(after, undo))).toEqual(sorted(before));
  });

  it('several plans of one run (a wait that went round): undone last first, in one batch, back to the start', () => {
    const before = [ens3, bareEns6];
    const first = planAddresses(withEns6('198.51.100.44'), before, EMPTY_RECORD, ownsEns3);
    const middle = applyLines(before, addressCommands(first));
    // The metadata changed while the run waited: the second read moves the port's address.
    const second = planAddresses(withEns6('198.51.100.45'), middle, first.record, ownsEns3);
    expect(second.remove).toHaveLength(1);
    const after = applyLines(middle, addressCommands(second));
    const undo = undoAddressCommands([first, second], after);
    expect(sorted(applyLines(after, undo))).toEqual(sorted(before));
    expect(undo.at(-1)).toEqual(['link', 'set', 'dev', 'ens6', 'down']);
  });

  it('a batch that stopped half-way is undone as far as it went, with no line the kernel would refuse', () => {
    const before = [ens3, bareEns6];
    const plan = planAddresses(withEns6('198.51.100.44'), before, EMPTY_RECORD, ownsEns3);
    // Only the link and the IPv4 address went through.
    const after = applyLines(before, addressCommands(plan).slice(0, 2));
    const undo = undoAddressCommands([plan], after);
    expect(undo).toEqual([
      ['address', 'del', '198.51.100.44/24', 'dev', 'ens6'],
      ['link', 'set', 'dev', 'ens6', 'down'],
    ]);
    expect(sorted(applyLines(after, undo))).toEqual(sorted(before));
  });

  it('a NIC that left the guest took its addresses with it: nothing to ask of the kernel', () => {
    const plan = planAddresses(withEns6('198.51.100.44'), [ens3, bareEns6], EMPTY_RECORD, ownsEns3);
    expect(undoAddressCommands([plan], [ens3])).toEqual([]);
    expect(undoAddressCommands([], [ens3, bareEns6])).toEqual([]);
  });
});
