import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { formattedConfigReference, renderConfigReference } from '../../config/reference-doc.ts';

describe('docs/configuration.md', () => {
  it('is what the config schema generates (run `node scripts/generate-config-docs.ts` after changing it)', async () => {
    const path = fileURLToPath(new URL('../../docs/configuration.md', import.meta.url));
    expect(readFileSync(path, 'utf8')).toBe(await formattedConfigReference(path));
  });

  it('documents every setting with its variable, and secrets as references', () => {
    const doc = renderConfigReference();
    expect(doc).toContain(
      '| `okta.orgUrl` | URL | **required** | e.g. https://example.okta.com<br>Env: `HR_OKTA_SYNC__OKTA__ORG_URL` |',
    );
    expect(doc).toMatch(/\| `okta\.auth\.token` \| secret reference: `\{ env: NAME \}` or `\{ file: PATH \}` \|/);
    expect(doc).toMatch(/\| `temporal\.encryption\.keys\[\]\.key` \| secret reference/);
    expect(doc).toContain('`HR_OKTA_SYNC__WORKER__OKTA_ACTIVITIES_PER_SECOND`');
  });
});
