/**
 * network_data.json for the three-NIC lab guest (mocks/lab/guests.ts), built link by link, so
 * a test can list any subset of the ports, or add a fourth, as Nova does on attach and detach.
 */
export const link = (id: string, mac: string) => ({ id, type: 'ovs', ethernet_mac_address: mac });
export const ipv4 = (id: string, linkId: string, ip: string, gateway: string) => ({
  id,
  type: 'ipv4',
  link: linkId,
  ip_address: ip,
  netmask: '255.255.255.0',
  routes: [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway }],
});
export const ENS3 = link('tap3', 'fa:16:3e:a1:00:01');
export const ENS4 = link('tap4', 'fa:16:3e:a1:00:02');
export const ENS5 = link('tap5', 'fa:16:3e:a1:00:03');
export const ENS6 = link('tap6', 'fa:16:3e:a1:00:04');
export const N3 = ipv4('n3', 'tap3', '203.0.113.21', '203.0.113.1');
export const N4 = ipv4('n4', 'tap4', '203.0.113.22', '203.0.113.1');
export const N5 = ipv4('n5', 'tap5', '192.0.2.30', '192.0.2.1');
export const N6 = ipv4('n6', 'tap6', '203.0.113.26', '203.0.113.1');
export const doc = (links: object[], networks: object[]) => ({ links, networks, services: [] });
