/**
 * What the mock metadata service serves and which faults it injects. The server re-reads
 * this from its config file on every request, so a test can change it at any time.
 */
export interface MockConfig {
  /** The document served as network_data.json. */
  networkData?: unknown;
  /** The first `count` network_data.json requests answer `status` (e.g. 500). */
  failFirst?: { count: number; status: number };
  /** Every answer waits this long first. */
  delayMs?: number;
  /** The first n network_data.json requests get their connection destroyed, unanswered. */
  dropFirst?: number;
  /** network_data.json is cut in half. */
  truncate?: boolean;
  /** Content-Type override for network_data.json. */
  contentType?: string;
  /** network_data.json answers an HTML page (as a captive proxy would). */
  htmlBody?: boolean;
  /** The version list at /openstack (default: Nova's dated versions and latest). */
  versions?: string[];
  /** network_data.json answers 404 everywhere. */
  notFound?: boolean;
  /** Served as /openstack/<version>/user_data (404 when unset, as Nova does without one). */
  userData?: string;
}

export const NOVA_VERSIONS = [
  '2012-08-10',
  '2013-04-04',
  '2013-10-17',
  '2015-10-15',
  '2016-06-30',
  '2016-10-06',
  '2017-02-22',
  '2018-08-27',
  'latest',
];

/** network_data.json appeared in the 2015-10-15 metadata version. */
export const FIRST_NETWORK_DATA_VERSION = '2015-10-15';

export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
}
