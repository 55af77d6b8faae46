import type { ServiceConfig } from '../config/service-config.ts';
import { describeSecretRef, readSecret } from '../config/secret-ref.ts';
import { AesGcmCodec } from './aes-gcm-codec.ts';

/** The payload codec the config asks for, or none when it names no key (a local dev server). */
export async function codecFromConfig(temporal: ServiceConfig['temporal']): Promise<AesGcmCodec | undefined> {
  const { keys, activeKeyId } = temporal.encryption;
  if (keys.length === 0) return undefined;
  const material = await Promise.all(
    keys.map(async ({ id, key }) => {
      const bytes = Buffer.from(await readSecret(key), 'base64');
      if (bytes.length !== 32) {
        throw new Error(
          `Encryption key ${id} (${describeSecretRef(key)}) must be 32 bytes in base64; it decodes to ${bytes.length} bytes`,
        );
      }
      return { id, key: bytes };
    }),
  );
  return new AesGcmCodec(material, activeKeyId);
}
