/**
 * What src/ may import: Node's own modules, its own files, and the two packages the bundle
 * carries (ipaddr.js, zod). Build-time code (the user_data renderer and its `yaml`) lives in
 * scripts/, so the program never reaches for a package it does not ship.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const RUNTIME_PACKAGES = ['ipaddr.js', 'zod'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Every module specifier a file names, static or dynamic. */
function specifiers(text: string): string[] {
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*)'([^']+)'/g)].map((match) => match[1]!);
}

describe('src/ imports', () => {
  it('only node: modules, its own files and the packages the bundle carries', () => {
    const outside = sources('src').flatMap((file) =>
      specifiers(readFileSync(file, 'utf8'))
        .filter(
          (spec) =>
            !spec.startsWith('node:') &&
            !spec.startsWith('.') &&
            !RUNTIME_PACKAGES.some((name) => spec === name || spec.startsWith(`${name}/`)),
        )
        .map((spec) => `${file}: ${spec}`),
    );
    expect(outside).toEqual([]);
  });

  it('the check sees a package import when there is one', () => {
    expect(specifiers("import { stringify } from 'yaml';\nconst x = await import('node:http');")).toEqual([
      'yaml',
      'node:http',
    ]);
  });
});
