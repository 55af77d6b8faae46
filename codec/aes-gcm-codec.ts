import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import protos from '@temporalio/proto';

// A CommonJS module: its namespaces are reached through the default export under ESM.
const { temporal } = protos;

export const ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface EncryptionKeyMaterial {
  id: string;
  /** 32 bytes. */
  key: Uint8Array;
}

/**
 * Encrypts every payload with AES-256-GCM before it leaves the process, so Temporal's history (and anyone who reads
 * it) sees only ciphertext. Each payload names its key; all configured keys decode and the active one encodes, so
 * keys rotate without making old histories unreadable.
 */
export class AesGcmCodec implements PayloadCodec {
  readonly activeKeyId: string;
  readonly #keys: Map<string, Buffer>;

  constructor(keys: EncryptionKeyMaterial[], activeKeyId: string = keys[0]?.id ?? '') {
    this.#keys = new Map();
    for (const { id, key } of keys) {
      if (key.byteLength !== 32) throw new Error(`Encryption key ${id} is ${key.byteLength} bytes; AES-256 needs 32`);
      this.#keys.set(id, Buffer.from(key));
    }
    if (!this.#keys.has(activeKeyId)) throw new Error(`No encryption key with id ${activeKeyId || '(none)'}`);
    this.activeKeyId = activeKeyId;
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.#keys.get(this.activeKeyId)!;
    const keyId = Buffer.from(this.activeKeyId);
    // A throw inside a promise executor becomes a rejection, as callers of a codec expect.
    return new Promise((resolve) =>
      resolve(
        payloads.map((payload) => {
          const iv = randomBytes(IV_BYTES);
          const cipher = createCipheriv('aes-256-gcm', key, iv);
          // The key id is authenticated too: a payload relabelled with another key id fails to decode.
          cipher.setAAD(keyId);
          const plain = temporal.api.common.v1.Payload.encode(payload).finish();
          const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
          return {
            metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCODING), [KEY_ID_METADATA]: keyId },
            data,
          };
        }),
      ),
    );
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) =>
      resolve(
        payloads.map((payload) => {
          const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
          if (!encoding || Buffer.from(encoding).toString() !== ENCODING) return payload;
          const keyIdBytes = payload.metadata?.[KEY_ID_METADATA];
          const keyId = keyIdBytes ? Buffer.from(keyIdBytes).toString() : '';
          const key = this.#keys.get(keyId);
          if (!key) {
            throw new ValueError(
              `Payload encrypted with key ${keyId || '(unnamed)'}, which is not configured: add it to temporal.encryption.keys`,
            );
          }
          const data = Buffer.from(payload.data ?? []);
          if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError(`Encrypted payload too short (key ${keyId})`);
          const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
          decipher.setAAD(Buffer.from(keyId));
          decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
          let plain: Buffer;
          try {
            plain = Buffer.concat([
              decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
              decipher.final(),
            ]);
          } catch {
            throw new ValueError(`Payload does not decrypt with key ${keyId}: wrong key material or tampered data`);
          }
          return temporal.api.common.v1.Payload.decode(plain);
        }),
      ),
    );
  }
}
