import path from 'node:path';
import { tmpdir } from 'node:os';
import type { Page } from 'playwright-core';
import type { RunningServer } from './server.ts';

export const OWNER = { email: 'owner@example.com', password: 'CorrectHorse9' };

interface Envelope<T> {
  success: boolean;
  data: T;
  error?: string;
}

/** An API call with the browser's session cookie; throws with the server's message unless it succeeds. */
/**
 * One API call with the browser's session cookie. A 429 (the test drives the API faster than a person would, and
 * every call counts against the owner's 300/min) is waited out by its Retry-After and sent again, as the app's own
 * client does; nothing ran on the server for a refused call.
 */
async function send(page: Page, method: string, url: string, body?: unknown) {
  for (let attempt = 1; ; attempt++) {
    const res = await page.request.fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      data: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status() !== 429 || attempt >= 5) return res;
    const wait = Number(res.headers()['retry-after'] ?? '1');
    await new Promise((r) => setTimeout(r, (Number.isFinite(wait) ? wait : 1) * 1000 + 100));
  }
}

export async function api<T>(page: Page, method: string, url: string, body?: unknown): Promise<T> {
  const res = await send(page, method, url, body);
  const json = (await res.json().catch(() => undefined)) as Envelope<T> | undefined;
  if (!res.ok() || !json?.success) throw new Error(`${method} ${url}: ${res.status()} ${json?.error ?? ''}`);
  return json.data;
}

/** The HTTP status of an API call with the browser's session cookie (for calls that must be refused). */
export async function apiStatus(page: Page, method: string, url: string, body?: unknown): Promise<number> {
  return (await send(page, method, url, body)).status();
}

/** Creates the organization and its owner through the API (the setup form has its own test) and opens the app. */
export async function setupOwner(page: Page, server: RunningServer): Promise<{ networkId: string }> {
  await page.goto(server.baseUrl);
  await api(page, 'POST', `${server.baseUrl}/api/auth/setup`, {
    organization_name: 'Acme',
    network: { name: 'Home Lab' },
  });
  await api(page, 'POST', `${server.baseUrl}/api/auth/register`, {
    email: OWNER.email,
    password: OWNER.password,
    terms_accepted: true,
  });
  const networks = await api<{ id: string }[]>(page, 'GET', `${server.baseUrl}/api/v1/networks`);
  return { networkId: networks[0]!.id };
}

/** Runs a browser step; on failure keeps a screenshot and adds the server's recent output to the error. */
export async function step<T>(
  page: Page,
  server: RunningServer | undefined,
  name: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const shot = path.join(tmpdir(), `scanopy-e2e-${name.replace(/\W+/g, '-')}-${Date.now()}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`${name}: ${reason}\nscreenshot: ${shot}\nserver output:\n${server?.logTail() ?? ''}`);
  }
}
