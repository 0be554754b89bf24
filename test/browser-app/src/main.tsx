import { createMentorStatusClient } from '@mentor-status/client';
import { createMentorStatusHooks } from '@mentor-status/client/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { signIn, type SignInConfig } from './sign-in';

/** Where the API is and where people sign in, served next to the page (as a deployment would). */
interface RuntimeConfig extends SignInConfig {
  apiBaseUrl: string;
  chapterId: string;
}

async function start(): Promise<void> {
  const config = (await (await fetch('/config.json')).json()) as RuntimeConfig;
  const token = await signIn(config);
  const client = createMentorStatusClient(config.apiBaseUrl, { accessToken: () => token });
  // The client retries what is safe to retry; React Query's own retries would repeat that.
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const root = document.getElementById('root');
  if (!root) throw new Error('no #root in the page');
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <App hooks={createMentorStatusHooks(client)} chapterId={config.chapterId} />
      </QueryClientProvider>
    </StrictMode>,
  );
}

void start();
