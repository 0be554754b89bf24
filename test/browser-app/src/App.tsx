import { ProblemError, type ListItem } from '@mentor-status/client';
import type { MentorStatusHooks } from '@mentor-status/client/react';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';

const ACTIVE = '/api/v1/chapters/{chapter_id}/mentors/active';
type ActiveMentor = ListItem<typeof ACTIVE>;

/** What a coordinator reads when a call fails: the problem's own words. */
function describe(error: unknown): string {
  if (error instanceof ProblemError) return `${error.status} ${error.title}: ${error.detail}`;
  return error instanceof Error ? error.message : String(error);
}

interface Props {
  hooks: MentorStatusHooks;
  chapterId: string;
}

export function App({ hooks, chapterId }: Props) {
  const [notice, setNotice] = useState<string>();
  const active = hooks.useQuery('get', ACTIVE, { params: { path: { chapter_id: chapterId } } });
  return (
    <main>
      <h1>Active mentors of {chapterId}</h1>
      {notice && <p role="status">{notice}</p>}
      {active.isPending && <p>Loading…</p>}
      {active.error && <p role="alert">{describe(active.error)}</p>}
      {active.data && (
        <ul aria-label="Active mentors">
          {active.data.data.map((mentor) => (
            <MentorRow key={mentor.mentor_id} hooks={hooks} mentor={mentor} onPaused={setNotice} />
          ))}
        </ul>
      )}
    </main>
  );
}

interface RowProps {
  hooks: MentorStatusHooks;
  mentor: ActiveMentor;
  onPaused: (notice: string) => void;
}

function MentorRow({ hooks, mentor, onPaused }: RowProps) {
  const [reason, setReason] = useState('');
  const queryClient = useQueryClient();
  const pause = hooks.useMutation('post', '/api/v1/mentor-statuses', {
    onSuccess: async (record) => {
      onPaused(`${mentor.full_name} is paused: ${record.reason ?? ''} (${record.mentor_status_id})`);
      await queryClient.invalidateQueries({ queryKey: ['get', ACTIVE] });
    },
  });
  return (
    <li data-mentor-id={mentor.mentor_id}>
      <span>{mentor.full_name}</span>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          // No `changed_by`: the service fills it with the signed-in person.
          pause.mutate({ body: { mentor_id: mentor.mentor_id, status: 'paused', reason } });
        }}
      >
        <label>
          Reason <input value={reason} onChange={(event) => setReason(event.target.value)} required />
        </label>
        <button type="submit" disabled={pause.isPending}>
          Pause
        </button>
      </form>
      {pause.error && <p role="alert">{describe(pause.error)}</p>}
    </li>
  );
}
