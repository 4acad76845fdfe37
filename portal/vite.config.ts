import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const BUDGET_BYTES = 250 * 1024;

/** Prints the gzipped size of everything the build wrote and fails the build past the budget. */
function sizeBudget(limit: number): Plugin {
  return {
    name: 'portal-size-budget',
    apply: 'build',
    writeBundle(_options, bundle) {
      let total = 0;
      for (const output of Object.values(bundle)) {
        const content = output.type === 'chunk' ? output.code : output.source;
        total += gzipSync(content, { level: 9 }).length;
      }
      const line = `portal: ${(total / 1024).toFixed(1)} kB gzipped in all (budget ${limit / 1024} kB)`;
      if (total > limit) this.error(line);
      this.info(line);
    },
  };
}

// The portal is a static build served by the API at /portal/; nothing is loaded from elsewhere.
export default defineConfig({
  root,
  base: '/portal/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  plugins: [sizeBudget(BUDGET_BYTES)],
  build: {
    outDir: fileURLToPath(new URL('../dist/portal', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Inline nothing: every asset is a hashed file, so a strict CSP (default-src 'self') holds.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  // `npx vite --config portal/vite.config.ts` against a running service (`npm start`).
  server: { proxy: { '/v1': process.env.PORTAL_API_URL ?? 'http://127.0.0.1:3000' } },
});
