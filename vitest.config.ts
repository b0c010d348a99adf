import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "scenarios/**/*.test.ts"],
    setupFiles: ["tests/support/preload-scenarios.ts"],
    // Builds dist/ (incrementally) for the CLI the tests start through bin/agora.js.
    globalSetup: ["tests/support/build-js.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
