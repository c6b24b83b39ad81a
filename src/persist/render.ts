/** One entry point for every backend. Pure. */
import { renderIfcfg } from './ifcfg.js';
import { renderIfupdown } from './ifupdown.js';
import { renderNetplan } from './netplan.js';
import { renderNetworkd } from './networkd.js';
import { renderNetworkManager } from './networkmanager.js';
import type { Backend, PersistInput, Rendered } from './types.js';

const RENDERERS: Record<Backend, (input: PersistInput) => Rendered> = {
  netplan: renderNetplan,
  networkd: renderNetworkd,
  ifupdown: renderIfupdown,
  ifcfg: renderIfcfg,
  networkmanager: renderNetworkManager,
};

export function renderBackend(backend: Backend, input: PersistInput): Rendered {
  return RENDERERS[backend](input);
}
