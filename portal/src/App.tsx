import { useEffect, useRef, useState } from 'preact/hooks';
import { configureApi } from './api';
import { RelTime } from './components/RelTime';
import { SessionContext } from './context';
import { DeliveryPage } from './pages/DeliveryPage';
import { EndpointDetailPage } from './pages/EndpointDetailPage';
import { EndpointEditPage } from './pages/EndpointEditPage';
import { EndpointsPage } from './pages/EndpointsPage';
import { EventLogPage } from './pages/EventLogPage';
import { EventPage } from './pages/EventPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { useRoute, type Route } from './router';
import { forgetSession, type Session } from './session';

// setTimeout overflows past 2^31-1 ms (about 24.8 days); sessions last at most 24 h anyway.
const MAX_TIMER_MS = 2 ** 31 - 1;

export function App({ session }: { session: Session | null }) {
  const [expired, setExpiredState] = useState(() => isPast(session?.expiresAt));
  // A dead token is worth nothing: it leaves storage before the message that says so is drawn.
  const setExpired = (value: boolean) => {
    if (value) forgetSession();
    setExpiredState(value);
  };
  if (expired) forgetSession();
  const configured = useRef(false);
  if (session && !configured.current) {
    configured.current = true;
    configureApi({ token: session.token, tenant: session.tenant, onUnauthorized: () => setExpired(true) });
  }

  useEffect(() => {
    const expiresAt = session?.expiresAt ? Date.parse(session.expiresAt) : NaN;
    if (Number.isNaN(expiresAt)) return;
    const timer = setTimeout(() => setExpired(true), Math.min(MAX_TIMER_MS, Math.max(0, expiresAt - Date.now())));
    return () => clearTimeout(timer);
  }, [session]);

  if (!session) {
    return (
      <FullPageMessage testId="session-missing" title="No portal session">
        Open the portal from the link you were given. If the link is old, ask for a new one.
      </FullPageMessage>
    );
  }
  if (expired) {
    return (
      <FullPageMessage testId="session-expired" title="Session ended">
        This portal session has expired or was revoked. Ask for a new link.
      </FullPageMessage>
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <Shell session={session} />
    </SessionContext.Provider>
  );
}

function Shell({ session }: { session: Session }) {
  const route = useRoute();
  const section = route.path.startsWith('/events') || route.path.startsWith('/deliveries') ? 'events' : 'endpoints';
  const first = useRef(true);

  useEffect(() => {
    // On navigation, move focus to the new page's heading so keyboard and screen reader users
    // start at the top of the new content instead of on a link that has gone.
    if (first.current) {
      first.current = false;
      return;
    }
    const frame = requestAnimationFrame(() => document.querySelector<HTMLElement>('main h1')?.focus());
    window.scrollTo(0, 0);
    return () => cancelAnimationFrame(frame);
  }, [route.path]);

  return (
    <>
      <button type="button" class="skip-link" onClick={() => document.querySelector<HTMLElement>('main h1')?.focus()}>
        Skip to content
      </button>
      <header class="topbar">
        <div class="topbar-inner">
          <span class="brand">Webhooks</span>
          <nav aria-label="Main">
            <a href="#/endpoints" data-testid="nav-endpoints" aria-current={section === 'endpoints' ? 'page' : undefined}>
              Endpoints
            </a>
            <a href="#/events" data-testid="nav-events" aria-current={section === 'events' ? 'page' : undefined}>
              Event log
            </a>
          </nav>
          {session.expiresAt && (
            <p class="session-expiry">
              Session ends <RelTime iso={session.expiresAt} />
            </p>
          )}
        </div>
        {session.readOnly && (
          <p class="readonly-banner" data-testid="readonly-banner">
            Read-only session: you can look at everything here but not change anything.
          </p>
        )}
      </header>
      <main id="main">
        <Page route={route} />
      </main>
    </>
  );
}

function Page({ route }: { route: Route }) {
  const parts = route.path.split('/').filter(Boolean).map(decodeURIComponent);
  const [section, id, sub] = parts;
  if (section === 'endpoints' && !id) return <EndpointsPage />;
  if (section === 'endpoints' && id === 'new' && !sub) return <EndpointEditPage />;
  if (section === 'endpoints' && id && sub === 'edit') return <EndpointEditPage key={id} endpointId={id} />;
  if (section === 'endpoints' && id && !sub) return <EndpointDetailPage key={id} endpointId={id} />;
  if (section === 'events' && !id) return <EventLogPage query={route.query} />;
  if (section === 'events' && id && !sub) return <EventPage key={id} eventId={id} />;
  if (section === 'deliveries' && id && !sub) return <DeliveryPage key={id} deliveryId={id} />;
  return <NotFoundPage />;
}

function FullPageMessage({ testId, title, children }: { testId: string; title: string; children: string }) {
  return (
    <main class="full-page" data-testid={testId}>
      <h1>{title}</h1>
      <p>{children}</p>
    </main>
  );
}

function isPast(iso: string | null | undefined): boolean {
  if (!iso) return false;
  const time = Date.parse(iso);
  return !Number.isNaN(time) && time <= Date.now();
}
