import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LoadedConfig } from './index.ts';
import type { DaemonConfig } from './keys.ts';

/** Fields the daemon itself learns or is handed at runtime; these are what the file must remember. */
const RUNTIME_KEYS = ['id', 'network_id', 'daemon_api_key', 'capabilities', 'host_id'] as const;
type RuntimeKey = (typeof RUNTIME_KEYS)[number];
export type RuntimePatch = Partial<Pick<DaemonConfig, RuntimeKey>>;

/**
 * The one in-memory config shared by link and discovery. Setting a runtime field persists the file
 * atomically (write `<path>.tmp`, then rename), so a crash never leaves a half-written config and
 * the daemon id survives restarts. Keys the user wrote in the file are kept as they were; values
 * from env or flags are not baked into the file except the runtime fields.
 */
export class ConfigStore {
  readonly path: string;
  private current: DaemonConfig;
  private file: Record<string, unknown>;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    loaded: Pick<LoadedConfig, 'config' | 'configPath' | 'fileContents'>,
    private readonly onPersistError: (err: Error) => void = () => {},
  ) {
    this.current = structuredClone(loaded.config);
    this.file = structuredClone(loaded.fileContents);
    this.path = loaded.configPath;
  }

  get config(): Readonly<DaemonConfig> {
    return this.current;
  }

  /** True when the file lacks (or disagrees on) a runtime field, e.g. on first boot. */
  needsPersist(): boolean {
    return RUNTIME_KEYS.some((k) => !sameValue(this.file[k], this.persistedValue(k)));
  }

  /** Writes the file when a runtime field differs from what it holds; throws when it cannot. */
  async persistIfChanged(): Promise<boolean> {
    if (!this.needsPersist()) return false;
    const next = { ...this.file };
    for (const k of RUNTIME_KEYS) next[k] = this.persistedValue(k);
    const snapshot = JSON.stringify(next, null, 2) + '\n';
    // Serialize writes so two quick updates cannot rename over each other out of order.
    const write = this.writing.then(() => writeAtomic(this.path, snapshot));
    this.writing = write.catch(() => undefined);
    await write;
    this.file = next;
    return true;
  }

  /**
   * Changes runtime fields in memory and saves them. A failed save is reported, not thrown: the
   * daemon keeps working with the values in memory, and the next change tries the write again.
   */
  async update(patch: RuntimePatch): Promise<void> {
    this.current = { ...this.current, ...structuredClone(patch) };
    try {
      await this.persistIfChanged();
    } catch (err) {
      this.onPersistError(err as Error);
    }
  }

  private persistedValue(k: RuntimeKey): unknown {
    return this.current[k] ?? null;
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

async function writeAtomic(file: string, contents: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  // The file holds the API key, so it is readable by the owner only.
  await writeFile(tmp, contents, { mode: 0o600 });
  await rename(tmp, file);
}
