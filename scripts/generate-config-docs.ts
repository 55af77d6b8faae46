// Writes docs/configuration.md from the config schema. test/production/config-docs.test.ts fails when it is stale.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { formattedConfigReference } from '../config/reference-doc.ts';

const target = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
await writeFile(target, await formattedConfigReference(target));
console.error(`Wrote ${target}`);
