// The Okta client the single-record tests call the emulator with, and how they take a failure apart.
import { ApplicationFailure } from '@temporalio/common';
import { expect } from 'vitest';
import { IdentitySourceClient } from '../../activities/okta/identity-source-client.ts';
import { RateLimitPacer } from '../../activities/okta/rate-limit-pacer.ts';
import type { OktaEmulator } from '../../okta-emulator/index.ts';
import { TOKEN } from '../okta-emulator/support.ts';

/** A client on an emulator from startFast: its API token, and a pacer taking half of the rate limit. */
export function sswsClientOn(emulator: Pick<OktaEmulator, 'url'>): IdentitySourceClient {
  return new IdentitySourceClient({
    orgUrl: emulator.url,
    credentials: { kind: 'ssws', token: TOKEN },
    pacer: new RateLimitPacer({ share: 0.5 }),
  });
}

/** The ApplicationFailure a call rejects with (the test fails if it resolves or rejects with anything else). */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}
