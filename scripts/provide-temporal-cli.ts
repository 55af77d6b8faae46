// Makes sure the Temporal CLI is available (building it once with Go when needed) and prints where it is.
import { provideTemporalCli } from '../local-stack/temporal-dev-server.ts';

const cli = await provideTemporalCli();
console.log(cli.kind === 'path' ? `temporal CLI: ${cli.path} (${cli.foundBy})` : 'temporal CLI: downloaded on demand');
