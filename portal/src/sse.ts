export interface SseMessage {
  event: string;
  data: string;
  id: string | null;
}

/**
 * An incremental parser for `text/event-stream` (the WHATWG "event stream interpretation"),
 * because EventSource can neither POST nor send an Authorization header. Feed it decoded text
 * in whatever pieces the network delivers; it calls `onMessage` once per complete message.
 */
export function createSseParser(onMessage: (message: SseMessage) => void) {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | null = null;
  let firstChunk = true;

  function dispatch() {
    if (data.length > 0) onMessage({ event: event || 'message', data: data.join('\n'), id });
    event = '';
    data = [];
  }

  function processLine(line: string) {
    if (line === '') return dispatch();
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) id = value;
    // `retry` and unknown fields do not matter to a single POST stream.
  }

  return {
    feed(chunk: string) {
      if (firstChunk) {
        firstChunk = false;
        if (chunk.startsWith('\uFEFF')) chunk = chunk.slice(1);
      }
      buffer += chunk;
      // A lone '\r' at the end may be the first half of '\r\n': wait for the next chunk.
      const lines = buffer.split(/\r\n|\r(?!$)|\n/);
      buffer = lines.pop() ?? '';
      for (const line of lines) processLine(line);
    },
    /** The stream ended: a message without its blank line is incomplete and is dropped. */
    end() {
      if (buffer.endsWith('\r')) {
        processLine(buffer.slice(0, -1));
        processLine('');
      }
      buffer = '';
      event = '';
      data = [];
    },
  };
}
