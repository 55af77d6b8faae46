import { Client, Connection, type TLSConfig } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { codecFromConfig } from '../codec/codec-from-config.ts';
import { readSecret } from '../config/secret-ref.ts';
import type { ServiceConfig } from '../config/service-config.ts';
import { FAILURE_CONVERTER_PATH } from '../codec/failure-converter-path.ts';

export interface TemporalConnectionSettings {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

/** Address, TLS and API key, with secrets read from their references; shared by clients and workers. */
export async function temporalConnectionSettings(
  temporal: ServiceConfig['temporal'],
): Promise<TemporalConnectionSettings> {
  const { tls } = temporal;
  return {
    address: temporal.address,
    ...(tls
      ? {
          tls: {
            ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
            ...(tls.serverRootCaCert
              ? { serverRootCACertificate: Buffer.from(await readSecret(tls.serverRootCaCert)) }
              : {}),
            ...(tls.clientCert && tls.clientKey
              ? {
                  clientCertPair: {
                    crt: Buffer.from(await readSecret(tls.clientCert)),
                    key: Buffer.from(await readSecret(tls.clientKey)),
                  },
                }
              : {}),
          },
        }
      : {}),
    ...(temporal.apiKey ? { apiKey: await readSecret(temporal.apiKey) } : {}),
  };
}

/**
 * The data converter of every client and worker: payloads encrypted when a key is configured, failure messages
 * carried in a payload so that they are encrypted too.
 */
export async function dataConverterFor(temporal: ServiceConfig['temporal']): Promise<DataConverter> {
  const codec = await codecFromConfig(temporal);
  return { failureConverterPath: FAILURE_CONVERTER_PATH, ...(codec ? { payloadCodecs: [codec] } : {}) };
}

/** A Temporal client as the config describes it (address, TLS, namespace, encryption); close its connection after. */
export async function connectTemporal(config: Pick<ServiceConfig, 'temporal'>): Promise<Client> {
  const connection = await Connection.connect(await temporalConnectionSettings(config.temporal));
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: await dataConverterFor(config.temporal),
  });
}
