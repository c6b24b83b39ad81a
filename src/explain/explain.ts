/**
 * `multinic explain ADDRESS`, the reasoning half: from facts read elsewhere (the
 * interfaces, the cached network_data.json, the last apply, the rules, the kernel's route
 * answers, the ARP settings, the configuration) to plain sentences, each with the command
 * that shows the fact. Pure.
 */
import { canonicalAddress, contains } from '../model/addresses.js';
import type { Family, KernelInterface, NetworkData } from '../model/types.js';
import type { PlannedNic, RuleSpec } from '../plan/types.js';
import { tableName, type RouteGetAnswer } from '../kernel/route-get.js';

export interface ExplainFacts {
  address: string;
  family: Family;
  interfaces: KernelInterface[];
  /** The cached document, when there is one, and where it is. */
  document?: { data: NetworkData; file: string };
  /** The NICs of the last apply. */
  applied?: PlannedNic[];
  /** Live rules with this address as their source: multinic's own and others'. */
  rules: { rule: RuleSpec; ours: boolean }[];
  /** Route questions asked and their answers (undefined: no route). */
  routes: { kind: 'far' | 'neighbour' | 'gateway'; destination: string; answer?: RouteGetAnswer }[];
  sysctls?: Record<string, string | undefined>;
  /** Why the configuration leaves the interface alone, if it does. */
  excludedWhy?: string;
}

export interface Sentence {
  text: string;
  /** The command that shows it, for the operator to run. */
  command?: string;
}

export interface Explanation {
  address: string;
  iface?: string;
  managed: boolean;
  answers: boolean;
  verdict: string;
  sentences: Sentence[];
}

/** Candidate far destinations (documentation ranges), and which to ask for this address. */
export function farDestination(family: Family, avoid: { address: string; prefix: number }[]): string {
  const candidates =
    family === 4 ? ['198.51.100.254', '203.0.113.254', '192.0.2.254'] : ['2001:db8:ffff::1', '2001:db8:fffe::1'];
  return candidates.find((candidate) => !avoid.some((subnet) => contains(subnet, candidate))) ?? candidates[0]!;
}

export function explain(facts: ExplainFacts): Explanation {
  const { address, family } = facts;
  const v = family === 6 ? '-6 ' : '';
  const sentences: Sentence[] = [];
  const iface = facts.interfaces.find((candidate) =>
    candidate.addresses.some((item) => canonicalAddress(item.address) === address),
  );
  sentences.push(
    iface
      ? {
          text: `${address} is on ${iface.name} (${iface.mac ?? 'no MAC'})${iface.up ? '' : ', which is DOWN'}.`,
          command: `ip -br ${v}addr show dev ${iface.name}`,
        }
      : { text: `${address} is on no interface of this guest.`, command: `ip -br ${v}addr show to ${address}` },
  );

  // The metadata: which network lists the address, on which link and MAC.
  const doc = facts.document;
  const network =
    doc?.data.networks.find(
      (candidate) => candidate.address && canonicalAddress(candidate.address.address) === address,
    ) ??
    doc?.data.networks.find(
      (candidate) =>
        candidate.source !== 'static' &&
        iface &&
        candidate.family === family &&
        doc.data.links.find((link) => link.id === candidate.linkId)?.mac === iface.mac,
    );
  const link = network ? doc?.data.links.find((candidate) => candidate.id === network.linkId) : undefined;
  const linkIface = link?.mac ? facts.interfaces.find((candidate) => candidate.mac === link.mac) : undefined;
  if (!doc)
    sentences.push({
      text: 'No network_data.json is cached, so the port this address belongs to is unknown (multinic apply has not run here).',
    });
  else if (!network)
    sentences.push({
      text: `network_data.json lists ${address} on no network: it is not an address of any port of this server.`,
      command: `grep -n '"${address}"' ${doc.file}`,
    });
  else
    sentences.push({
      text: `network_data.json lists it on network ${network.id}${network.networkId ? ` (Neutron network ${network.networkId})` : ''}, link ${link?.id ?? network.linkId}${link?.mac ? ` with MAC ${link.mac}` : ''}${network.gateway ? `, gateway ${network.gateway}` : ''}.`,
      command: `grep -n -e '"${network.id}"' -e '"${link?.mac ?? network.linkId}"' ${doc.file}`,
    });
  if (link?.mac && !linkIface)
    sentences.push({
      text: `No interface of this guest has the MAC ${link.mac}: the port is not attached here (yet).`,
      command: 'ip -br link',
    });

  // Managed or not, and why not.
  const nic = facts.applied?.find((candidate) =>
    candidate.addresses.some((item) => canonicalAddress(item) === address),
  );
  const reasons: string[] = [];
  if (!nic) {
    if (facts.excludedWhy) reasons.push(facts.excludedWhy);
    if (doc && !network) reasons.push('not in the metadata');
    if (link?.mac && !linkIface) reasons.push(`no interface with the MAC ${link.mac}`);
    if (network && linkIface && !iface) reasons.push(`the address is not on ${linkIface.name}`);
    if (network && linkIface && iface && linkIface.name !== iface.name)
      reasons.push(`the metadata puts it on ${linkIface.name}, but it is on ${iface.name}`);
    if (reasons.length === 0)
      reasons.push(
        facts.applied ? 'the last apply did not manage it (run multinic apply)' : 'multinic apply has not run here',
      );
    sentences.push({ text: `multinic does not manage it: ${reasons.join('; ')}.`, command: 'multinic config' });
  } else {
    sentences.push({
      text: `multinic manages it: ${nic.iface} (${nic.mac}) has table ${nic.table}, rule priority ${nic.priority}.`,
      command: 'multinic status',
    });
  }

  // The rule that matches `from ADDRESS`.
  if (facts.rules.length === 0)
    sentences.push({
      text: `No rule selects ${address} as a source: replies follow the main table like any other traffic.`,
      command: `ip ${v}rule show from ${address}`,
    });
  for (const { rule, ours } of facts.rules) {
    sentences.push({
      text: `Rule ${rule.priority}: from ${rule.from} lookup ${rule.table}${ours ? ' (made by multinic, protocol 147)' : ' (made by someone else: the network manager or by hand)'}.`,
      command: `ip ${v}rule show from ${address}`,
    });
  }

  // How the kernel routes replies from it.
  const own = nic?.iface ?? iface?.name;
  let answers = false;
  for (const route of facts.routes) {
    const to =
      route.kind === 'far'
        ? `a remote address (${route.destination})`
        : route.kind === 'neighbour'
          ? `an on-link neighbour (${route.destination})`
          : `its gateway (${route.destination})`;
    const command = `ip ${v}route get ${route.destination} from ${address}`;
    if (!route.answer?.dev) {
      sentences.push({ text: `Replies to ${to}: no route.`, command });
      continue;
    }
    const through = `${route.answer.dev}${route.answer.gateway ? ` via ${route.answer.gateway}` : ''}, table ${tableName(route.answer.table)}`;
    const good = route.answer.dev === own;
    sentences.push({
      text: `Replies to ${to} leave by ${through}${good ? ': its own NIC.' : `: NOT its own NIC ${own ?? '(none)'}; port security drops them (source ${address} with ${route.answer.dev}'s MAC).`}`,
      command,
    });
    if (route.kind === 'far') answers = good;
  }
  if (!facts.routes.some((route) => route.kind === 'far'))
    answers = facts.routes.length > 0 && facts.routes.every((route) => route.answer?.dev === own);

  // ARP on the NIC.
  if (iface && family === 4 && facts.sysctls) {
    const { arp_ignore: ignore, arp_announce: announce, rp_filter: filter } = facts.sysctls;
    const fluxSafe = ignore === '1' && announce === '2' && filter !== '1';
    sentences.push({
      text: `ARP on ${iface.name}: arp_ignore=${ignore ?? '?'}, arp_announce=${announce ?? '?'}, rp_filter=${filter ?? '?'}${fluxSafe ? ' (answers ARP only for its own addresses; loose reverse-path filter).' : ' (another NIC on the subnet may answer ARP for it, or strict rp_filter may drop asymmetric traffic).'}`,
      command: `sysctl net.ipv4.conf.${iface.name}.arp_ignore net.ipv4.conf.${iface.name}.arp_announce net.ipv4.conf.${iface.name}.rp_filter`,
    });
  }

  const verdict = !iface
    ? `${address} does not answer: it is on no interface of this guest.`
    : answers
      ? `${address} answers: replies leave by its own NIC ${own ?? '(none)'}${nic ? ` through table ${nic.table}` : ''}.`
      : `${address} does not answer from outside its subnet: replies leave by another NIC than ${own ?? '(none)'}.`;
  return {
    address,
    ...(own ? { iface: own } : {}),
    managed: nic !== undefined,
    answers: answers && iface !== undefined,
    verdict,
    sentences,
  };
}

export function renderExplanation(explanation: Explanation): string[] {
  return [
    explanation.verdict,
    '',
    ...explanation.sentences.flatMap((sentence) => [
      `- ${sentence.text}`,
      ...(sentence.command ? [`    $ ${sentence.command}`] : []),
    ]),
  ];
}
