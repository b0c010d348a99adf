// House style: typescript-eslint's recommended rules, formatting left to Prettier, 100 columns.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "viewer/dist/**", "tests/artifacts/**", "runs/**", ".agora/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    // The plain-JavaScript scripts run on Node.
    files: ["bin/**/*.js"],
    languageOptions: {
      globals: {
        process: "readonly",
        URL: "readonly",
        setTimeout: "readonly",
        console: "readonly",
      },
    },
  },
  {
    rules: {
      // Zod schemas and plugin boundaries type some values as any on purpose.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      // Prettier wraps code at 100; this holds comments to it too (long strings and URLs may pass).
      "max-len": [
        "error",
        {
          code: 100,
          ignoreUrls: true,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreRegExpLiterals: true,
        },
      ],
    },
  },
);
