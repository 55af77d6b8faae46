import { ApplicationFailure } from '@temporalio/common';

/** What an identity source's user schema allows in an upsert profile: its attribute names, base and custom. */
export interface UserSchema {
  attributes: string[];
}

interface SchemaBody {
  definitions?: Record<string, { properties?: Record<string, unknown> } | undefined>;
}

/** Reads Okta's app user schema body (`definitions.base` and `definitions.custom` hold the attributes). */
export function userSchemaOf(json: unknown): UserSchema {
  const definitions = (json as SchemaBody | undefined)?.definitions;
  const base = definitions?.base?.properties;
  if (!base || typeof base !== 'object') {
    throw ApplicationFailure.nonRetryable(
      "Okta's user schema of the identity source has no base attributes: not an app user schema",
      'OktaUserSchemaUnreadable',
    );
  }
  return { attributes: [...Object.keys(base), ...Object.keys(definitions?.custom?.properties ?? {})] };
}
