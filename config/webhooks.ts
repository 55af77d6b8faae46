import { z } from 'zod';
import { SecretRef } from './secret-ref.ts';

/** 256 KiB: far more than a burst of HR events needs, little enough that nobody can make the receiver buffer much. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

/** The webhook receiver (`hr-okta-sync webhook-server`): where it listens and the secrets senders sign with. */
export const WebhooksSection = z
  .object({
    host: z.string().default('127.0.0.1').describe('Address to bind; `0.0.0.0` in a container'),
    port: z.number().int().min(0).max(65535).default(8787).describe('Port; 0 picks a free one (tests)'),
    standardSecrets: z
      .array(SecretRef)
      .default([])
      .describe(
        'Standard Webhooks signing secrets (`whsec_…`) for POST /webhooks/standard; list the new one beside the old one while rotating',
      ),
    bambooHrSecret: SecretRef.optional().describe("BambooHR's webhook private key, for POST /webhooks/bamboohr"),
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_MAX_BODY_BYTES)
      .describe('Larger request bodies are refused (413)'),
  })
  .strict()
  .refine(
    (webhooks) => webhooks.standardSecrets.length > 0 || webhooks.bambooHrSecret !== undefined,
    'no secret: set webhooks.standardSecrets or webhooks.bambooHrSecret, else every request would be refused',
  );

export type WebhooksConfig = z.output<typeof WebhooksSection>;
