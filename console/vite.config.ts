import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// `npm run dev` serves the console with hot reload and sends API calls to a running
// `graven up` (its HTTP port, 8080 unless GRAVEN_HTTP says otherwise).
const api = process.env.GRAVEN_HTTP ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: { proxy: { "/graven.v1.": { target: api, changeOrigin: true } } },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    // A bound for a machine busy with other test runs; each test takes well under a second.
    testTimeout: 20_000,
  },
});
