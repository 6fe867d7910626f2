export * from './netns.ts';
