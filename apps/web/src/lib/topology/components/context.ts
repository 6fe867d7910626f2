import { getContext, setContext } from 'svelte';
import type { Ixy } from '../types.ts';

/** What the node and edge components need from the canvas: editing rights and where to report a finished edit. */
export interface CanvasContext {
  readonly editable: boolean;
  readonly showResizeHandles: boolean;
  /** Ids of the selected nodes, and whether unrelated edges stay unfaded then (§1.4 `no_fade_edges`). */
  readonly selectedNodes: ReadonlySet<string>;
  readonly noFadeEdges: boolean;
  /** Zoomed out so far that a card's lines would be a few pixels high: cards draw their title only, large. */
  readonly compact: boolean;
  resized(nodeId: string, size: Ixy, position: Ixy): void;
  openHost(hostId: string): void;
}

const KEY = Symbol('topology-canvas');

export const setCanvasContext = (ctx: CanvasContext) => setContext(KEY, ctx);
export const canvasContext = () => getContext<CanvasContext>(KEY);
