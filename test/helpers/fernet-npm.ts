/**
 * The `fernet` npm package (CommonJS, untyped), loaded once for the interop tests and the
 * benchmark: only the parts they use.
 */
import { createRequire } from 'node:module';

export interface FernetNpm {
  Secret: new (key: string) => object;
  Token: new (opts: {
    secret: object;
    ttl?: number;
    token?: string;
  }) => {
    encode(message: string): string;
    decode(token?: string): string;
  };
}

export const fernetNpm = createRequire(import.meta.url)('fernet') as FernetNpm;
