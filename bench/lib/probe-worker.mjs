// The latency probe of bench/invalidate.mjs, in its own thread so that the work of the method
// being measured (in the main thread) cannot delay it: GETs in a loop on every master, the worst
// round trip reported when the main thread says "stop".
import { parentPort, workerData } from 'node:worker_threads';
import { Redis } from 'ioredis';

const { ports, keys } = workerData;
const clients = ports.map((port) => new Redis(port, '127.0.0.1'));
let running = true;
let worst = 0;
parentPort.on('message', (message) => {
  if (message === 'stop') running = false;
});
await Promise.all(clients.map((client, i) => client.get(keys[i])));
parentPort.postMessage({ ready: true });
await Promise.all(
  clients.map(async (client, i) => {
    while (running) {
      const t = performance.now();
      await client.get(keys[i]);
      worst = Math.max(worst, performance.now() - t);
      // One GET per millisecond: a stall of the server shows up whole (the GET waits it out),
      // while the probe does not eat a CPU core that the measured method needs (2-core machine).
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }),
);
for (const client of clients) client.disconnect();
parentPort.postMessage({ worst });
