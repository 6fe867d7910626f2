import { defineConfig } from 'vitest/config';

// Unit tests cover pure helpers only, so they need neither the SvelteKit plugin nor a DOM. They read the repo's base
// tsconfig because ./tsconfig.json extends .svelte-kit/tsconfig.json, which exists only after `svelte-kit sync`.
export default defineConfig({
  tsconfig: '../../tsconfig.base.json',
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
