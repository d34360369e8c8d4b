import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deriveKey, hashToken } from './hash.js';

/**
 * AES-256-GCM encryption of secrets at rest (TOTP seeds). The stored form is
 * `v1.<keyId>.<iv>.<ciphertext+tag>` so that keys can rotate: a box opens anything sealed with
 * any key it was given, and seals with the first.
 */
export interface SecretBox {
  seal(plain: Buffer, associated?: string): string;
  open(sealed: string, associated?: string): Buffer;
}

interface Key {
  id: string;
  key: Buffer;
}

export function createSecretBox(masterKeys: Buffer[]): SecretBox {
  const keys: Key[] = masterKeys.map((m) => ({ id: hashToken(m.toString('base64')).slice(0, 8), key: deriveKey(m, 'secret-box') }));
  if (keys.length === 0) throw new Error('createSecretBox needs at least one key');
  return {
    seal(plain, associated = '') {
      const { id, key } = keys[0];
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(associated, 'utf8'));
      const body = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return `v1.${id}.${iv.toString('base64url')}.${body.toString('base64url')}`;
    },
    open(sealed, associated = '') {
      const [version, id, ivText, bodyText] = sealed.split('.');
      if (version !== 'v1' || !ivText || !bodyText) throw new Error('sealed secret has an unknown format');
      const entry = keys.find((k) => k.id === id);
      if (!entry) throw new Error(`sealed secret uses key ${id}, which is not configured`);
      const body = Buffer.from(bodyText, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', entry.key, Buffer.from(ivText, 'base64url'));
      decipher.setAAD(Buffer.from(associated, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - 16));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
    },
  };
}
