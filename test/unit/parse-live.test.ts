import { describe, expect, it } from 'vitest';
import { mainDefaultGateways, ownedRouting } from '../../src/kernel/parse-live.js';

// As `ip -j -N route show table all` and `ip -j -N rule show` print them (iproute2 6.1).
const routes = [
  {
    type: '1',
    dst: 'default',
    gateway: '203.0.113.1',
    dev: 'ens4',
    table: '10002',
    protocol: '147',
    scope: '0',
    flags: [],
  },
  {
    type: '1',
    dst: '203.0.113.0/24',
    dev: 'ens4',
    table: '10002',
    protocol: '147',
    scope: '253',
    prefsrc: '203.0.113.22',
    flags: [],
  },
  {
    type: '1',
    dst: '198.51.100.7',
    gateway: '203.0.113.1',
    dev: 'ens4',
    table: '10002',
    protocol: '147',
    scope: '0',
    flags: [],
  },
  // A person's route in the same table, same shape, no multinic tag: never ours.
  {
    type: '1',
    dst: '192.0.2.0/24',
    gateway: '203.0.113.1',
    dev: 'ens4',
    table: '10002',
    protocol: '4',
    scope: '0',
    flags: [],
  },
  {
    type: '1',
    dst: 'default',
    gateway: '203.0.113.1',
    dev: 'ens3',
    table: '254',
    protocol: '3',
    scope: '0',
    flags: [],
  },
  {
    type: '1',
    dst: 'default',
    gateway: '203.0.113.1',
    dev: 'ens4',
    table: '254',
    protocol: '16',
    metric: 200,
    scope: '0',
    flags: [],
  },
  {
    dst: '2001:db8:a::/64',
    dev: 'ens4',
    table: '10002',
    protocol: '147',
    prefsrc: '2001:db8:a::22',
    metric: 1024,
    flags: [],
    pref: 'medium',
  },
  {
    dst: 'default',
    gateway: 'fe80::1',
    dev: 'ens4',
    table: '10002',
    protocol: 'multinic',
    metric: 1024,
    flags: [],
    pref: 'medium',
  },
  { dst: 'default', gateway: 'fe80::1', dev: 'ens3', protocol: 'ra', metric: 1024, flags: [], pref: 'medium' },
  // Tagged 147 but not in a table of multinic's range: someone else's (issue 14).
  { type: '1', dst: '192.0.2.0/24', gateway: '203.0.113.1', dev: 'ens4', protocol: '147', scope: '0', flags: [] },
  {
    type: '1',
    dst: '192.0.2.0/24',
    gateway: '203.0.113.1',
    dev: 'ens4',
    table: '300',
    protocol: '147',
    scope: '0',
    flags: [],
  },
];
const rules4 = [
  { priority: 0, src: 'all', table: '255', protocol: '2' },
  { priority: 10002, src: '203.0.113.22', dst: '203.0.113.0', dstlen: 24, table: '10002', protocol: '147' },
  { priority: 12002, src: '203.0.113.22', table: '254', suppress_prefixlen: 0, protocol: '147' },
  { priority: 14002, src: '203.0.113.22', table: '10002', protocol: '147' },
  // The one rule per address of releases before issue 14: still multinic's, so an upgrade removes it.
  { priority: 10004, src: '203.0.113.24', table: '10004', protocol: '147' },
  { priority: 10002, src: '203.0.113.0', srclen: 24, table: '10002', protocol: '0' },
  // Tagged 147 but not at multinic's priorities, or not in its shape: someone else's.
  { priority: 500, src: '203.0.113.22', table: '300', protocol: '147' },
  { priority: 10003, src: '203.0.113.23', table: '254', protocol: '147' },
  { priority: 12003, src: '203.0.113.23', table: '10003', protocol: '147' },
  { priority: 32766, src: 'all', table: '254', protocol: '2' },
];
const rules6 = [
  { priority: 14002, src: '2001:db8:a::22', table: '10002', protocol: '147' },
  { priority: 9000, src: '2001:db8:a::23', table: '10002', protocol: '147' },
];

describe('reading live routing', () => {
  it('keeps only what carries multinic protocol in its tables and at its priorities, as plan values', () => {
    expect(ownedRouting(routes, rules4, rules6)).toEqual({
      routes: [
        { family: 4, table: 10002, dst: 'default', via: '203.0.113.1', dev: 'ens4' },
        { family: 4, table: 10002, dst: '203.0.113.0/24', dev: 'ens4', src: '203.0.113.22', scope: 'link' },
        { family: 4, table: 10002, dst: '198.51.100.7/32', via: '203.0.113.1', dev: 'ens4' },
        { family: 6, table: 10002, dst: '2001:db8:a::/64', dev: 'ens4', src: '2001:db8:a::22' },
        { family: 6, table: 10002, dst: 'default', via: 'fe80::1', dev: 'ens4' },
      ],
      rules: [
        { family: 4, priority: 10002, from: '203.0.113.22/32', to: '203.0.113.0/24', table: 10002 },
        { family: 4, priority: 12002, from: '203.0.113.22/32', table: 254, suppressPrefixlength: 0 },
        { family: 4, priority: 14002, from: '203.0.113.22/32', table: 10002 },
        { family: 4, priority: 10004, from: '203.0.113.24/32', table: 10004 },
        { family: 6, priority: 14002, from: '2001:db8:a::22/128', table: 10002 },
      ],
    });
  });

  it('finds the default gateways DHCP and router advertisements put in the main table', () => {
    expect(mainDefaultGateways(routes)).toEqual(
      new Map([
        ['ens3', { 4: '203.0.113.1', 6: 'fe80::1' }],
        ['ens4', { 4: '203.0.113.1' }],
      ]),
    );
  });
});
