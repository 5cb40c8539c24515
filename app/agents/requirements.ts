// An agent's requirements: the credentials it needs, by name (`github_token`, `git_ssh:botty`), with the service and type it expects (shared by the server, the API and the agent page).
import { z } from 'zod';
import { CREDENTIAL_TYPES } from '~/credentials/catalog';
import { credentialDescriptionSchema, credentialNameSchema } from '~/credentials/schemas';

export const MAX_REQUIREMENTS = 100;

export const requirementSchema = z.object({
  name: credentialNameSchema,
  service: z.string().trim().max(100).regex(/^[a-z0-9_-]*$/, 'Use a catalog service id such as github or openai').optional(),
  type: z.enum(CREDENTIAL_TYPES, { error: `Use one of ${CREDENTIAL_TYPES.join(', ')}` }).optional(),
  optional: z.boolean().default(false),
  description: credentialDescriptionSchema.default(''),
});
export type Requirement = z.output<typeof requirementSchema>;
export type RequirementInput = z.input<typeof requirementSchema>;

export const requirementsSchema = z
  .array(requirementSchema)
  .max(MAX_REQUIREMENTS, `At most ${MAX_REQUIREMENTS} requirements`)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((entry, index) => {
      if (seen.has(entry.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `${entry.name} is listed twice` });
      seen.add(entry.name);
    });
  });

/** The stored column, read leniently: an entry that no longer parses is dropped rather than failing a page. */
export function readRequirements(value: unknown): Requirement[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) => {
    const parsed = requirementSchema.safeParse(entry);
    return parsed.success ? [parsed.data] : [];
  });
}

export const DOCTOR_STATES = ['ok', 'missing', 'not_allowed', 'expiring', 'expired', 'needs_attention', 'disconnected'] as const;
export type DoctorState = (typeof DOCTOR_STATES)[number];

export interface DoctorEntry {
  name: string;
  required: boolean;
  service: string | null;
  type: string | null;
  description: string;
  state: DoctorState;
  /** What is wrong and what to do, for a person; null when ok. */
  reason: string | null;
  /** Where in the portal a person fixes it (absolute URL); null when ok. */
  fixUrl: string | null;
  /** When the credential expires, when it does. */
  expiresAt: string | null;
}

export interface DoctorReport {
  ok: boolean;
  checkedAt: string;
  requirements: DoctorEntry[];
}

/** A required entry blocks the agent unless it is ok or only expiring; optional entries never do. */
export function isHealthy(entries: readonly Pick<DoctorEntry, 'required' | 'state'>[]): boolean {
  return entries.every((e) => !e.required || e.state === 'ok' || e.state === 'expiring');
}
