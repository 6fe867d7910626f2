import { getContext, setContext } from 'svelte';
import type { Ixy } from '../types.ts';

/** What the node and edge components need from the canvas: editing rights and where to report a finished edit. */
export interface CanvasContext {
  readonly editable: boolean;
  readonly showResizeHandles: boolean;
  /** Ids of the selected nodes, and whether unrelated edges stay unfaded then (§1.4 `no_fade_edges`). */
  readonly selectedNodes: ReadonlySet<string>;
  readonly noFadeEdges: boolean;
  resized(nodeId: string, size: Ixy, position: Ixy): void;
  openHost(hostId: string): void;
}

const KEY = Symbol('topology-canvas');

export const setCanvasContext = (ctx: CanvasContext) => setContext(KEY, ctx);
export const canvasContext = () => getContext<CanvasContext>(KEY);
