/** The sections of a systemd unit-style file (a networkd .network, a keyfile), each as its key=value lines. */
export function sections(text: string): { name: string; keys: Record<string, string> }[] {
  const result: { name: string; keys: Record<string, string> }[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line.startsWith('[')) result.push({ name: line, keys: {} });
    else if (line.includes('=') && !line.startsWith('#')) {
      const [key = '', ...rest] = line.split('=');
      const current = result[result.length - 1];
      if (current) current.keys[key] = rest.join('=');
    }
  }
  return result;
}
