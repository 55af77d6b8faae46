import { hostname } from 'node:os';
import { activityInfo } from '@temporalio/activity';

export interface WorkerDescription {
  hostname: string;
  pid: number;
  nodeVersion: string;
  taskQueue: string;
}

export function describeWorker(): Promise<WorkerDescription> {
  return Promise.resolve({
    hostname: hostname(),
    pid: process.pid,
    nodeVersion: process.version,
    taskQueue: activityInfo().taskQueue,
  });
}
