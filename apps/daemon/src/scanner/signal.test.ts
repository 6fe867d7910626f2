import { describe, expect, it } from 'vitest';
import { ScanSignal } from './signal.ts';

describe('ScanSignal', () => {
  it('follows its parent, calls each listener once, and forgets removed ones', () => {
    const ctrl = new AbortController();
    const scan = new ScanSignal(ctrl.signal);
    const child = new ScanSignal(scan);
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    child.addEventListener('abort', a);
    child.addEventListener('abort', a);
    child.addEventListener('abort', b);
    child.removeEventListener('abort', b);
    ctrl.abort(new Error('stop'));
    expect(scan.aborted).toBe(true);
    expect(child.aborted).toBe(true);
    expect((child.reason as Error).message).toBe('stop');
    expect(calls).toEqual(['a']);
    child.addEventListener('abort', b);
    expect(calls).toEqual(['a']);
  });

  it('stops following a parent once disposed, and starts aborted under an aborted parent', () => {
    const parent = new ScanSignal();
    const done = new ScanSignal(parent);
    done.dispose();
    parent.abort();
    expect(done.aborted).toBe(false);
    expect(new ScanSignal(parent).aborted).toBe(true);
  });
});
