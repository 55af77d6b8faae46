import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { AesGcmCodec, ENCODING, KEY_ID_METADATA } from '../../codec/aes-gcm-codec.ts';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const profile = { externalId: 'emp-42', profile: { email: 'ada.lovelace@example.com', lastName: 'Lovelace' } };

describe('AesGcmCodec', () => {
  it('encrypts a payload into ciphertext that names its key, and decrypts it back', async () => {
    const codec = new AesGcmCodec([k1]);
    const plain = defaultPayloadConverter.toPayload(profile);
    const [encrypted] = await codec.encode([plain]);
    expect(Buffer.from(encrypted!.metadata!.encoding!).toString()).toBe(ENCODING);
    expect(Buffer.from(encrypted!.metadata![KEY_ID_METADATA]!).toString()).toBe('k1');
    expect(Buffer.from(encrypted!.data!).toString('latin1')).not.toContain('Lovelace');
    const [decoded] = await codec.decode([encrypted!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(profile);
  });

  it('rotates: a new active key encodes, the retired key still decodes old payloads', async () => {
    const [old] = await new AesGcmCodec([k1]).encode([defaultPayloadConverter.toPayload(profile)]);
    const rotated = new AesGcmCodec([k2, k1], 'k2');
    const [fresh] = await rotated.encode([defaultPayloadConverter.toPayload(profile)]);
    expect(Buffer.from(fresh!.metadata![KEY_ID_METADATA]!).toString()).toBe('k2');
    const decoded = await rotated.decode([old!, fresh!]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([profile, profile]);
    // Without the retired key, the old payload cannot be read, and the error says which key is missing.
    await expect(new AesGcmCodec([k2]).decode([old!])).rejects.toThrow(/key k1, which is not configured/);
  });

  it('refuses tampered data, a relabelled key id and keys of the wrong size; passes plain payloads through', async () => {
    const codec = new AesGcmCodec([k1, { id: 'k1b', key: k1.key }]);
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(profile)]);
    const tampered = { ...encrypted!, data: Buffer.from(encrypted!.data!).map((b, i) => (i === 20 ? b ^ 1 : b)) };
    await expect(codec.decode([tampered])).rejects.toThrow(/does not decrypt with key k1/);
    // Same key material under another id: the authenticated key id makes it fail.
    const relabelled = { ...encrypted!, metadata: { ...encrypted!.metadata, [KEY_ID_METADATA]: Buffer.from('k1b') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/does not decrypt with key k1b/);
    expect(() => new AesGcmCodec([{ id: 'short', key: randomBytes(16) }])).toThrow(/16 bytes; AES-256 needs 32/);
    const plain = defaultPayloadConverter.toPayload('not encrypted');
    expect(await codec.decode([plain])).toEqual([plain]);
  });
});
