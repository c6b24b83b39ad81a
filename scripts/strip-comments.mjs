/**
 * The units, the udev rule and the generator as `multinic install` carries them: without
 * their comment lines (the readable originals in cloud-init/ explain every line), so that
 * the whole bundle fits in Nova's 64 KiB user_data. The first comment line stays (what
 * the file is) and one line says where the comments are. multinic.conf keeps its comments:
 * they are its documentation for the operator.
 */
export function stripComments(text, file) {
  const lines = text.split('\n');
  const shebang = lines[0]?.startsWith('#!') ? [lines.shift()] : [];
  const title = lines[0]?.startsWith('#') ? [lines.shift()] : [];
  const body = lines.filter((line) => !/^\s*#/.test(line));
  return [
    ...shebang,
    ...title,
    `# (Comments stripped to fit user_data: see cloud-init/${file} in multinic's source.)`,
    ...body,
  ].join('\n');
}

/** Which asset keeps its comments. */
export const KEEP_COMMENTS = new Set(['multinic.conf']);
