import js from "@eslint/js"
import globals from "globals"
import tseslint from "typescript-eslint"

const portablePackages = [
  "packages/protocol/src/**/*.ts",
  "packages/core/src/**/*.ts",
  "packages/tracemark/src/**/*.ts",
]

export default tseslint.config(
  {
    ignores: [
      "**/dist/**",
      "**/node_modules/**",
      "**/.tsbuild/**",
      "test-artifacts/**",
      "test-results/**",
      "**/*.d.ts",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: [
          "./packages/*/tsconfig.json",
          "./packages/*/tsconfig.*.json",
          "./tsconfig.tests.json",
          "./tsconfig.scripts.json",
        ],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/strict-boolean-expressions": [
        "error",
        { allowString: false, allowNumber: false, allowNullableObject: true, allowNullableBoolean: true },
      ],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/no-extraneous-class": "off",
      "@typescript-eslint/no-unnecessary-condition": ["error", { allowConstantLoopConditions: true }],
      // Port implementations are async so that every failure is a rejected promise, even when the
      // in-memory implementation has nothing to await.
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true }],
      "no-console": "error",
      eqeqeq: ["error", "always"],
    },
  },
  {
    // The portable core talks to the world only through ports: no Node built-ins, no DOM globals.
    files: portablePackages,
    ignores: [
      "**/*.test.ts",
      "**/testing/**",
      "packages/tracemark/src/dom/**",
      "packages/tracemark/src/node/**",
    ],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["node:*", "fs", "path", "crypto", "os", "http", "ws"], message: "use a port" },
          ],
        },
      ],
      "no-restricted-globals": ["error", "window", "document", "fetch", "WebSocket", "process", "Buffer"],
    },
  },
  {
    files: [
      "**/*.test.ts",
      "tests/**/*.ts",
      "bench/**/*.ts",
      "bench/**/*.mjs",
      "scripts/**/*.mjs",
      "packages/web/scripts/**/*.mjs",
    ],
    rules: {
      "no-console": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { ...globals.node } },
  },
)
