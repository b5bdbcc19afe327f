// The target both scrape measurements scrape: 100k series of one counter, ~10.8 MB of text,
// served on a free port of 127.0.0.1. Resolves to { body, port, close }.
import { createServer } from 'node:http';

export async function startTarget100k() {
  const lines = [];
  for (let i = 0; i < 100_000; i++)
    lines.push(
      `http_requests_total{method="get",code="200",handler="/api/v1/query_range/${i % 500}",zone="eu-1",idx="${i}"} ${i}`,
    );
  const body = `${lines.join('\n')}\n`;
  const server = createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/plain; version=0.0.4');
    res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { body, port: server.address().port, close: () => server.close() };
}
