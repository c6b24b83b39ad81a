/**
 * zod, the small way: zod/mini (functions instead of methods, so a bundle keeps only what
 * is used) with the English error messages, which zod/mini does not load by itself. The
 * whole CLI must fit in a user_data of 65,535 bytes (issue 8); full zod alone took 60 kB
 * of it gzipped. Import it as `import * as z from './zod.js'`: named exports let the
 * bundler drop what no schema uses.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export {
  _default,
  array,
  boolean,
  int,
  literal,
  looseObject,
  minLength,
  nullish,
  number,
  object,
  optional,
  positive,
  nullable,
  prettifyError,
  record,
  regex,
  string,
  union,
  unknown,
} from 'zod/mini';
export type { infer } from 'zod/mini';
