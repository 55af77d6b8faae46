// A local emulator of Okta's Identity Sources API: the sandbox every test, benchmark and `npm start` runs against.
export { OktaEmulator, startOktaEmulator } from './emulator.ts';
export { ENDPOINTS, MANAGE_SCOPE, READ_SCOPE } from './options.ts';
export type {
  ApiTokenConfig,
  Durations,
  EndpointName,
  FaultSettings,
  IdentitySourceConfig,
  ImportOutcomeFault,
  ImportRefusal,
  OAuthClientConfig,
  OktaEmulatorOptions,
  RateLimitSettings,
  ScriptedFault,
  SingleRecordBehaviour,
} from './options.ts';
export type { SessionStatus } from './org.ts';
