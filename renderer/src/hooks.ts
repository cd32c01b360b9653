import { useCallback, useEffect, useRef, useState } from 'react';
import type { EventName, EventPayload } from '../../shared/api/index';
import type { OutpostError } from '../../shared/errors';
import { outpost } from './outpost';

export interface ApiState<T> {
  data: T | undefined;
  error: OutpostError | undefined;
  loading: boolean;
  reload: () => void;
}

/** Loads through window.outpost, reloads when deps change or one of `refreshOn` events arrives. */
export function useApi<T>(load: () => Promise<T>, deps: unknown[], refreshOn: EventName[] = []): ApiState<T> {
  const [state, setState] = useState<{ data?: T; error?: OutpostError; loading: boolean }>({ loading: true });
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    loadRef.current().then(
      (data) => mine === generation.current && setState({ data, loading: false }),
      (error: OutpostError) => mine === generation.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  }, []);

  useEffect(reload, deps);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    // events can arrive in bursts (a pulled batch): coalesce reloads
    const offs = refreshOn.map((event) =>
      outpost.on(event, () => {
        clearTimeout(timer);
        timer = setTimeout(reload, 150);
      }),
    );
    return () => {
      clearTimeout(timer);
      offs.forEach((off) => off());
    };
  }, [reload, refreshOn.join(',')]);

  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** The latest payload of an event, starting from `initial`. */
export function useEventValue<E extends EventName>(event: E, initial?: EventPayload<E>): EventPayload<E> | undefined {
  const [value, setValue] = useState(initial);
  useEffect(() => outpost.on(event, setValue), [event]);
  return value;
}

export function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return debounced;
}

export function formatAge(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(0)} s`;
  if (s < 3600) return `${(s / 60).toFixed(0)} min`;
  if (s < 86400) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return 'never';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/**
 * A button's action: which one is running (to disable the others), its error (to show), and what to reload
 * after it succeeds.
 */
export function useAction(afterSuccess: () => void): {
  busy: string | null;
  error: OutpostError | undefined;
  act: (name: string, fn: () => Promise<unknown>) => Promise<void>;
} {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<OutpostError>();
  const after = useRef(afterSuccess);
  after.current = afterSuccess;
  const act = useCallback(async (name: string, fn: () => Promise<unknown>) => {
    setBusy(name);
    setError(undefined);
    try {
      await fn();
      after.current();
    } catch (e) {
      setError(e as OutpostError);
    } finally {
      setBusy(null);
    }
  }, []);
  return { busy, error, act };
}
