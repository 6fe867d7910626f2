import { createServer } from 'node:net';

/** Binds `port` on `host` for a moment; resolves the port actually bound, or null when it is taken. */
function tryBind(port: number, host: string): Promise<number | null> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(null));
    probe.listen({ port, host, exclusive: true }, () => {
      const address = probe.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      probe.close(() => resolve(bound));
    });
  });
}

export interface PortChoice {
  port: number;
  /** Set when the configured port was taken: what to tell the operator at start-up. */
  warning?: string;
}

/**
 * The port the integrated daemon listens on: the configured one when it is free, else a free one chosen by the
 * system. Two servers on one machine would otherwise both hand 60073 to their daemons, and the second daemon would
 * fail to bind and restart forever. (Checking first leaves a short window in which another program could take the
 * port; the daemon then fails to bind and its restart chooses again.)
 */
export async function chooseIntegratedDaemonPort(configured: number, host: string): Promise<PortChoice> {
  if (configured === 0) return { port: (await tryBind(0, host)) ?? 0 };
  if ((await tryBind(configured, host)) !== null) return { port: configured };
  const free = (await tryBind(0, host)) ?? 0;
  return {
    port: free,
    warning:
      `Port ${host}:${configured} of the integrated daemon is taken (another Scanopy server or daemon on this ` +
      `machine?); the integrated daemon listens on ${free ? `${host}:${free}` : 'a free port'} instead. ` +
      'Set SCANOPY_INTEGRATED_DAEMON_PORT to choose another port.',
  };
}
