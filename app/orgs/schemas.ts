// Form schemas for organization pages (shared by client and server).
import { z } from 'zod';
import { EmailSchema, NameSchema, NewPasswordSchema, OrganizationNameSchema } from '~/auth/schemas';
import { RoleSchema } from './roles';

export const CreateOrganizationSchema = z.object({ name: OrganizationNameSchema });
export const RenameOrganizationSchema = z.object({ name: OrganizationNameSchema });

export const InviteSchema = z.object({
  intent: z.literal('invite'),
  role: RoleSchema,
  email: z
    .string()
    .trim()
    .max(254, 'That email address is too long.')
    .pipe(z.email({ error: 'Enter a valid email address, or leave it empty.' }))
    .transform((e) => e.toLowerCase())
    .optional(),
});

export const ChangeRoleSchema = z.object({
  intent: z.literal('change-role'),
  membershipId: z.uuid(),
  role: RoleSchema,
});

export const RemoveMemberSchema = z.object({ intent: z.literal('remove'), membershipId: z.uuid() });
export const RevokeInvitationSchema = z.object({ intent: z.literal('revoke'), invitationId: z.uuid() });

export const MembersActionSchema = z.discriminatedUnion('intent', [
  InviteSchema,
  ChangeRoleSchema,
  RemoveMemberSchema,
  RevokeInvitationSchema,
]);

/** Settings → Network: whether agents' proxy requests and webhooks may reach private and loopback addresses. */
export const NetworkSettingsSchema = z.object({
  allowPrivateHosts: z.enum(['on', 'off'], { message: 'Choose whether private hosts are allowed' }).transform((v) => v === 'on'),
});

/** Signing up from an invitation link: no organization name, the invited organization is joined. */
export const InvitedSignupSchema = z.object({
  name: NameSchema,
  email: EmailSchema,
  password: NewPasswordSchema,
  invitation: z.string({ error: 'This invitation link is not valid.' }).min(1, 'This invitation link is not valid.').max(200),
  redirectTo: z.string().optional(),
});
export type InvitedSignupInput = z.infer<typeof InvitedSignupSchema>;
