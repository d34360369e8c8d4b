import { z } from 'zod';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../crypto/password.js';

/** Shared request shapes; the same schemas validate requests and describe them in OpenAPI. */
export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address');

/** 8 to 128 characters, counted as characters (code points), not bytes. */
export const passwordSchema = z
  .string()
  .refine((s) => [...s].length >= PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .refine((s) => [...s].length <= PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);

export const nameSchema = z.string().trim().min(1).max(200);
export const tokenSchema = z.string().min(1).max(256);
export const reasonSchema = z.string().trim().min(1).max(1000);

export const listQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(100).optional(),
};

export const idParam = (prefix: string) =>
  z.object({ id: z.string().max(100) }).transform((p) => ({ ...p, valid: p.id.startsWith(`${prefix}_`) }));
