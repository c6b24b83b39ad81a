// @ts-check
// ESLint (flat config) with typescript-eslint's strictest presets, type-aware. Formatting is
// Prettier's job (.prettierrc.json); none of the presets below enables a formatting rule.
// `npm run lint` checks both, `npm run format` fixes what they can fix by themselves.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Generated or recorded, not written by hand (same list as .prettierignore).
  globalIgnores([
    'dist/',
    'build/',
    'bench/work/',
    'man/',
    'completion/',
    'test/fixtures/',
    'test/golden/',
    'src/install/assets.ts',
  ]),
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        // tsconfig.json covers src, mocks and bench, test/tsconfig.json the tests; vitest.config.ts
        // is the one TypeScript file in neither.
        projectService: { allowDefaultProject: ['vitest.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A number in a template literal prints one obvious way (ports, milliseconds, table ids);
      // everything else (undefined, null, objects, unknown) stays forbidden.
      // (Options left out fall back to the rule's lax defaults, so all are spelled out.)
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        {
          allowNumber: true,
          allowAny: false,
          allowBoolean: false,
          allowNever: false,
          allowNullish: false,
          allowRegExp: false,
        },
      ],
      // With noUncheckedIndexedAccess every `xs[i]` is `T | undefined`; after a length or
      // bounds check `xs[i]!` is the honest way to say so, and the alternative this rule leaves,
      // `xs[i] as T`, asserts more. no-unnecessary-type-assertion still flags a needless `!`, and
      // non-nullable-type-assertion-style (on) turns `as T` casts that only drop null into `!`.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Functions that implement an async contract (the lock's release(), readSysctls, the
      // tests' fakes of run/sleep/fetchDocument) are async without awaiting anything; the bug
      // this rule hunts, a forgotten await, is what no-floating-promises and no-misused-promises
      // (both on) catch at the call.
      '@typescript-eslint/require-await': 'off',
      // Beyond the presets: compare with === always, and let no switch on a union forget a member.
      eqeqeq: 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    // The build scripts are plain JavaScript without type information (no checkJs), so the
    // type-aware rules have nothing to work on there; the syntax rules still apply.
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
