/** A server-sent events client for specs: every event's data parsed as JSON, as it arrives. */
import { get, type IncomingMessage } from 'node:http';

/**
 * Reads server-sent events as they arrive. `ended` resolves when the server has ended the stream
 * and the client's socket is closed (node:http without an agent: one socket, closed with the
 * response, so a test can see that nothing is left).
 */
export async function subscribe(url: string) {
  const res = await new Promise<IncomingMessage>((resolve, reject) =>
    get(url, { agent: false }, resolve).on('error', reject),
  );
  const events: unknown[] = [];
  let waiters: Array<() => void> = [];
  const socketClosed = new Promise<void>((resolve) => res.socket.once('close', () => resolve()));
  const ended = (async () => {
    let buffer = '';
    res.setEncoding('utf8');
    for await (const chunk of res as AsyncIterable<string>) {
      buffer += chunk;
      for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
        events.push(JSON.parse(buffer.slice(0, i).replace(/^data: /, '')));
        buffer = buffer.slice(i + 2);
        for (const wake of waiters) wake();
        waiters = [];
      }
    }
    await socketClosed;
  })();
  const count = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => (events.length >= n ? resolve() : waiters.push(check));
      check();
    });
  return { res, events, count, ended };
}
