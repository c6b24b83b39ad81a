#!/usr/bin/env node
/**
 * `npm run bundle`: the whole CLI in one CommonJS file, build/multinic.cjs, that runs with
 * nothing but `node` (18 or later, no node_modules), and build/user-data-embedded.yaml,
 * the cloud-config that carries it (see cloud-init/README in the report and
 * scripts/render-user-data.ts).
 *
 * CommonJS, not ESM: Node's single executable applications (npm run sea) run only a
 * CommonJS main script on Node 18 and 20.
 */
import { build } from 'esbuild';
import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build', 'multinic.cjs');

/**
 * Dead weight that keeps the embedded user_data over Nova's 65,535-byte cap:
 * - zod's 40-odd error-message locales (`z.locales`, a namespace nothing here reads;
 *   zod itself configures only `en`): replaced by the `en` locale alone;
 */
const trim = {
  name: 'multinic-trim',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${'node_modules'}/zod/`)
        ? { path: join(root, 'scripts', 'bundle-stubs', 'zod-locales.js') }
        : undefined,
    );
  },
};

await mkdir(dirname(out), { recursive: true });
const result = await build({
  entryPoints: [join(root, 'src', 'cli', 'main.ts')],
  outfile: out,
  bundle: true,
  platform: 'node',
  target: 'node18',
  // A script that exports nothing: `module` does not exist while a startup snapshot is
  // built from it (node --build-snapshot, the single executable's useSnapshot), and
  // esbuild's 'cjs' format assigns module.exports on its first line.
  format: 'iife',
  minify: true,
  // Error classes report their own name (UsageError, MetadataUnavailable) in --json.
  keepNames: true,
  legalComments: 'none',
  metafile: true,
  plugins: [trim],
  // import.meta.url does not exist in CommonJS: give it this file's URL. The bundle's own
  // path tells `multinic install` which file to install (src/install/program-source.ts).
  banner: {
    js: [
      `// multinic, bundled by scripts/build-bundle.mjs from src/cli/main.ts; runs with node >= 18 alone.`,
      'var __multinicBundleUrl = require("node:url").pathToFileURL(__filename).href; globalThis.__multinicBundleFile = __filename;',
      // Whether the bundle is the program being run, for src/cli/entry.ts: true when node runs
      // it and in the single executable, whatever argv[1] says (a name typed from PATH).
      // While a startup snapshot is built there is no `module` (src/cli/main.ts decides then).
      'globalThis.__multinicIsEntry = typeof module !== "undefined" && require.main === module;',
    ].join('\n'),
  },
  define: { 'import.meta.url': '__multinicBundleUrl' },
  logLevel: 'warning',
});
await chmod(out, 0o755);
const bytes = (await readFile(out)).length;
process.stdout.write(`build/multinic.cjs: ${bytes} bytes\n`);
await writeFile(join(root, 'build', 'multinic.meta.json'), JSON.stringify(result.metafile));

// The npm package's command (package.json "bin"), and its postinstall. Until the postinstall
// has run (or with --ignore-scripts) the command finds the bundle beside itself and runs it
// plainly. The postinstall makes the bundle's startup snapshot with the node that npm runs
// the script with, and rewrites the command as `multinic install` writes its wrapper, with
// this package's absolute paths: it starts from the snapshot while `stat` of node and blob
// is as recorded, else runs the bundle (src/install/render-install.ts). Never fails the install.
const { renderBundleWrapper, renderSnapshotScript } = await import('../dist/src/install/render-install.js');
const npmBin = join(root, 'build', 'multinic-npm');
await writeFile(
  npmBin,
  [
    '#!/bin/sh',
    '# multinic, as npm installed it, before its postinstall ran: the bundle beside this file (npm links it from bin/).',
    'exec node "$(dirname "$(readlink -f "$0")")/multinic.cjs" "$@"',
    '',
  ].join('\n'),
  { mode: 0o755 },
);
const at = (dir) => ({
  bundle: `${dir}/multinic.cjs`,
  snapshot: `${dir}/multinic.blob`,
  snapshotKey: `${dir}/multinic.blob.key`,
});
await writeFile(
  join(root, 'build', 'npm-postinstall.sh'),
  [
    '#!/bin/sh',
    "# npm's postinstall for multinic (scripts/build-bundle.mjs): the startup snapshot, then the command that uses it.",
    'dir=$(cd "$(dirname "$0")" && pwd -P) || exit 0',
    `( ${renderSnapshotScript(at('"$dir"'))} ) >/dev/null 2>&1 || { echo "multinic: no startup snapshot for node $(node --version 2>/dev/null); the command runs the bundle without one" >&2; exit 0; }`,
    `sed "s|@DIR@|$dir|g" > "$dir/multinic-npm.tmp" <<'EOF'`,
    renderBundleWrapper(at('@DIR@')).trimEnd(),
    'EOF',
    'chmod 755 "$dir/multinic-npm.tmp" && mv -f "$dir/multinic-npm.tmp" "$dir/multinic-npm"',
    '',
  ].join('\n'),
  { mode: 0o755 },
);

// The user_data that carries this bundle (scripts/render-user-data.ts, compiled by tsc).
const { renderEmbeddedUserData, packUserData } = await import('../dist/scripts/render-user-data.js');
const { VERSION } = await import('../dist/src/version.js');
const userData = renderEmbeddedUserData(await readFile(out), VERSION);
await writeFile(join(root, 'build', 'user-data-embedded.yaml'), userData);
const packed = packUserData(userData);
await writeFile(join(root, 'build', 'user-data-embedded.yaml.gz'), packed);
process.stdout.write(
  `build/user-data-embedded.yaml: ${Buffer.byteLength(userData)} bytes; .gz (what Nova gets): ${packed.length} bytes\n`,
);
