/** What "every address answers" means in the VM scenarios, shared by their test files. */
import { addressesOf, type GuestLab } from './guest-lab.js';

/** The router is an on-link neighbour on every subnet: it gets an answer from `address`. */
export async function neighbourAnswers(g: GuestLab, address: string): Promise<boolean> {
  for (let attempt = 0; attempt < 3; attempt++) {
    if ((await g.lab.exec('router', 'ping', ['-c', '1', '-W', '2', '-n', '-q', address])).exitCode === 0) return true;
  }
  return false;
}

/** The guest's addresses that do not answer the on-link neighbour (the router). */
export async function silentToNeighbour(g: GuestLab, addresses = addressesOf(g.ports)): Promise<string[]> {
  const silent = [];
  for (const address of addresses) if (!(await neighbourAnswers(g, address))) silent.push(address);
  return silent;
}
