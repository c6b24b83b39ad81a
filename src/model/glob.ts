/**
 * fnmatch(3) patterns without flags, as multinic.conf's MULTINIC_EXCLUDE, networkd's [Match]
 * Name= and ifupdown's `source` use them: * any run of characters, ? one, [abc] / [!abc] /
 * [^abc] / [a-z] a set. Pure.
 */

/** `ignoreCase`: for patterns that may name MACs, which are written in either case. */
export function globToRegExp(glob: string, options: { ignoreCase?: boolean } = {}): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) source += '\\[';
      else {
        const set = glob.slice(i + 1, end).replace(/^!/, '^');
        source += `[${set.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else source += char.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, options.ignoreCase ? 'i' : '');
}
