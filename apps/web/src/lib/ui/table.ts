/** A column header of a DataTable; `sort` is the server's order_by value when the column can be sorted. */
export interface Column {
  key: string;
  label: string;
  sort?: string;
  /** Extra classes of the header cell (alignment, width). */
  class?: string;
  /** Shown to screen readers only (an actions column). */
  srOnly?: boolean;
}

/** A filter of DataControls: a query-string parameter and the values a user can pick. */
export interface FilterDef {
  key: string;
  label: string;
  options: readonly { value: string; label: string }[];
  /** The label of "no filter". */
  anyLabel?: string;
  /** Several values may be chosen (rows matching any of them); the parameter repeats in the URL and the request. */
  multiple?: boolean;
}

/** Whether a click on a table row landed on something interactive (which handles it), not on the row. */
export function clickedControl(target: EventTarget | null, row: Element): boolean {
  let el = target instanceof Element ? target : null;
  while (el && el !== row) {
    if (el.matches('a, button, input, select, textarea, label, [role="button"]')) return true;
    el = el.parentElement;
  }
  return false;
}
