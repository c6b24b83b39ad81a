/**
 * A plain HTTP file server in a network namespace (the lab's router), on a documentation-range
 * address there: where an operator would host build/multinic.cjs for
 * cloud-init/user-data-download.yaml (Swift, an image server), without the internet.
 */
import { spawn } from 'node:child_process';
import { waitFor } from './run.js';

export interface FileServer {
  /** The URL of each served name. */
  url(name: string): string;
  /** The names requested so far, in order. */
  requests: string[];
  stop(): Promise<void>;
}

const SERVER = `
const [address, port, files] = [process.argv[1], Number(process.argv[2]), JSON.parse(process.argv[3])];
const fs = require('node:fs');
require('node:http').createServer((req, res) => {
  const file = files[req.url.slice(1)];
  process.stdout.write(req.url + '\\n');
  if (!file) { res.writeHead(404).end('not found'); return; }
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': fs.statSync(file).size });
  fs.createReadStream(file).pipe(res);
}).listen(port, address, () => process.stdout.write('listening\\n'));
`;

/** Serve `files` (URL name → host path) at http://address:port/name from namespace `netns` (the lab's router). */
export async function serveFiles(
  netns: string,
  address: string,
  port: number,
  files: Record<string, string>,
): Promise<FileServer> {
  const child = spawn(
    'ip',
    ['netns', 'exec', netns, process.execPath, '-e', SERVER, address, String(port), JSON.stringify(files)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((done) =>
    child.once('exit', () => {
      done();
    }),
  );
  await waitFor(
    `the file server on ${address}:${port}`,
    10_000,
    async () => {
      if (child.exitCode !== null) throw new Error(`file server exited ${child.exitCode}: ${stderr.trim()}`);
      return lines.includes('listening') ? true : undefined;
    },
    100,
  );
  return {
    url: (name) => `http://${address}:${port}/${name}`,
    get requests() {
      return lines.filter((line) => line.startsWith('/')).map((line) => line.slice(1));
    },
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
