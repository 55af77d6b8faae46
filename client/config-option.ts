import { Option } from 'commander';

/** `-c, --config <file>`, the service config every long-running command and client command reads. */
export function configOption(): Option {
  return new Option('-c, --config <file>', 'service config (YAML)').env('HR_OKTA_SYNC_CONFIG').makeOptionMandatory();
}
