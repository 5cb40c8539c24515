// Form schemas for signing up, logging in and re-entering a password (shared by client and server).
import { z } from 'zod';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

const CHARACTER_CLASSES = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/];

export const PASSWORD_HINT = `At least ${PASSWORD_MIN_LENGTH} characters, mixing at least two of: lowercase letters, uppercase letters, digits, symbols.`;

export const EmailSchema = z
  .string({ error: 'Enter your email address.' })
  .trim()
  .min(1, 'Enter your email address.')
  .max(254, 'That email address is too long.')
  .pipe(z.email({ error: 'Enter a valid email address, like you@example.com.' }))
  .transform((email) => email.toLowerCase());

/** A new password: long enough, not made of a single kind of character. */
export const NewPasswordSchema = z
  .string({ error: 'Choose a password.' })
  .min(PASSWORD_MIN_LENGTH, `Use at least ${PASSWORD_MIN_LENGTH} characters.`)
  .max(PASSWORD_MAX_LENGTH, `Use at most ${PASSWORD_MAX_LENGTH} characters.`)
  .refine(
    (password) => CHARACTER_CLASSES.filter((re) => re.test(password)).length >= 2,
    'Mix at least two kinds of characters: lowercase letters, uppercase letters, digits or symbols.',
  )
  .refine((password) => new Set(password).size >= 5, 'Use at least 5 different characters.');

export const NameSchema = z
  .string({ error: 'Enter your name.' })
  .trim()
  .min(1, 'Enter your name.')
  .max(100, 'Use at most 100 characters.');

export const OrganizationNameSchema = z
  .string({ error: 'Enter an organization name.' })
  .trim()
  .min(2, 'Use at least 2 characters.')
  .max(80, 'Use at most 80 characters.');

export const SignupSchema = z.object({
  name: NameSchema,
  email: EmailSchema,
  password: NewPasswordSchema,
  organizationName: OrganizationNameSchema,
  redirectTo: z.string().optional(),
});
export type SignupInput = z.infer<typeof SignupSchema>;

export const LoginSchema = z.object({
  email: EmailSchema,
  password: z.string({ error: 'Enter your password.' }).min(1, 'Enter your password.').max(PASSWORD_MAX_LENGTH),
  redirectTo: z.string().optional(),
});
export type LoginInput = z.infer<typeof LoginSchema>;

export const ReauthSchema = z.object({
  password: z.string({ error: 'Enter your password.' }).min(1, 'Enter your password.').max(PASSWORD_MAX_LENGTH),
});
