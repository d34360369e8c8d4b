import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';

// The React app for both the help center (/) and the admin console (/admin), built into
// web/dist, which the Portico server serves. `npm run dev:web` proxies the API to :3000.
export default defineConfig({
  root: resolve(import.meta.dirname),
  plugins: [react()],
  build: { outDir: resolve(import.meta.dirname, 'dist'), emptyOutDir: true, sourcemap: false },
  server: { proxy: { '/api': 'http://localhost:3000', '/healthz': 'http://localhost:3000' } },
});
