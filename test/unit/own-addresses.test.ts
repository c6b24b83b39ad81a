/**
 * Issue 13: addresses for NICs that no network owner configures (a port attached after
 * cloud-init rendered the configuration): put on exactly the static ones of the metadata,
 * recorded, taken back exactly, and never on a NIC an owner configures.
 */
import { describe, expect, it } from 'vitest';
import {
  addressCommands,
  EMPTY_RECORD,
  planAddresses,
  type AddressRecord,
  type OwnerOf,
} from '../../src/plan/addresses.js';
import { aLink, aNetwork, anAddress, bareEns6, ens3, MAC6, networkData } from './builders.js';

const data = networkData(
  [aLink(), aLink({ id: 'tap6', mac: MAC6 })],
  [
    aNetwork(),
    aNetwork({
      id: 'network6',
      linkId: 'tap6',
      address: { address: '198.51.100.44', prefix: 24 },
      gateway: '198.51.100.1',
    }),
    aNetwork({
      id: 'network6v6',
      linkId: 'tap6',
      family: 6,
      address: { address: '2001:db8:6::44', prefix: 64 },
      gateway: '2001:db8:6::1',
    }),
  ],
);
/** ens3 is cloud-init's (ifupdown); nobody configures ens6. */
const ifupdownOwnsEns3: OwnerOf = (nic) =>
  nic.name === 'ens3' ? { owner: 'ifupdown', why: '/etc/network/interfaces configures ens3' } : undefined;
const recordAfterAttach: AddressRecord = {
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

describe('planAddresses', () => {
  it("attach: the new NIC is brought up and gets its IPv4 and IPv6 addresses; the owner's NIC is left alone", () => {
    const plan = planAddresses(data, [ens3, bareEns6], EMPTY_RECORD, ifupdownOwnsEns3);
    expect(addressCommands(plan)).toEqual([
      ['link', 'set', 'dev', 'ens6', 'up'],
      ['address', 'add', '198.51.100.44/24', 'dev', 'ens6'],
      ['address', 'add', '2001:db8:6::44/64', 'dev', 'ens6', 'nodad'],
    ]);
    expect(plan.record).toEqual(recordAfterAttach);
    expect(plan.notes.map((note) => note.message)).toEqual([
      'ens6 (fa:16:3e:00:00:06): no network owner configures it: multinic puts on 198.51.100.44/24, 2001:db8:6::44/64 from network_data.json',
    ]);
  });

  it('a rerun with the addresses on changes nothing and keeps the record; after a reboot (addresses gone) it puts them back', () => {
    const configured = {
      ...bareEns6,
      up: true,
      addresses: [anAddress('198.51.100.44', 24), anAddress('2001:db8:6::44', 64)],
    };
    const rerun = planAddresses(data, [ens3, configured], recordAfterAttach, ifupdownOwnsEns3);
    expect(addressCommands(rerun)).toEqual([]);
    expect(rerun.record).toEqual(recordAfterAttach);
    const rebooted = planAddresses(data, [ens3, bareEns6], recordAfterAttach, ifupdownOwnsEns3);
    expect(addressCommands(rebooted)).toHaveLength(3);
    expect(rebooted.record).toEqual(recordAfterAttach);
  });

  it('the port gone from the metadata, the NIC still there: exactly what was added is taken back, and the link set down again', () => {
    const configured = {
      ...bareEns6,
      up: true,
      addresses: [
        anAddress('198.51.100.44', 24),
        anAddress('2001:db8:6::44', 64),
        anAddress('fe80::f816:3eff:fe00:6', 64, { scope: 'link' }),
      ],
    };
    const plan = planAddresses(
      networkData([aLink()], [aNetwork()]),
      [ens3, configured],
      recordAfterAttach,
      ifupdownOwnsEns3,
    );
    expect(addressCommands(plan)).toEqual([
      ['address', 'del', '198.51.100.44/24', 'dev', 'ens6'],
      ['address', 'del', '2001:db8:6::44/64', 'dev', 'ens6'],
      ['link', 'set', 'dev', 'ens6', 'down'],
    ]);
    expect(plan.record).toEqual(EMPTY_RECORD);
    // Detached from the guest too: its addresses went with it; nothing to run, the record empties.
    const gone = planAddresses(networkData([aLink()], [aNetwork()]), [ens3], recordAfterAttach, ifupdownOwnsEns3);
    expect([addressCommands(gone), gone.record]).toEqual([[], EMPTY_RECORD]);
  });

  it('never touches a NIC an owner configures, nor one with addresses someone else put on', () => {
    const ownsAll: OwnerOf = () => ({ owner: 'systemd-networkd', why: 'test' });
    expect(addressCommands(planAddresses(data, [ens3, bareEns6], EMPTY_RECORD, ownsAll))).toEqual([]);
    const byHand = { ...bareEns6, up: true, addresses: [anAddress('198.51.100.99', 24)] };
    const plan = planAddresses(data, [ens3, byHand], EMPTY_RECORD, ifupdownOwnsEns3);
    expect(addressCommands(plan)).toEqual([]);
    // Up with no address, not by multinic: someone is configuring it right now.
    expect(
      addressCommands(planAddresses(data, [ens3, { ...bareEns6, up: true }], EMPTY_RECORD, ifupdownOwnsEns3)),
    ).toEqual([]);
    // An owner that takes over a NIC multinic configured: the record is dropped, the addresses stay (the owner's now).
    const takenOver = planAddresses(
      data,
      [ens3, { ...bareEns6, up: true, addresses: [anAddress('198.51.100.44', 24)] }],
      recordAfterAttach,
      ownsAll,
    );
    expect([addressCommands(takenOver), takenOver.record]).toEqual([[], EMPTY_RECORD]);
  });

  it('a DHCP network on an unowned NIC: said, not done (multinic runs no DHCP client); the link is brought up', () => {
    const dhcp = networkData(
      [aLink(), aLink({ id: 'tap6', mac: MAC6 })],
      [aNetwork(), aNetwork({ id: 'network6', linkId: 'tap6', source: 'dhcp' })],
    );
    delete (dhcp.networks[1] as { address?: unknown }).address;
    const plan = planAddresses(dhcp, [ens3, bareEns6], EMPTY_RECORD, ifupdownOwnsEns3);
    expect(addressCommands(plan)).toEqual([['link', 'set', 'dev', 'ens6', 'up']]);
    expect(plan.notes[0]?.message).toContain(
      'network network6 is dhcp and no network owner configures ens6: multinic runs no DHCP client',
    );
  });
});
