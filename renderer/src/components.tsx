import type { ReactNode } from 'react';
import type { OutpostError } from '../../shared/errors';

export function ErrorBanner({ error, onRetry }: { error: OutpostError | undefined; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <div className="banner error" role="alert">
      <span>
        <strong>{error.code ?? 'error'}</strong>: {error.message}
      </span>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function Loading() {
  return (
    <div className="loading" aria-busy="true">
      Loading…
    </div>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{status}</span>;
}
