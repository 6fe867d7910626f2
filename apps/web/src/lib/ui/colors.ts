import type { Color } from '@scanopy/contracts';

export type { Color };

/** Every colour the API accepts, in the order the pickers show them. */
export const COLORS: readonly Color[] = [
  'Red',
  'Rose',
  'Pink',
  'Orange',
  'Yellow',
  'Green',
  'Emerald',
  'Teal',
  'Cyan',
  'Blue',
  'Indigo',
  'Purple',
  'Gray',
];

/** A swatch (dot) and a chip style per colour; full class names so Tailwind sees them. */
export const COLOR_STYLES: Record<Color, { dot: string; chip: string }> = {
  Red: {
    dot: 'bg-red-500',
    chip: 'bg-red-50 text-red-800 ring-red-200 dark:bg-red-500/15 dark:text-red-200 dark:ring-red-500/30',
  },
  Rose: {
    dot: 'bg-rose-500',
    chip: 'bg-rose-50 text-rose-800 ring-rose-200 dark:bg-rose-500/15 dark:text-rose-200 dark:ring-rose-500/30',
  },
  Pink: {
    dot: 'bg-pink-500',
    chip: 'bg-pink-50 text-pink-800 ring-pink-200 dark:bg-pink-500/15 dark:text-pink-200 dark:ring-pink-500/30',
  },
  Orange: {
    dot: 'bg-orange-500',
    chip: 'bg-orange-50 text-orange-800 ring-orange-200 dark:bg-orange-500/15 dark:text-orange-200 dark:ring-orange-500/30',
  },
  Yellow: {
    dot: 'bg-yellow-400',
    chip: 'bg-yellow-50 text-yellow-800 ring-yellow-200 dark:bg-yellow-500/15 dark:text-yellow-200 dark:ring-yellow-500/30',
  },
  Green: {
    dot: 'bg-green-500',
    chip: 'bg-green-50 text-green-800 ring-green-200 dark:bg-green-500/15 dark:text-green-200 dark:ring-green-500/30',
  },
  Emerald: {
    dot: 'bg-emerald-500',
    chip: 'bg-emerald-50 text-emerald-800 ring-emerald-200 dark:bg-emerald-500/15 dark:text-emerald-200 dark:ring-emerald-500/30',
  },
  Teal: {
    dot: 'bg-teal-500',
    chip: 'bg-teal-50 text-teal-800 ring-teal-200 dark:bg-teal-500/15 dark:text-teal-200 dark:ring-teal-500/30',
  },
  Cyan: {
    dot: 'bg-cyan-500',
    chip: 'bg-cyan-50 text-cyan-800 ring-cyan-200 dark:bg-cyan-500/15 dark:text-cyan-200 dark:ring-cyan-500/30',
  },
  Blue: {
    dot: 'bg-blue-500',
    chip: 'bg-blue-50 text-blue-800 ring-blue-200 dark:bg-blue-500/15 dark:text-blue-200 dark:ring-blue-500/30',
  },
  Indigo: {
    dot: 'bg-indigo-500',
    chip: 'bg-indigo-50 text-indigo-800 ring-indigo-200 dark:bg-indigo-500/15 dark:text-indigo-200 dark:ring-indigo-500/30',
  },
  Purple: {
    dot: 'bg-purple-500',
    chip: 'bg-purple-50 text-purple-800 ring-purple-200 dark:bg-purple-500/15 dark:text-purple-200 dark:ring-purple-500/30',
  },
  Gray: {
    dot: 'bg-neutral-500',
    chip: 'bg-neutral-100 text-neutral-800 ring-neutral-200 dark:bg-neutral-500/15 dark:text-neutral-200 dark:ring-neutral-500/30',
  },
};
