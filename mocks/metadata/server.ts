/**
 * A mock of Nova's metadata service: /openstack (the version list) and
 * /openstack/<version>/network_data.json and meta_data.json, with faults on demand.
 *
 *   node dist/mocks/metadata/server.js --listen 169.254.169.254:80 --config FILE --log FILE
 *
 * The config (MockConfig, JSON) is re-read on every request; one JSON line per request is
 * appended to the log. Fault counters restart whenever the config file changes.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { FIRST_NETWORK_DATA_VERSION, NOVA_VERSIONS, type LoggedRequest, type MockConfig } from './config.js';

export interface MockServerOptions {
  /** Returns the current config; called on every request. */
  config: () => MockConfig;
  log?: (entry: LoggedRequest) => void;
}

export function createMetadataServer(options: MockServerOptions): Server {
  let lastConfigText = '';
  let networkDataRequests = 0;
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    const config = options.config();
    const configText = JSON.stringify(config);
    if (configText !== lastConfigText) {
      lastConfigText = configText;
      networkDataRequests = 0;
    }
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const answer = (status: number, body: string, contentType = 'text/plain') => {
      options.log?.({ method: request.method ?? 'GET', path, status });
      const send = () => {
        response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
        response.end(body);
      };
      if (config.delayMs) setTimeout(send, config.delayMs);
      else send();
    };

    const versions = config.versions ?? NOVA_VERSIONS;
    if (path === '/openstack' || path === '/openstack/') {
      answer(200, versions.join('\n'));
      return;
    }
    const match = /^\/openstack\/([^/]+)\/([^/]+)$/.exec(path);
    if (!match || !versions.includes(match[1] ?? '')) {
      answer(404, 'Not Found');
      return;
    }
    const [, version = '', file] = match;
    const hasNetworkData = version === 'latest' || version >= FIRST_NETWORK_DATA_VERSION;
    if (file === 'meta_data.json') {
      answer(
        200,
        JSON.stringify({
          uuid: '00000000-0000-4000-8000-000000000001',
          name: 'multinic-guest',
          hostname: 'multinic-guest',
        }),
        'application/json',
      );
      return;
    }
    if (file === 'user_data' && config.userData !== undefined) {
      answer(200, config.userData, 'application/octet-stream');
      return;
    }
    if (file !== 'network_data.json' || !hasNetworkData || config.notFound || config.networkData === undefined) {
      answer(404, 'Not Found');
      return;
    }
    networkDataRequests++;
    if (config.dropFirst && networkDataRequests <= config.dropFirst) {
      options.log?.({ method: request.method ?? 'GET', path, status: 0 });
      request.socket.destroy();
      return;
    }
    const failed = config.dropFirst ?? 0;
    if (config.failFirst && networkDataRequests - failed <= config.failFirst.count) {
      answer(config.failFirst.status, `mock failure ${networkDataRequests - failed} of ${config.failFirst.count}`);
      return;
    }
    if (config.htmlBody) {
      answer(200, '<html><body><h1>Proxy login required</h1></body></html>', config.contentType ?? 'text/html');
      return;
    }
    const body = JSON.stringify(config.networkData);
    answer(
      200,
      config.truncate ? body.slice(0, Math.floor(body.length / 2)) : body,
      config.contentType ?? 'application/json',
    );
  });
}

function readConfigFile(path: string): MockConfig {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as MockConfig;
  } catch {
    return {};
  }
}

async function serve(): Promise<void> {
  const { values } = parseArgs({
    options: {
      listen: { type: 'string' },
      config: { type: 'string' },
      log: { type: 'string' },
      ready: { type: 'string' },
    },
  });
  const [host = '127.0.0.1', portText = '80'] = (values.listen ?? '127.0.0.1:80').split(/:(?=\d+$)/);
  const configPath = values.config;
  if (!configPath) throw new Error('--config FILE is required');
  const server = createMetadataServer({
    config: () => readConfigFile(configPath),
    ...(values.log
      ? {
          log: (entry: LoggedRequest) => {
            appendFileSync(values.log!, `${JSON.stringify(entry)}\n`);
          },
        }
      : {}),
  });
  server.listen(Number(portText), host.replace(/^\[|\]$/g, ''), () => {
    if (values.ready) writeFileSync(values.ready, `${process.pid}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  serve().catch((error: unknown) => {
    process.stderr.write(`mock metadata: ${String(error)}\n`);
    process.exit(1);
  });
}
