// The Node floor of `npm run bench`: the least a Node server can do to be "ready" — a bare
// node:http server answering 200 on /-/ready, closing its listener on SIGTERM. What miniprom's
// startup, memory and stop are measured against.
import { createServer } from 'node:http';

const port = Number(/^--port=(\d+)$/.exec(process.argv[2] ?? '')?.[1]);
const server = createServer((req, res) => {
  res.writeHead(req.url === '/-/ready' ? 200 : 404, { 'content-type': 'text/plain' });
  res.end(req.url === '/-/ready' ? 'Ready.\n' : 'Not found.\n');
});
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
