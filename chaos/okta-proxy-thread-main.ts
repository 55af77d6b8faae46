// The thread of startProxiesInThread: the recording proxies, on an event loop the emulator's work cannot hold up.
import { parentPort, workerData } from 'node:worker_threads';
import { OktaProxy } from './okta-proxy.ts';

const { target, count } = workerData as { target: string; count: number };
const proxies = Array.from({ length: count }, () => new OktaProxy(target));
await Promise.all(proxies.map((p) => p.start()));
parentPort!.on('message', (message: { sender?: { slot: number; name: string }; stop?: true }) => {
  if (message.sender) {
    proxies[message.sender.slot]!.sender = message.sender.name;
    parentPort!.postMessage({ senderSet: message.sender.slot });
  }
  if (message.stop) {
    void Promise.all(proxies.map((p) => p.stop())).then(() => {
      parentPort!.postMessage({ seen: proxies.flatMap((p) => p.seen) });
      parentPort!.close();
    });
  }
});
parentPort!.postMessage({ urls: proxies.map((p) => p.url) });
