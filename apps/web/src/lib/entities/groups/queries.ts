import { resourceQueries } from '$lib/api/queries.ts';
import type { EdgeStyle, Group, GroupRequest, GroupType } from '$lib/api/types.ts';

export const groupQueries = resourceQueries<Group, GroupRequest>('groups');

export const GROUP_TYPES: readonly { value: GroupType; label: string; hint: string }[] = [
  { value: 'RequestPath', label: 'Request path', hint: 'An ordered chain, e.g. proxy → app → database.' },
  {
    value: 'HubAndSpoke',
    label: 'Hub and spoke',
    hint: 'The first binding is the hub; the rest connect to it.',
  },
];

export const EDGE_STYLES: readonly EdgeStyle[] = ['SmoothStep', 'Bezier', 'SimpleBezier', 'Step', 'Straight'];

export const groupTypeLabel = (t: GroupType) => GROUP_TYPES.find((g) => g.value === t)?.label ?? t;
