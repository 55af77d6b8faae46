// The identity source's user schema as Okta serves it: the app user schema of the Custom Identity Source app, whose
// app id is the identity source id (GET /api/v1/meta/schemas/apps/{appId}/default).
import type { IdentitySource } from './directory.ts';
import { USER_BASE_ATTRIBUTES } from './profile.ts';

const TITLES: Record<string, string> = {
  userName: 'Username',
  email: 'Email',
  firstName: 'First name',
  lastName: 'Last name',
  secondEmail: 'Secondary email',
  mobilePhone: 'Mobile phone',
  homeAddress: 'Home address',
};

interface SchemaProperty {
  title: string;
  type: 'string';
  scope: 'NONE';
  mutability: 'READ_WRITE';
  minLength?: number;
  maxLength?: number;
  format?: 'email';
  required?: boolean;
}

export function userSchemaBody(source: IdentitySource, orgUrl: string) {
  const base: Record<string, SchemaProperty> = {};
  for (const [name, rule] of Object.entries(USER_BASE_ATTRIBUTES)) {
    base[name] = {
      title: TITLES[name] ?? name,
      type: 'string',
      scope: 'NONE',
      mutability: 'READ_WRITE',
      ...(rule.min === undefined ? {} : { minLength: rule.min }),
      maxLength: rule.max,
      ...(rule.email ? { format: 'email' as const } : {}),
      ...(name === 'userName' || name === 'email' ? { required: true } : {}),
    };
  }
  const custom: Record<string, SchemaProperty> = {};
  for (const name of source.customAttributes) {
    custom[name] = { title: name, type: 'string', scope: 'NONE', mutability: 'READ_WRITE', maxLength: 4096 };
  }
  return {
    id: `${orgUrl}/meta/schemas/apps/${source.id}/default`,
    $schema: 'http://json-schema.org/draft-04/schema#',
    name: 'custom_identity_source',
    title: 'Custom Identity Source User',
    type: 'object',
    definitions: {
      base: { id: '#base', type: 'object', properties: base, required: ['userName', 'email'] },
      custom: { id: '#custom', type: 'object', properties: custom, required: [] },
    },
    properties: { profile: { allOf: [{ $ref: '#/definitions/custom' }, { $ref: '#/definitions/base' }] } },
  };
}
