/**
 * Builds the browser viewer into viewer/dist (`npm run build:viewer`). The Agora server serves that
 * directory together with /api and socket.io on one origin; `base: "./"` keeps asset URLs relative
 * so the page also works when mounted under a sub-path.
 *
 * For UI work, `npx vite --config viewer/vite.config.ts` serves the sources with hot reload and
 * proxies /api and /socket.io to a running `agora ... --serve` (AGORA_SERVER, default
 * http://127.0.0.1:7420).
 */
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const root = decodeURIComponent(new URL(".", import.meta.url).pathname);
const server =
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env
    .AGORA_SERVER ?? "http://127.0.0.1:7420";

export default defineConfig({
  root,
  base: "./",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: {
      "/api": server,
      "/socket.io": { target: server, ws: true },
    },
  },
});
