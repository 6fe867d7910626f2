import { ApiError } from './api/client.ts';

/** A sentence to show the user for any thrown value; server messages are already written for people. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error && err.message) return err.message;
  return 'Something went wrong. Please try again.';
}
