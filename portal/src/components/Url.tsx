import { Fragment } from 'preact';

/**
 * A URL that wraps at its natural joints (after / . ? & = -) instead of mid-word, so long
 * endpoint URLs fit a table cell or a 360 px screen without widening it.
 */
export function Url({ url }: { url: string }) {
  const parts = url.split(/(?<=[/.?&=-])/);
  return (
    <span class="url">
      {parts.map((part, index) => (
        <Fragment key={index}>
          {index > 0 && <wbr />}
          {part}
        </Fragment>
      ))}
    </span>
  );
}
