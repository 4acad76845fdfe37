/// <reference types="jest" />
import { createSseParser, type SseMessage } from './sse';

function parse(chunks: string[]): SseMessage[] {
  const messages: SseMessage[] = [];
  const parser = createSseParser((message) => messages.push(message));
  for (const chunk of chunks) parser.feed(chunk);
  parser.end();
  return messages;
}

describe('createSseParser', () => {
  it('reads named events with JSON data', () => {
    const text = 'event: token\ndata: {"text":"Hel"}\n\nevent: token\ndata: {"text":"lo"}\n\nevent: done\ndata: {"source":"offline","model":null}\n\n';
    expect(parse([text])).toEqual([
      { event: 'token', data: '{"text":"Hel"}', id: null },
      { event: 'token', data: '{"text":"lo"}', id: null },
      { event: 'done', data: '{"source":"offline","model":null}', id: null },
    ]);
  });

  it('joins messages split anywhere across chunks, including inside a CRLF', () => {
    const text = 'event: token\r\ndata: {"text":"a b"}\r\n\r\nevent: done\r\ndata: {}\r\n\r\n';
    for (let cut = 1; cut < text.length; cut++) {
      expect(parse([text.slice(0, cut), text.slice(cut)])).toEqual([
        { event: 'token', data: '{"text":"a b"}', id: null },
        { event: 'done', data: '{}', id: null },
      ]);
    }
  });

  it('handles one byte at a time, bare CR line ends, comments and multi-line data', () => {
    const text = ':keep-alive\r\rdata: line one\rdata:line two\rid: 7\r\r';
    expect(parse(text.split(''))).toEqual([{ event: 'message', data: 'line one\nline two', id: '7' }]);
  });

  it('keeps only the first space after the colon and accepts a field without a colon', () => {
    expect(parse(['data:  two spaces\ndata\n\n'])).toEqual([{ event: 'message', data: ' two spaces\n', id: null }]);
  });

  it('ignores a leading BOM, messages with no data, and an unterminated last message', () => {
    expect(parse(['\uFEFFevent: ping\n\ndata: kept\n\ndata: cut off'])).toEqual([
      { event: 'message', data: 'kept', id: null },
    ]);
  });
});
