/**
 * network_data.json from the OpenStack metadata service: GET
 * {url}/openstack/latest/network_data.json, bounded by a timeout. Any failure is
 * MetadataUnavailable naming the URL; a failed fetch is never an empty document.
 */
import { MetadataUnavailable } from '../errors.js';

export const DEFAULT_METADATA_URL = 'http://169.254.169.254';

export function networkDataUrl(baseUrl: string, version = 'latest'): string {
  return `${baseUrl.replace(/\/+$/, '')}/openstack/${version}/network_data.json`;
}

export async function fetchNetworkData(baseUrl: string, options: { timeoutMs: number }): Promise<{ text: string; url: string }> {
  const url = networkDataUrl(baseUrl);
  const { default: axios } = await import('axios');
  try {
    const response = await axios.get<string>(url, {
      timeout: options.timeoutMs,
      responseType: 'text',
      transformResponse: (body: string) => body, // keep the raw text: parsing is ours
      proxy: false, // 169.254.169.254 is link-local: never through a proxy
      maxRedirects: 0,
      validateStatus: (status) => status === 200,
    });
    return { text: response.data, url };
  } catch (error) {
    throw new MetadataUnavailable(`${url}: ${describeHttpError(error)}`, { cause: error });
  }
}

export function describeHttpError(error: unknown): string {
  const e = error as { response?: { status?: number; statusText?: string }; code?: string; message?: string };
  if (e.response?.status) return `HTTP ${e.response.status}${e.response.statusText ? ` ${e.response.statusText}` : ''}`;
  if (e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT') return 'no answer before the timeout';
  if (e.code) return `${e.code}${e.message ? ` (${e.message})` : ''}`;
  return e.message ?? String(error);
}
