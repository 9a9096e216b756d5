/**
 * A keypair for internal tokens, made fresh in each test process (never
 * stored): services started in-process verify with its public key, and
 * testClient signs with its private key, as the gateway does with the stack's.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createInternalTokenSigner, type InternalTokenSigner } from '../grpc/internal-token.js';

export interface TestKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** As configured: base64 of the DER. */
  privateKeyText: string;
  publicKeyText: string;
}

let keys: TestKeys | undefined;
let signer: InternalTokenSigner | undefined;

/** This process's test keypair (another call makes another pair, e.g. for a forged token). */
export function newTestKeys(): TestKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey,
    publicKey,
    privateKeyText: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    publicKeyText: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

export function testKeys(): TestKeys {
  keys ??= newTestKeys();
  return keys;
}

/** Signs as the gateway, with the test keypair. */
export function testTokenSigner(): InternalTokenSigner {
  signer ??= createInternalTokenSigner({ privateKey: testKeys().privateKey, ttlSeconds: 60 });
  return signer;
}
