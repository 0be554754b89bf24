import createQueryClient from 'openapi-react-query';
import type { MentorStatusClient } from './index.js';

/**
 * React Query hooks over a {@link MentorStatusClient}: `useQuery`, `useSuspenseQuery`,
 * `useInfiniteQuery`, `useMutation` and `queryOptions`, typed by path like the client. They go
 * through the client, so they get its API key, idempotency keys and retries, and a failed answer
 * is thrown as a `ProblemError`, React Query's `error`.
 */
export function createMentorStatusHooks(client: MentorStatusClient) {
  return createQueryClient(client);
}

export type MentorStatusHooks = ReturnType<typeof createMentorStatusHooks>;
