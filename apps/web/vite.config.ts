import { sveltekit } from '@sveltejs/kit/vite';
import tailwindcss from '@tailwindcss/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [tailwindcss(), sveltekit()],
  server: {
    // Same-origin in dev too, so the session cookie works exactly as when the server serves the build.
    proxy: {
      '/api': { target: process.env.SCANOPY_DEV_API ?? 'http://localhost:60072', changeOrigin: false },
    },
  },
});
