// The worker thread of startEmulatorInThread: runs the emulator until told to stop.
import { parentPort, workerData } from 'node:worker_threads';
import { startOktaEmulator, type OktaEmulatorOptions } from '../../okta-emulator/index.ts';

const emulator = await startOktaEmulator(workerData as OktaEmulatorOptions);
parentPort!.once('message', () => {
  void emulator.stop().then(() => parentPort!.close());
});
parentPort!.postMessage({ url: emulator.url, apiTokens: emulator.apiTokens.map(({ token }) => ({ token })) });
