// Flat config shared by every workspace. The import rule keeps the package boundaries of
// ARCHITECTURE.md: nothing reaches into another package's src/ or dist/.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/data/**", "**/coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "off",
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@honour/*/src/*", "@honour/*/dist/*", "@honour/*/src", "@honour/*/dist"],
              message: "Import a package through its front door (@honour/<name> or @honour/<name>/graphql).",
            },
            {
              group: ["../../packages/*", "../../../packages/*", "../../apps/*"],
              message: "No relative imports across packages.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: {
      globals: {
        require: "readonly",
        module: "writable",
        process: "readonly",
        console: "readonly",
        __dirname: "readonly",
      },
    },
  },
);
