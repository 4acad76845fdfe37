/**
 * Lets a click anywhere on a table row follow the row's first link, for mouse and touch users;
 * keyboard and screen reader users use that link itself. Clicks on controls inside are theirs.
 */
export function openRowLink(event: MouseEvent): void {
  const target = event.target as Element | null;
  const row = event.currentTarget as HTMLElement | null;
  if (!target || !row || target.closest('a, button, input, select, textarea, label, summary, dialog')) return;
  if (window.getSelection()?.toString()) return; // selecting text is not a click
  row.querySelector<HTMLAnchorElement>('a[href]')?.click();
}
