// Credential services (API key, username/password, file): create, edit, replace, delete, reveal — role-checked, tenant-scoped, audited.
import { invalidateCredentialCounts } from '~/credentials/query.server';
import { REAUTH_WINDOW_MS } from '~/auth/session.server';
import { recordAudit } from '~/audit/audit.server';
import { credentialFieldsFor, getService, type FieldSpec } from '~/credentials/catalog';
import {
  CredentialConflictError,
  CredentialError,
  CredentialForbiddenError,
  CredentialNotFoundError,
  CredentialReauthRequiredError,
  CredentialValidationError,
  type FieldErrors,
} from '~/credentials/errors';
import {
  contentTypeForFileKind,
  FILE_FIELD,
  inspectCredentialFile,
  type FileKind,
  type InspectedCredentialFile,
} from '~/credentials/files.server';
import {
  credentialBaseSchema,
  credentialMetadataUpdateSchema,
  credentialValuesSchema,
  deleteCredentialSchema,
  EXPIRY_IN_PAST_MESSAGE,
  fieldErrorsFromZod,
  isFutureDate,
  type ManualCredentialType,
} from '~/credentials/schemas';
import { getEnv } from '~/config/env.server';
import { prisma } from '~/db.server';
import { Prisma } from '~/generated/prisma/client';
import { hasRole, ROLES, type Role } from '~/orgs/roles';
import { readCredentialSecret, writeCredentialSecrets } from '~/vault/vault.server';

type Tx = Prisma.TransactionClient;

/** Who is acting, resolved by the route from the signed-in membership — never from the request body. */
export interface CredentialActor {
  organizationId: string;
  userId: string;
  /** Shown in the audit log, e.g. "Ada Lovelace <ada@example.com>". */
  userLabel: string;
  role: Role;
  ip: string | null;
  userAgent: string | null;
}

/** A file as handed over by parseCredentialUpload, or raw name and bytes (checked again here). */
export type CredentialFileInput = InspectedCredentialFile | { fileName: string; bytes: Buffer };

export interface CreateCredentialInput {
  name: unknown;
  service: unknown;
  type: unknown;
  description?: unknown;
  expiresAt?: unknown;
  /** The catalog's text fields for this service and type (key, username, password, host, …). */
  fields?: Record<string, unknown>;
  /** Required for type "file". */
  file?: CredentialFileInput | null;
}

export interface ReplaceCredentialSecretInput {
  fields?: Record<string, unknown>;
  file?: CredentialFileInput | null;
  /** When given, the replacement only applies if nobody changed the secret since this version. */
  expectedVersion?: number;
}

/** Everything about a credential that anyone in the organization may see; never a secret value. */
const credentialViewSelect = {
  id: true,
  organizationId: true,
  name: true,
  service: true,
  type: true,
  description: true,
  status: true,
  statusReason: true,
  statusChangedAt: true,
  expiresAt: true,
  lastUsedAt: true,
  lastRefreshedAt: true,
  version: true,
  createdById: true,
  createdAt: true,
  updatedAt: true,
  username: true,
  fileName: true,
  fileSize: true,
  fileKind: true,
  fileMetadata: true,
  oauthProvider: true,
  oauthAccount: true,
  oauthScopes: true,
} as const satisfies Prisma.CredentialSelect;

export type CredentialView = Prisma.CredentialGetPayload<{ select: typeof credentialViewSelect }>;

export type RevealedCredential =
  | { fields: Record<string, string> }
  | { file: { name: string; bytes: Buffer; contentType: string } };

/** Services whose files must be of one kind (the catalog's entry says "service-account JSON"). */
const REQUIRED_FILE_KIND: Record<string, { kind: FileKind; message: string }> = {
  gcp: {
    kind: 'gcp_service_account',
    message: 'This is not a Google Cloud service-account key; download the JSON key of the service account',
  },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function assertActor(actor: CredentialActor): void {
  // A malformed actor is a programming error in a route, never something a user can cause.
  if (!UUID.test(actor.organizationId) || !UUID.test(actor.userId) || !ROLES.includes(actor.role)) {
    throw new Error('Invalid CredentialActor');
  }
}

function requireManager(actor: CredentialActor, message?: string): void {
  assertActor(actor);
  if (!hasRole(actor.role, 'admin')) throw new CredentialForbiddenError(message);
}

/** The credential, if it exists in the actor's organization; the same NotFound for both other cases. */
async function findOwnCredential<S extends Prisma.CredentialSelect>(
  db: Tx | typeof prisma,
  actor: CredentialActor,
  id: string,
  select: S,
): Promise<Prisma.CredentialGetPayload<{ select: S }>> {
  if (typeof id !== 'string' || !UUID.test(id)) throw new CredentialNotFoundError();
  const row = await db.credential.findFirst({ where: { id, organizationId: actor.organizationId }, select });
  if (!row) throw new CredentialNotFoundError();
  return row as Prisma.CredentialGetPayload<{ select: S }>;
}

function nameTakenMessage(name: string): string {
  return `A credential named ${name} already exists`;
}

/** The (organizationId, name) unique index, as the pg driver adapter reports it. */
const NAME_UNIQUE_INDEX = 'Credential_organizationId_name_key';

function isNameUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== 'P2002') return false;
  const meta = JSON.stringify(error.meta ?? {});
  // Other unique violations (e.g. an audit seq) must surface as what they are, not as a name clash.
  return meta.includes(NAME_UNIQUE_INDEX) || (meta.includes('"name"') && meta.includes('organizationId'));
}

/** Runs a write that may change the name; a unique-constraint race becomes the same field error as the pre-check. */
async function withNameConflict<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isNameUniqueViolation(error)) {
      throw new CredentialConflictError(nameTakenMessage(name), { name: [nameTakenMessage(name)] });
    }
    throw error;
  }
}

async function assertNameFree(actor: CredentialActor, name: string, exceptId?: string): Promise<void> {
  const existing = await prisma.credential.findFirst({
    where: { organizationId: actor.organizationId, name, ...(exceptId ? { id: { not: exceptId } } : {}) },
    select: { id: true },
  });
  if (existing) throw new CredentialConflictError(nameTakenMessage(name), { name: [nameTakenMessage(name)] });
}

function mergeErrors(...sets: FieldErrors[]): FieldErrors {
  const merged: FieldErrors = {};
  for (const set of sets) {
    for (const [key, messages] of Object.entries(set)) (merged[key] ??= []).push(...messages);
  }
  return merged;
}

function isManualType(type: string): type is ManualCredentialType {
  return type === 'api_key' || type === 'password' || type === 'file';
}

/** The catalog's field specs, or a field error when the service does not offer this type. */
function fieldSpecsFor(service: string, type: ManualCredentialType): Checked<readonly FieldSpec[]> {
  const definition = getService(service);
  if (!definition) return { ok: false, errors: { service: ['Choose a service from the list'] } };
  if (!definition.credentialTypes.includes(type)) {
    return { ok: false, errors: { type: [`${definition.displayName} does not support this credential type`] } };
  }
  return { ok: true, value: credentialFieldsFor(service, type) };
}

interface ValidatedFields {
  /** Every given text field; all are sealed, so agents read every value from the vault. */
  values: Record<string, string>;
  /** Shown in Credential.username. */
  username: string | null;
}

type Checked<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

function validateFields(
  service: string,
  type: 'api_key' | 'password',
  specs: readonly FieldSpec[],
  raw: Record<string, unknown> | undefined,
): Checked<ValidatedFields> {
  // Field errors are keyed "fields.<name>", the names conform gives nested inputs.
  const parsed = credentialValuesSchema(service, type).safeParse({ fields: raw ?? {} });
  if (!parsed.success) return { ok: false, errors: fieldErrorsFromZod(parsed.error) };
  const values: Record<string, string> = {};
  for (const spec of specs) {
    const value = (parsed.data.fields as Record<string, string | undefined>)[spec.name];
    if (typeof value === 'string' && value !== '') values[spec.name] = value;
  }
  return { ok: true, value: { values, username: values.username ?? null } };
}

async function validateFile(
  service: string,
  input: CredentialFileInput | null | undefined,
): Promise<Checked<InspectedCredentialFile>> {
  if (!input) return { ok: false, errors: { [FILE_FIELD]: ['Choose a file to upload'] } };
  try {
    const file = await inspectCredentialFile({
      fileName: String(input.fileName ?? ''),
      bytes: Buffer.isBuffer(input.bytes) ? input.bytes : Buffer.from(input.bytes ?? []),
      maxBytes: getEnv().UPLOAD_MAX_BYTES,
    });
    const required = REQUIRED_FILE_KIND[service];
    if (required && file.kind !== required.kind) return { ok: false, errors: { [FILE_FIELD]: [required.message] } };
    return { ok: true, value: file };
  } catch (error) {
    // 'too_large' keeps its own code (413); validation problems join the other field errors.
    if (error instanceof CredentialError && error.code === 'validation') return { ok: false, errors: error.fieldErrors };
    throw error;
  }
}

function fileColumns(file: InspectedCredentialFile) {
  return {
    fileName: file.fileName,
    fileSize: file.size,
    fileKind: file.kind,
    fileMetadata: file.metadata === null ? Prisma.DbNull : (file.metadata as Prisma.InputJsonValue),
  };
}

/** The audit actions these services write (one row per change, in the change's transaction). */
export const CREDENTIAL_AUDIT_ACTIONS = {
  create: 'credential.create',
  update: 'credential.update',
  replaceSecret: 'credential.replace_secret',
  delete: 'credential.delete',
  reveal: 'credential.reveal',
} as const;

function auditContext(actor: CredentialActor) {
  return {
    organizationId: actor.organizationId,
    context: {
      actor: { type: 'user' as const, id: actor.userId, label: actor.userLabel },
      ip: actor.ip,
      userAgent: actor.userAgent,
    },
    targetType: 'credential',
  };
}

function isoOrNull(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

/** Creates an API-key, username/password or file credential; the row, its sealed secrets and the audit row commit together. */
export async function createCredential(actor: CredentialActor, input: CreateCredentialInput): Promise<CredentialView> {
  requireManager(actor, 'Only owners and admins can add credentials');
  const base = credentialBaseSchema.safeParse({
    name: input.name,
    service: input.service,
    type: input.type,
    description: input.description ?? undefined,
    expiresAt: input.expiresAt ?? undefined,
  });
  const baseErrors = base.success ? {} : fieldErrorsFromZod(base.error);
  const service = typeof input.service === 'string' ? input.service.trim() : '';
  const type = typeof input.type === 'string' && isManualType(input.type) ? input.type : null;

  let secretErrors: FieldErrors = {};
  let fields: ValidatedFields | null = null;
  let file: InspectedCredentialFile | null = null;
  if (service && type) {
    const specs = fieldSpecsFor(service, type);
    if (!specs.ok) {
      secretErrors = specs.errors;
    } else if (type === 'file') {
      const result = await validateFile(service, input.file);
      if (result.ok) file = result.value;
      else secretErrors = result.errors;
    } else {
      const result = validateFields(service, type, specs.value, input.fields);
      if (result.ok) fields = result.value;
      else secretErrors = result.errors;
    }
  }
  const errors = mergeErrors(baseErrors, secretErrors);
  if (!base.success || Object.keys(errors).length > 0) throw new CredentialValidationError(errors);
  const data = base.data;
  await assertNameFree(actor, data.name);

  const secrets: Record<string, Buffer | string> = file ? { [FILE_FIELD]: file.bytes } : { ...fields!.values };
  const created = await withNameConflict(data.name, () =>
    prisma.$transaction(async (tx) => {
      const credential = await tx.credential.create({
        data: {
          organizationId: actor.organizationId,
          name: data.name,
          service: data.service,
          type: data.type,
          description: data.description,
          expiresAt: data.expiresAt,
          createdById: actor.userId,
          username: fields?.username ?? null,
          ...(file ? fileColumns(file) : {}),
        },
        select: credentialViewSelect,
      });
      await writeCredentialSecrets(tx, { organizationId: actor.organizationId, credentialId: credential.id, secrets });
      await recordAudit(tx, {
        ...auditContext(actor),
        action: CREDENTIAL_AUDIT_ACTIONS.create,
        targetId: credential.id,
        credentialId: credential.id,
        details: {
          name: credential.name,
          service: credential.service,
          type: credential.type,
          fields: Object.keys(secrets).sort(),
          expiresAt: isoOrNull(credential.expiresAt),
          ...(file ? { fileName: file.fileName, fileSize: file.size, fileKind: file.kind } : {}),
        },
      });
      return credential;
    }),
  );
  invalidateCredentialCounts(actor.organizationId);
  return created;
}

/** Renames, re-describes or changes the expiry of a credential; its secret is untouched. */
export async function updateCredentialMetadata(
  actor: CredentialActor,
  id: string,
  input: { name?: unknown; description?: unknown; expiresAt?: unknown },
): Promise<CredentialView> {
  requireManager(actor, 'Only owners and admins can edit credentials');
  const current = await findOwnCredential(prisma, actor, id, credentialViewSelect);
  const parsed = credentialMetadataUpdateSchema.safeParse(input);
  if (!parsed.success) throw new CredentialValidationError(fieldErrorsFromZod(parsed.error));
  const patch = parsed.data;

  const changes: Prisma.CredentialUpdateInput = {};
  const details: Record<string, unknown> = {};
  if (patch.name !== undefined && patch.name !== current.name) {
    changes.name = patch.name;
    details.name = { from: current.name, to: patch.name };
  }
  if (patch.description !== undefined && patch.description !== current.description) {
    changes.description = patch.description;
    details.description = 'changed';
  }
  if (patch.expiresAt !== undefined && isoOrNull(patch.expiresAt) !== isoOrNull(current.expiresAt)) {
    // Only a changed expiry must lie ahead: editing an expired credential's description keeps working.
    if (patch.expiresAt && !isFutureDate(patch.expiresAt)) {
      throw new CredentialValidationError({ expiresAt: [EXPIRY_IN_PAST_MESSAGE] });
    }
    changes.expiresAt = patch.expiresAt;
    details.expiresAt = { from: isoOrNull(current.expiresAt), to: isoOrNull(patch.expiresAt) };
  }
  if (Object.keys(changes).length === 0) return current;
  if (typeof changes.name === 'string') await assertNameFree(actor, changes.name, current.id);

  return withNameConflict(String(changes.name ?? current.name), () =>
    prisma.$transaction(async (tx) => {
      const updated = await tx.credential.updateManyAndReturn({
        where: { id: current.id, organizationId: actor.organizationId },
        data: changes as Prisma.CredentialUpdateManyMutationInput,
        select: credentialViewSelect,
      });
      const row = updated[0];
      if (!row) throw new CredentialNotFoundError();
      await recordAudit(tx, {
        ...auditContext(actor),
        action: CREDENTIAL_AUDIT_ACTIONS.update,
        targetId: row.id,
        credentialId: row.id,
        details: { name: row.name, changes: details },
      });
      return row;
    }),
  );
}

/** Puts a new value (or a new file) into an existing credential: same id and name, version + 1. */
export async function replaceCredentialSecret(
  actor: CredentialActor,
  id: string,
  input: ReplaceCredentialSecretInput,
): Promise<CredentialView> {
  requireManager(actor, 'Only owners and admins can replace credential values');
  const current = await findOwnCredential(prisma, actor, id, credentialViewSelect);
  if (!isManualType(current.type)) {
    throw new CredentialValidationError({}, 'Reconnect OAuth credentials instead of replacing their tokens');
  }
  const specs = fieldSpecsFor(current.service, current.type);
  if (!specs.ok) throw new CredentialValidationError(specs.errors);

  let fields: ValidatedFields | null = null;
  let file: InspectedCredentialFile | null = null;
  if (current.type === 'file') {
    const result = await validateFile(current.service, input.file);
    if (!result.ok) throw new CredentialValidationError(result.errors);
    file = result.value;
  } else {
    const result = validateFields(current.service, current.type, specs.value, input.fields);
    if (!result.ok) throw new CredentialValidationError(result.errors);
    fields = result.value;
  }
  const secrets: Record<string, Buffer | string> = file ? { [FILE_FIELD]: file.bytes } : { ...fields!.values };

  return prisma.$transaction(async (tx) => {
    const updated = await tx.credential.updateManyAndReturn({
      where: {
        id: current.id,
        organizationId: actor.organizationId,
        ...(input.expectedVersion !== undefined ? { version: input.expectedVersion } : {}),
      },
      data: {
        version: { increment: 1 },
        ...(fields ? { username: fields.username } : {}),
        ...(file ? fileColumns(file) : {}),
      },
      select: credentialViewSelect,
    });
    const row = updated[0];
    if (!row) {
      if (input.expectedVersion !== undefined && (await tx.credential.count({ where: { id: current.id, organizationId: actor.organizationId } }))) {
        throw new CredentialConflictError('Someone else changed this credential meanwhile; reload and try again');
      }
      throw new CredentialNotFoundError();
    }
    // Fields no longer given (an optional one left empty) must not keep their old value.
    await tx.credentialSecret.deleteMany({ where: { credentialId: row.id, field: { notIn: Object.keys(secrets) } } });
    await writeCredentialSecrets(tx, { organizationId: actor.organizationId, credentialId: row.id, secrets });
    await recordAudit(tx, {
      ...auditContext(actor),
      action: CREDENTIAL_AUDIT_ACTIONS.replaceSecret,
      targetId: row.id,
      credentialId: row.id,
      details: {
        name: row.name,
        version: row.version,
        fields: Object.keys(secrets).sort(),
        ...(file ? { fileName: file.fileName, fileSize: file.size, fileKind: file.kind } : {}),
      },
    });
    return row;
  });
}

/** Deletes a credential and its sealed values; the caller must type the credential's exact name. */
export async function deleteCredential(
  actor: CredentialActor,
  id: string,
  input: { confirmName: unknown },
): Promise<{ id: string; name: string }> {
  requireManager(actor, 'Only owners and admins can delete credentials');
  const current = await findOwnCredential(prisma, actor, id, { id: true, name: true, service: true, type: true });
  const parsed = deleteCredentialSchema.safeParse(input);
  if (!parsed.success || parsed.data.confirmName !== current.name) {
    throw new CredentialValidationError(
      { confirmName: [`Type ${current.name} to confirm`] },
      'The name you typed does not match the credential',
    );
  }
  const deleted = await prisma.$transaction(async (tx) => {
    const { count } = await tx.credential.deleteMany({ where: { id: current.id, organizationId: actor.organizationId } });
    if (count !== 1) throw new CredentialNotFoundError();
    await recordAudit(tx, {
      ...auditContext(actor),
      action: CREDENTIAL_AUDIT_ACTIONS.delete,
      targetId: current.id,
      credentialId: current.id,
      details: { name: current.name, service: current.service, type: current.type },
    });
    return { id: current.id, name: current.name };
  });
  invalidateCredentialCounts(actor.organizationId);
  return deleted;
}

/** True when the password was re-entered within the last five minutes (and not in the future). */
export function isRecentReauth(reauthenticatedAt: Date | null | undefined, now: Date = new Date()): boolean {
  if (!(reauthenticatedAt instanceof Date) || Number.isNaN(reauthenticatedAt.getTime())) return false;
  const age = now.getTime() - reauthenticatedAt.getTime();
  return age >= -60_000 && age <= REAUTH_WINDOW_MS;
}

/**
 * Shows a credential's secret value(s) or file to an owner or admin who re-entered their password in
 * the last five minutes. The audit row commits before the value is handed back, so an unaudited
 * reveal cannot happen. Routes must answer with Cache-Control: no-store.
 */
export async function revealCredentialSecret(
  actor: CredentialActor,
  id: string,
  input: { reauthenticatedAt: Date | null },
): Promise<RevealedCredential> {
  requireManager(actor, 'Only owners and admins can reveal credential values');
  const current = await findOwnCredential(prisma, actor, id, {
    id: true,
    name: true,
    type: true,
    fileName: true,
    fileKind: true,
    fileMetadata: true,
    version: true,
  });
  if (!isRecentReauth(input.reauthenticatedAt)) throw new CredentialReauthRequiredError();

  let revealed: RevealedCredential;
  if (current.type === 'file') {
    const bytes = await readCredentialSecret(actor.organizationId, current.id, FILE_FIELD);
    revealed = {
      file: {
        name: current.fileName ?? 'credential',
        bytes,
        contentType: contentTypeForFileKind(current.fileKind, current.fileMetadata),
      },
    };
  } else {
    const stored = await prisma.credentialSecret.findMany({
      where: { credentialId: current.id },
      select: { field: true },
      orderBy: { field: 'asc' },
    });
    const fields: Record<string, string> = {};
    for (const { field } of stored) {
      const bytes = await readCredentialSecret(actor.organizationId, current.id, field);
      fields[field] = bytes.toString('utf8');
      bytes.fill(0);
    }
    revealed = { fields };
  }

  await prisma.$transaction(async (tx) => {
    await recordAudit(tx, {
      ...auditContext(actor),
      action: CREDENTIAL_AUDIT_ACTIONS.reveal,
      targetId: current.id,
      credentialId: current.id,
      details: {
        name: current.name,
        version: current.version,
        ...('file' in revealed ? { fileName: revealed.file.name } : { fields: Object.keys(revealed.fields) }),
      },
    });
  });
  return revealed;
}

/** A credential's metadata for anyone in its organization; never a secret value. */
export async function getCredential(actor: CredentialActor, id: string): Promise<CredentialView> {
  assertActor(actor);
  return findOwnCredential(prisma, actor, id, credentialViewSelect);
}
