// Stand-in for zod/v4/locales/index.js in the bundle: only the English messages, which are
// the ones zod configures by default (see scripts/build-bundle.mjs).
export { default as en } from '../../node_modules/zod/v4/locales/en.js';
