/**
 * The install manifest: the record of every file and directory `multinic install` made in a
 * tree, so that `multinic uninstall` removes exactly those and nothing else.
 */
import * as z from '../schema/zod.js';
import { VERSION } from '../version.js';
import { PATHS, sha256, type InstalledFile, type ProgramKind } from './render-install.js';

const ManifestSchema = z.object({
  generatedBy: z.string(),
  kind: z.union([z.literal('bundle'), z.literal('binary')]),
  files: z.array(z.object({ path: z.string(), sha256: z.string(), kind: z.string() })),
  /** Directories that did not exist before install, deepest last. */
  dirs: z.array(z.string()),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export const MANIFEST_PATH = PATHS.manifest;

export function toManifest(kind: ProgramKind, files: InstalledFile[], dirs: string[]): Manifest {
  return {
    generatedBy: `multinic ${VERSION} (multinic install); multinic uninstall removes what is listed here`,
    kind,
    files: files.map((file) => ({ path: file.path, sha256: sha256(file.content), kind: file.kind })),
    dirs,
  };
}

export function renderManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** undefined when the text is not a manifest multinic wrote. */
export function parseManifest(text: string): Manifest | undefined {
  try {
    const result = ManifestSchema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
