/**
 * Reading the tree under --root, where any file or directory may be missing (an image
 * without NetworkManager, a guest without networkd): absent reads as absent, never as an
 * error. Shared by the readers of owner facts and of the backends' tree facts.
 */
import { readdir, readFile, stat } from 'node:fs/promises';

export const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );
export const list = (dir: string): Promise<string[]> => readdir(dir).catch(() => [] as string[]);
export const readText = (path: string): Promise<string | undefined> => readFile(path, 'utf8').catch(() => undefined);
