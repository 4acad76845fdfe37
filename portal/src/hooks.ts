import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { isAbortError, listAllEndpoints, type Endpoint } from './api';

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  setData: (data: T) => void;
}

/** Loads once per change of `deps`, aborting the previous load; keeps the last data while reloading. */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Resource<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ data: previous.data, loading: true }));
    load(controller.signal).then(
      (data) => controller.signal.aborted || setState({ data, loading: false }),
      (error: unknown) => controller.signal.aborted || isAbortError(error) || setState({ error, loading: false }),
    );
    return () => controller.abort();
  }, [...deps, version]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  const setData = useCallback((data: T) => setState({ data, loading: false }), []);
  return { data: state.data, error: state.error, loading: state.loading, reload, setData };
}

export interface Action {
  busy: boolean;
  error: unknown;
  message: string;
  run: (work: () => Promise<string | void>) => Promise<boolean>;
  clear: () => void;
}

/** A button's write: one at a time, its error and its outcome message kept for display. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState('');
  const mounted = useRef(true);
  useEffect(() => () => void (mounted.current = false), []);
  const run = useCallback(async (work: () => Promise<string | void>) => {
    setBusy(true);
    setError(null);
    setMessage('');
    try {
      const outcome = await work();
      if (mounted.current) setMessage(outcome ?? '');
      return true;
    } catch (caught) {
      if (mounted.current) setError(caught);
      return false;
    } finally {
      if (mounted.current) setBusy(false);
    }
  }, []);
  const clear = useCallback(() => {
    setError(null);
    setMessage('');
  }, []);
  return { busy, error, message, run, clear };
}

const listeners = new Set<(now: number) => void>();
let timer: ReturnType<typeof setInterval> | undefined;

/** The current time, refreshed every 15 s by one timer shared by every relative time on the page. */
export function useNow(): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    listeners.add(setNow);
    timer ??= setInterval(() => {
      const time = Date.now();
      for (const listener of listeners) listener(time);
    }, 15e3);
    return () => {
      listeners.delete(setNow);
      if (listeners.size === 0 && timer !== undefined) {
        clearInterval(timer);
        timer = undefined;
      }
    };
  }, []);
  return now;
}

/** Runs at most `limit` tasks at once: the endpoint list asks for one stats series per row. */
export function createLimiter(limit: number) {
  let active = 0;
  const queue: (() => void)[] = [];
  return async function schedule<T>(task: () => Promise<T>): Promise<T> {
    if (active >= limit) await new Promise<void>((resolve) => queue.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Webhooks portal`;
  }, [title]);
}

/** Endpoints by id, to show URLs next to deliveries; undefined until loaded (ids are shown meanwhile). */
export function useEndpointIndex(): Map<string, Endpoint> | undefined {
  const endpoints = useResource((signal) => listAllEndpoints(signal), []);
  return useMemo(() => (endpoints.data ? new Map(endpoints.data.map((endpoint) => [endpoint.id, endpoint])) : undefined), [endpoints.data]);
}

export interface Paged<T> {
  items: T[];
  loading: boolean;
  error: unknown;
  hasMore: boolean;
  loadMore: () => void;
  reload: () => void;
}

/** A cursor-paged list: the first page whenever `key` changes, then "load more" appends. */
export function usePaged<T>(load: (cursor: string | null, signal: AbortSignal) => Promise<{ data: T[]; nextCursor: string | null }>, key: string): Paged<T> {
  const [state, setState] = useState<{ items: T[]; cursor: string | null; loading: boolean; error: unknown; page: number }>({
    items: [],
    cursor: null,
    loading: true,
    error: null,
    page: 0,
  });
  const controller = useRef<AbortController | null>(null);
  const [version, setVersion] = useState(0);

  const fetchPage = useCallback(
    (cursor: string | null, append: boolean) => {
      controller.current?.abort();
      const current = new AbortController();
      controller.current = current;
      setState((s) => ({ ...s, items: append ? s.items : [], loading: true, error: null }));
      load(cursor, current.signal).then(
        (page) =>
          current.signal.aborted ||
          setState((s) => ({ items: append ? [...s.items, ...page.data] : page.data, cursor: page.nextCursor, loading: false, error: null, page: s.page + 1 })),
        (error: unknown) => current.signal.aborted || isAbortError(error) || setState((s) => ({ ...s, loading: false, error })),
      );
    },
    // `load` closes over the filters, which `key` stands for.
    [key],
  );

  useEffect(() => {
    fetchPage(null, false);
    return () => controller.current?.abort();
  }, [fetchPage, version]);

  return {
    items: state.items,
    loading: state.loading,
    error: state.error,
    hasMore: state.cursor !== null,
    loadMore: () => fetchPage(state.cursor, true),
    reload: () => setVersion((v) => v + 1),
  };
}
