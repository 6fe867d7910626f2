/** The part of `AbortSignal` the scanner uses; a real AbortSignal satisfies it. */
export interface AbortLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * A cancellation signal with O(1) listener registration. Node's EventTarget walks its whole listener list on every
 * addEventListener/removeEventListener (to skip duplicates), so with thousands of probes in flight on one
 * AbortSignal each registration cost thousands of steps: a full scan stalled its event loop for seconds. Every
 * socket, timer and waiter of a scan listens here instead; only this object listens to the caller's signal.
 */
export class ScanSignal implements AbortLike {
  private readonly listeners = new Set<() => void>();
  private abortedFlag = false;
  private why: unknown = undefined;
  private readonly onParent = () => this.abort(this.parent?.reason);

  constructor(private readonly parent?: AbortLike) {
    if (parent?.aborted) this.abort(parent.reason);
    else parent?.addEventListener('abort', this.onParent, { once: true });
  }

  get aborted(): boolean {
    return this.abortedFlag;
  }

  get reason(): unknown {
    return this.why;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.abortedFlag) this.listeners.add(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.delete(listener);
  }

  abort(reason?: unknown): void {
    if (this.abortedFlag) return;
    this.abortedFlag = true;
    this.why = reason ?? new Error('scan cancelled');
    this.parent?.removeEventListener('abort', this.onParent);
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener();
  }

  /** Stops following the parent (a child signal whose work is done). */
  dispose(): void {
    this.parent?.removeEventListener('abort', this.onParent);
    this.listeners.clear();
  }
}
