/** Issue 14: reading which device type and ID the owner's netplan files give an interface. */
import { describe, expect, it } from 'vitest';
import { findNetplanOwner, parseNetplanDefinitions } from '../../src/persist/netplan-owner.js';

// As cloud-init 22.4 renders a bond with a VLAN on it (50-cloud-init.yaml, comments cut).
const CLOUD_INIT = `network:
    version: 2
    ethernets:
        eth0:
            match:
                macaddress: 0c:c4:7a:34:6e:3c
            mtu: 1500
            set-name: eth0
        "ens4":
            match: {macaddress: "FA:16:3E:00:00:04"}
    bonds:
        bond0:
            interfaces:
            - eth0
            macaddress: fa:16:3e:b3:72:36
    vlans:
        bond0.602:
            addresses:
            - 192.0.2.13/29
            id: 602
            link: bond0
            routes:
            -   to: 0.0.0.0/0
                via: 192.0.2.9
`;

describe("the owner's netplan definitions", () => {
  const definitions = parseNetplanDefinitions(CLOUD_INIT, '/etc/netplan/50-cloud-init.yaml');

  it("reads each definition's type, ID, set-name and matched MAC, and nothing from inside lists", () => {
    expect(definitions).toEqual([
      {
        file: '/etc/netplan/50-cloud-init.yaml',
        type: 'ethernets',
        id: 'eth0',
        setName: 'eth0',
        mac: '0c:c4:7a:34:6e:3c',
      },
      { file: '/etc/netplan/50-cloud-init.yaml', type: 'ethernets', id: 'ens4' },
      { file: '/etc/netplan/50-cloud-init.yaml', type: 'bonds', id: 'bond0' },
      { file: '/etc/netplan/50-cloud-init.yaml', type: 'vlans', id: 'bond0.602' },
    ]);
  });

  it("finds the owner of an interface by set-name, then ID, then an ethernet's MAC", () => {
    expect(findNetplanOwner(definitions, 'bond0.602', 'fa:16:3e:b3:72:30')).toMatchObject({
      type: 'vlans',
      id: 'bond0.602',
    });
    expect(findNetplanOwner(definitions, 'bond0', 'fa:16:3e:b3:72:36')).toMatchObject({ type: 'bonds', id: 'bond0' });
    expect(findNetplanOwner(definitions, 'eth0', '0c:c4:7a:34:6e:3c')).toMatchObject({ type: 'ethernets', id: 'eth0' });
    expect(findNetplanOwner(definitions, 'ens9', '0c:c4:7a:34:6e:3c')).toMatchObject({ id: 'eth0' });
    expect(findNetplanOwner(definitions, 'ens9', 'fa:16:3e:00:00:09')).toBeUndefined();
  });
});
