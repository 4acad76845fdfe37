import { useTitle } from '../hooks';

export function NotFoundPage() {
  useTitle('Not found');
  return (
    <>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        There is nothing at this address. Go to the <a href="#/endpoints">endpoints</a> or the <a href="#/events">event log</a>.
      </p>
    </>
  );
}
