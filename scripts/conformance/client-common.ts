/**
 * What the conformance clients of both SDK lines (`client.ts`: 1.x, `client-v2.ts`: 2.x) share: the
 * scenario's arguments, the client metadata, the redirect capture, and the scenario itself (connect,
 * list and call tools, authorizing headlessly whenever the server asks: follow the authorization
 * redirect, hand the callback back with the SDK's `finishAuth`, retry at most 3 times).
 */

/** The server URL: the last argument. */
export const serverUrl = process.argv.at(-1) as string;
export const REDIRECT = 'http://localhost:3000/callback';
export const CIMD = 'https://conformance-test.local/client-metadata.json';
/** The scenario's context (a pre-registered `client_id` and `client_secret`, when it gives one). */
export const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as Record<string, string>;
/** The provider used: `sdk` (the baseline) or oauth-kv's. */
export const baselineProvider = process.env.OAUTH_KV_CONFORMANCE_PROVIDER === 'sdk';

/** The client metadata, with this client's name. */
export function clientMetadata(clientName: string) {
  return {
    client_name: clientName,
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  };
}

let authorizationUrl: URL | undefined;
/** The provider's `onRedirect`: keeps the authorization URL for the headless authorization. */
export const onRedirect = (url: URL): void => {
  authorizationUrl = url;
};

/** What the scenario uses of an SDK client. */
interface ScenarioClient<Transport> {
  connect(transport: Transport): Promise<void>;
  listTools(): Promise<{ tools: { name: string }[] }>;
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

/** The SDK's parts of the scenario. */
export interface ScenarioSdk<Transport> {
  makeTransport(): Transport;
  makeClient(): ScenarioClient<NoInfer<Transport>>;
  /** Hands the authorization redirect's callback parameters to the transport. */
  finishAuth(transport: Transport, callback: URLSearchParams): Promise<void>;
  isUnauthorized(err: unknown): boolean;
}

/** Runs the scenario and exits the process (0 on success, 1 on failure). */
export function runScenario<Transport>(sdk: ScenarioSdk<Transport>): void {
  scenario(sdk).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

async function scenario<Transport>(sdk: ScenarioSdk<Transport>): Promise<void> {
  let transport = sdk.makeTransport();
  let client = sdk.makeClient();
  /** Completes a pending authorization headlessly: follow the redirect, hand the callback back. */
  const authorize = async (): Promise<void> => {
    if (authorizationUrl === undefined) throw new Error('unauthorized without an authorization URL');
    const response = await fetch(authorizationUrl, { redirect: 'manual' });
    authorizationUrl = undefined;
    const location = response.headers.get('location');
    if (!location) throw new Error(`authorization answered ${response.status} without a redirect`);
    await sdk.finishAuth(transport, new URL(location).searchParams);
  };
  /** Runs `step`, authorizing and retrying (at most 3 times) when the server asks for it. */
  const withAuth = async <T>(step: () => Promise<T>, reconnect: boolean): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await step();
      } catch (err) {
        if (!sdk.isUnauthorized(err) || attempt >= 3) throw err;
        await authorize();
        if (reconnect) {
          transport = sdk.makeTransport();
          client = sdk.makeClient();
        }
      }
    }
  };
  await withAuth(() => client.connect(transport), true);
  const { tools } = await withAuth(() => client.listTools(), false);
  for (const tool of tools) {
    await withAuth(() => client.callTool({ name: tool.name, arguments: {} }), false).catch(() => undefined);
  }
  await client.close();
}
