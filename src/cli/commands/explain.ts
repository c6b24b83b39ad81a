import { exclusionOf } from '../../config/exclude.js';
import { readConfigSync } from '../../config/read-config.js';
import { UsageError } from '../../errors.js';
import { explain, farDestination, renderExplanation, type ExplainFacts } from '../../explain/explain.js';
import { readLive } from '../../kernel/read-live.js';
import { askRoutes, routeAnswerKey, type RouteAnswers } from '../../kernel/route-get.js';
import type { Run } from '../../kernel/run.js';
import { cachePath, readCachedNetworkData } from '../../metadata/cache.js';
import { addressPart, anotherHostIn, canonicalAddress, familyOf, maxPrefix, subnetOf } from '../../model/addresses.js';
import { parseNetworkDataText } from '../../schema/parse.js';
import { readApplied } from '../../state/applied.js';
import { DEFAULT_STATE_DIR } from '../../state/state-dir.js';
import { readSysctls } from '../../sysctl/read-write.js';
import { stringOption, type ParsedCommand } from '../args.js';
import type { Reporter } from '../output.js';

/** Exit status of `explain` when the address does not answer (0: it does). */
export const EXPLAIN_DOES_NOT_ANSWER = 1;

/**
 * `multinic explain ADDRESS`: why this address does or does not answer. Reads only: the
 * kernel (its state, then one ip -batch with the route questions), the cached
 * network_data.json and the last apply's record; asks no network.
 */
export async function explainCommand(
  argument: string,
  values: ParsedCommand['values'],
  run: Run,
  reporter: Reporter,
): Promise<number> {
  const family = familyOf(argument);
  if (!family) throw new UsageError(`explain: "${argument}" is not an IPv4 or IPv6 address`);
  const address = canonicalAddress(argument);
  const stateDir = stringOption(values, 'state-dir') ?? DEFAULT_STATE_DIR;
  const config = readConfigSync(stringOption(values, 'config'));
  const warn = (message: string) => {
    reporter.say(`warning: ${message}`);
  };
  const [applied, documentText] = await Promise.all([
    readApplied(stateDir, warn),
    readCachedNetworkData(stateDir, warn).catch(() => undefined),
  ]);
  const document =
    documentText === undefined
      ? undefined
      : { data: parseNetworkDataText(documentText, cachePath(stateDir)).data, file: cachePath(stateDir) };

  // The kernel: where the address is; then the route questions about it.
  const live = await readLive(run);
  const iface = live.interfaces.find((candidate) =>
    candidate.addresses.some((item) => canonicalAddress(item.address) === address),
  );
  const onIface = iface?.addresses.find((item) => canonicalAddress(item.address) === address);
  const subnet = onIface ? subnetOf(address, onIface.prefix) : undefined;
  const nic = applied?.nics.find((candidate) => candidate.addresses.some((item) => canonicalAddress(item) === address));
  const gateway =
    applied?.desired.routes.find(
      (route) => route.table === nic?.table && route.family === family && route.dst === 'default',
    )?.via ??
    document?.data.networks.find((network) => network.address && canonicalAddress(network.address.address) === address)
      ?.gateway ??
    (iface ? live.gateways.get(iface.name)?.[family] : undefined);
  const questions: ExplainFacts['routes'] = [
    { kind: 'far', destination: farDestination(family, subnet ? [subnet] : []) },
    ...(subnet && subnet.prefix < maxPrefix(family) - 1
      ? [
          {
            kind: 'neighbour' as const,
            destination: anotherHostIn(subnet, gateway ? canonicalAddress(gateway) : address),
          },
        ]
      : []),
    ...(gateway ? [{ kind: 'gateway' as const, destination: gateway }] : []),
  ];
  const answers = iface
    ? await askRoutes(
        run,
        questions.map((question) => ({ destination: question.destination, address })),
      )
    : (new Map() as RouteAnswers);
  const routes = questions.map((question) => {
    const answer = answers.get(routeAnswerKey(question.destination, address));
    return { ...question, ...(answer ? { answer } : {}) };
  });
  const ownRule = (from: string) => canonicalAddress(addressPart(from)) === address;
  const rules = [
    ...live.owned.rules.filter((rule) => ownRule(rule.from)).map((rule) => ({ rule, ours: true })),
    ...live.foreign.rules.filter((rule) => ownRule(rule.from)).map((rule) => ({ rule, ours: false })),
  ].sort((a, b) => a.rule.priority - b.rule.priority);
  const sysctls = iface && family === 4 ? (await readSysctls([iface.name])).get(iface.name) : undefined;
  const excludedWhy = iface ? exclusionOf(iface.name, iface.mac, config, new Set(live.gateways.keys())) : undefined;

  const explanation = explain({
    address,
    family,
    interfaces: live.interfaces,
    ...(document ? { document } : {}),
    ...(applied ? { applied: applied.nics } : {}),
    rules,
    routes: iface ? routes : [],
    ...(sysctls ? { sysctls } : {}),
    ...(excludedWhy ? { excludedWhy } : {}),
  });
  reporter.result(renderExplanation(explanation), explanation);
  return explanation.answers ? 0 : EXPLAIN_DOES_NOT_ANSWER;
}
