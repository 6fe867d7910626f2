import { queryOptions } from '@tanstack/svelte-query';
import { apiPost } from '$lib/api/client.ts';
import { resourceQueries } from '$lib/api/queries.ts';
import type { CreateTagRequest, Tag, TaggableEntityType } from '$lib/api/types.ts';
import type { BulkTagRequest, BulkTagResponse } from '@scanopy/contracts';

export const tagQueries = resourceQueries<Tag, CreateTagRequest>('tags');

/** Tags are organization-wide and few: pickers and chips share one capped list. */
export const allTagsQuery = () =>
  queryOptions({
    queryKey: [...tagQueries.keys.all, 'all'] as const,
    queryFn: () => tagQueries.items({ limit: 500, order_by: 'name', order_direction: 'asc' }),
  });

export const bulkTag = (
  action: 'add' | 'remove',
  entity_type: TaggableEntityType,
  tag_id: string,
  entity_ids: string[],
) =>
  apiPost<BulkTagResponse>(`/api/v1/tags/assign/bulk-${action}`, {
    entity_ids,
    entity_type,
    tag_id,
  } satisfies BulkTagRequest);
