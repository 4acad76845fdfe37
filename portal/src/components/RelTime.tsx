import { absoluteTime, relativeTime } from '../format';
import { useNow } from '../hooks';

export function RelTime({ iso, fallback = '—' }: { iso: string | null | undefined; fallback?: string }) {
  const now = useNow();
  if (!iso) return <span>{fallback}</span>;
  return (
    <time dateTime={iso} title={absoluteTime(iso)}>
      {relativeTime(iso, now)}
    </time>
  );
}
