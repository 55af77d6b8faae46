import type { Client } from '@temporalio/client';
import protos from '@temporalio/proto';
import { searchAttributeTypes } from '../contracts/search-attributes.ts';

const { IndexedValueType } = protos.temporal.api.enums.v1;

/** The workflows' custom search attributes that the namespace does not have yet. */
export async function missingSearchAttributes(client: Client, namespace: string): Promise<string[]> {
  const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
  return Object.keys(searchAttributeTypes()).filter((name) => !(name in (customAttributes ?? {})));
}

export async function registerSearchAttributes(client: Client, namespace: string, names: string[]): Promise<void> {
  const types = searchAttributeTypes();
  await client.connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      names.map((name) => [
        name,
        IndexedValueType[`INDEXED_VALUE_TYPE_${types[name]}` as keyof typeof IndexedValueType],
      ]),
    ),
  });
}
