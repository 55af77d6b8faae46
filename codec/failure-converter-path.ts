import { fileURLToPath } from 'node:url';

/**
 * The failure converter of every worker, client and bundle, as the path Temporal loads it from (it runs inside the
 * workflow sandbox too, so it is named by path, not imported). A bundle built without it would write workflow
 * failures in clear while the worker encrypts activity failures.
 */
export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('./failure-converter.ts', import.meta.url));
