/**
 * Reads the JSON `ip -j -d addr show` prints into KernelInterface values. Pure, so it is
 * tested on recorded output of devices the test machines cannot create (VLAN, bond).
 */
import { normaliseMac } from '../model/addresses.js';
import type { Family, KernelAddress, KernelInterface } from '../model/types.js';

interface IpAddrInfo {
  family?: string;
  local?: string;
  prefixlen?: number;
  scope?: string;
  dynamic?: boolean;
  valid_life_time?: number;
  tentative?: boolean;
  dadfailed?: boolean;
}

interface IpLink {
  ifindex?: number;
  ifname?: string;
  flags?: string[];
  link_type?: string;
  address?: string;
  link?: string | null;
  master?: string;
  operstate?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; protocol?: string } };
  addr_info?: IpAddrInfo[];
}

const FOREVER = 4294967295;

export function parseIpAddr(json: unknown): KernelInterface[] {
  if (!Array.isArray(json)) throw new Error('ip -j addr show did not print a JSON array');
  return (json as IpLink[]).filter((link) => link.ifname).map(toInterface);
}

function toInterface(link: IpLink): KernelInterface {
  const flags = link.flags ?? [];
  // `ip -N` prints the link type as its ARPHRD number: [1] is Ethernet, [772] loopback.
  const linkType = link.link_type === '[1]' ? 'ether' : link.link_type === '[772]' ? 'loopback' : link.link_type;
  const mac = linkType === 'ether' && link.address ? normaliseMac(link.address) : undefined;
  const kind = link.linkinfo?.info_kind;
  const vlanId = kind === 'vlan' ? link.linkinfo?.info_data?.id : undefined;
  return {
    name: link.ifname!,
    index: link.ifindex ?? 0,
    ...(mac ? { mac } : {}),
    ...(kind ? { kind } : {}),
    // `link` names the lower device of a VLAN (and the peer of a veth, which we ignore).
    ...(kind === 'vlan' && link.link ? { parent: link.link } : {}),
    ...(vlanId !== undefined ? { vlanId } : {}),
    ...(link.master ? { master: link.master } : {}),
    up: flags.includes('UP'),
    loopback: flags.includes('LOOPBACK') || linkType === 'loopback',
    addresses: (link.addr_info ?? []).flatMap(toAddress),
  };
}

function toAddress(info: IpAddrInfo): KernelAddress[] {
  const family: Family | undefined = info.family === 'inet' ? 4 : info.family === 'inet6' ? 6 : undefined;
  if (!family || !info.local || info.prefixlen === undefined || info.dadfailed) return [];
  return [
    {
      family,
      address: info.local,
      prefix: info.prefixlen,
      scope: scopeName(info.scope),
      dynamic: info.dynamic === true || (info.valid_life_time !== undefined && info.valid_life_time !== FOREVER),
    },
  ];
}

/** `ip -N` prints scopes as numbers (rtnetlink's RT_SCOPE_*). */
const SCOPE_NAMES: Record<string, string> = {
  '0': 'global',
  '200': 'site',
  '253': 'link',
  '254': 'host',
  '255': 'nowhere',
};

export function scopeName(scope: string | undefined): string {
  if (scope === undefined) return 'global';
  return SCOPE_NAMES[scope] ?? scope;
}
