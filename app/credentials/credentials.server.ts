// Credential services (API key, username/password, file): create, edit, replace, delete, reveal — role-checked, tenant-scoped, audited.
import { credentialAuditContext } from '~/credentials/actor.server';
import { invalidateCredentialCounts } from '~/credentials/query.server';
import { REAUTH_WINDOW_MS } from '~/auth/session.server';
import { recordAudit } from '~/audit/audit.server';
import { credentialFieldsFor, getService, type CredentialType, type FieldSpec } from '~/credentials/catalog';
import { connectionSpecFor, effectiveBaseUrl, effectiveInjection, hostOf } from '~/credentials/connection';
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
  connectionInputSchema,
  credentialBaseSchema,
  credentialMetadataUpdateSchema,
  credentialValuesSchema,
  deleteCredentialSchema,
  BASE_URL_REQUIRED_MESSAGE,
  EXPIRY_IN_PAST_MESSAGE,
  fieldErrorsFromZod,
  isFutureDate,
  normalizeBaseUrl,
  type ManualCredentialType,
} from '~/credentials/schemas';
import { credentialSettingsSchema, parseCredentialSettings, type CredentialSettings, type InjectionSetting } from '~/credentials/settings';
import { getEnv } from '~/config/env.server';
import { prisma } from '~/db.server';
import { urlRefusal } from '~/egress/egress.server';
import { Prisma } from '~/generated/prisma/client';
import { allows, can, deniedMessage, type Permission } from '~/orgs/permissions';
import { ROLES, type Role } from '~/orgs/roles';
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
  /** Set when the person acts through a management API token: the audit log names the token as the actor. */
  token?: { id: string; label: string };
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
  /** Where the proxy forwards to; absent or empty: the catalog's (required when the service has none). */
  baseUrl?: unknown;
  /** Custom API keys: where the key goes (header and scheme, or query parameter); absent: Authorization: Bearer. */
  injection?: unknown;
  /** Time to the upstream's response headers for this credential; absent: the environment's default. */
  upstreamTimeoutMs?: unknown;
}

/** Changes to a credential's details; an absent key leaves that detail alone. */
export interface UpdateCredentialMetadataInput {
  name?: unknown;
  description?: unknown;
  /** Not for OAuth credentials: their expiry is the provider's. Empty clears it. */
  expiresAt?: unknown;
  /** Empty or null: back to the catalog's base URL. */
  baseUrl?: unknown;
  injection?: unknown;
  /** null: back to the environment's default. */
  upstreamTimeoutMs?: unknown;
}

export interface ReplaceCredentialSecretInput {
  fields?: Record<string, unknown>;
  file?: CredentialFileInput | null;
  /** The version the person saw: the replacement only applies if nobody changed the secret since. Required. */
  expectedVersion: unknown;
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
  // Non-secret by contract (app/credentials/settings.ts): base URL, injection, timeout, catalog fields.
  settings: true,
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

/**
 * The role matrix (app/orgs/permissions.ts). Without a target: may the role do this to anything
 * (checked before the lookup, so a viewer never learns whether an id exists); with the credential:
 * may this person do it to this one ("own" for members).
 */
function requirePermission(actor: CredentialActor, permission: Permission, target?: { createdById: string | null }): void {
  assertActor(actor);
  const allowed = target ? can({ role: actor.role, userId: actor.userId }, permission, target) : allows(actor.role, permission);
  if (!allowed) throw new CredentialForbiddenError(deniedMessage(actor.role, permission));
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

/** A change to the stored settings: an undefined key is left alone, null removes it. */
interface SettingsPatch {
  baseUrl?: string | null;
  injection?: InjectionSetting | null;
  upstreamTimeoutMs?: number | null;
  fields?: Record<string, string> | null;
}

function applySettingsPatch(settings: CredentialSettings, patch: SettingsPatch): CredentialSettings {
  const next: Record<string, unknown> = { ...settings };
  for (const key of ['baseUrl', 'injection', 'upstreamTimeoutMs', 'fields'] as const) {
    if (patch[key] === null) delete next[key];
    else if (patch[key] !== undefined) next[key] = patch[key];
  }
  // Writers validate with the one schema of Credential.settings; a failure here is a bug, never input.
  return credentialSettingsSchema.parse(next);
}

function settingsColumn(settings: CredentialSettings): Prisma.InputJsonValue | typeof Prisma.DbNull {
  return Object.keys(settings).length > 0 ? (settings as Prisma.InputJsonValue) : Prisma.DbNull;
}

/** The settings as they are now, with the row locked, so concurrent edits of other keys are not lost. */
async function lockSettings(tx: Tx, actor: CredentialActor, id: string): Promise<CredentialSettings> {
  const rows = await tx.$queryRaw<{ settings: unknown }[]>`
    SELECT settings FROM "Credential" WHERE id = ${id}::uuid AND "organizationId" = ${actor.organizationId}::uuid FOR UPDATE`;
  if (!rows[0]) throw new CredentialNotFoundError();
  return parseCredentialSettings(rows[0].settings);
}

/**
 * The settings change for a credential's connection (base URL, where a Custom key goes, upstream timeout),
 * or field errors. A base URL equal to the catalog's is not stored, so catalog updates still reach the
 * credential. A new base URL is judged by the egress policy now (private hosts only where allowed).
 */
async function connectionPatch(
  actor: CredentialActor,
  service: string,
  type: CredentialType,
  input: { baseUrl?: unknown; injection?: unknown; upstreamTimeoutMs?: unknown },
  current: CredentialSettings | null,
): Promise<Checked<SettingsPatch>> {
  const spec = connectionSpecFor(service, type);
  if (!spec.injectable) {
    const given = (['baseUrl', 'injection', 'upstreamTimeoutMs'] as const).find((key) => input[key] !== undefined && input[key] !== null && input[key] !== '');
    return given
      ? { ok: false, errors: { [given]: ['This credential is not sent in HTTP requests, so it has no base URL, key placement or upstream timeout'] } }
      : { ok: true, value: {} };
  }
  const parsed = connectionInputSchema.safeParse({ baseUrl: input.baseUrl, injection: input.injection, upstreamTimeoutMs: input.upstreamTimeoutMs });
  if (!parsed.success) return { ok: false, errors: fieldErrorsFromZod(parsed.error) };
  const { baseUrl, injection, upstreamTimeoutMs } = parsed.data;
  const patch: SettingsPatch = {};

  // Not mentioned: the catalog's when creating, unchanged when editing. The forms always require one where
  // the catalog has none; here only clearing it is refused, so callers that set it later keep working.
  if (baseUrl !== undefined) {
    const catalog = spec.catalogBaseUrl ? normalizeBaseUrl(new URL(spec.catalogBaseUrl)) : null;
    const wanted = baseUrl;
    if (wanted === null && spec.baseUrlRequired) return { ok: false, errors: { baseUrl: [BASE_URL_REQUIRED_MESSAGE] } };
    patch.baseUrl = wanted === catalog ? null : wanted;
    if (patch.baseUrl && patch.baseUrl !== current?.baseUrl) {
      const org = await prisma.organization.findUniqueOrThrow({ where: { id: actor.organizationId }, select: { allowPrivateHosts: true } });
      // The one egress judgement and message (the same as OAuth apps, pasted token URLs and webhooks).
      const refusal = await urlRefusal(patch.baseUrl, org.allowPrivateHosts);
      if (refusal) return { ok: false, errors: { baseUrl: [refusal] } };
    }
  }
  if (injection !== undefined) {
    if (spec.injectionConfigurable) patch.injection = injection;
    else if (injection !== null) return { ok: false, errors: { 'injection.kind': ['Only Custom API keys choose where the key goes; this service has its own'] } };
  }
  if (upstreamTimeoutMs !== undefined) patch.upstreamTimeoutMs = upstreamTimeoutMs;
  return { ok: true, value: patch };
}

/** The catalog's non-secret values among validated fields (host, port, username …), kept in settings.fields for display. */
function nonSecretValues(specs: readonly FieldSpec[], values: Record<string, string>): Record<string, string> | null {
  const shown: Record<string, string> = {};
  for (const spec of specs) if (!spec.secret && values[spec.name] !== undefined) shown[spec.name] = values[spec.name]!;
  return Object.keys(shown).length > 0 ? shown : null;
}

/** The effective base URL before and after a change, when it changed. */
function baseUrlDiff(service: string, type: CredentialType, before: CredentialSettings, after: CredentialSettings) {
  const from = effectiveBaseUrl(service, type, before)?.url ?? null;
  const to = effectiveBaseUrl(service, type, after)?.url ?? null;
  return from === to ? null : { from, to, fromHost: hostOf(from), toHost: hostOf(to) };
}

/** The audit actions these services write (one row per change, in the change's transaction). */
export const CREDENTIAL_AUDIT_ACTIONS = {
  create: 'credential.create',
  update: 'credential.update',
  /** The host agents' requests go to changed: its own row, so the audit log can be searched for it. */
  baseUrlChange: 'credential.base_url_change',
  replaceSecret: 'credential.replace_secret',
  delete: 'credential.delete',
  reveal: 'credential.reveal',
} as const;

function auditContext(actor: CredentialActor) {
  return {
    organizationId: actor.organizationId,
    context: credentialAuditContext(actor),
    targetType: 'credential',
  };
}

function isoOrNull(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

/**
 * A credential checked and ready to be written: `write` creates the row, its sealed secrets and the audit row
 * in the caller's transaction (so a proposal's approval can apply many at once, or none).
 */
export interface PreparedCredential<Written extends { id: string } = { id: string }> {
  name: string;
  write(tx: Tx, audit?: { details?: Record<string, unknown> }): Promise<Written>;
  /** After the transaction committed: caches, refresh schedules. */
  afterCommit(id: string): Promise<void>;
}

/** Creates an API-key, username/password or file credential; the row, its sealed secrets and the audit row commit together. */
export async function createCredential(actor: CredentialActor, input: CreateCredentialInput): Promise<CredentialView> {
  const prepared = await prepareManualCredential(actor, input);
  const created = await withNameConflict(prepared.name, () => prisma.$transaction((tx) => prepared.write(tx)));
  await prepared.afterCommit(created.id);
  return created;
}

/** Checks an API-key, username/password or file credential (field errors as CredentialValidationError) without writing it. */
export async function prepareManualCredential(
  actor: CredentialActor,
  input: CreateCredentialInput,
): Promise<PreparedCredential<CredentialView>> {
  requirePermission(actor, 'credential.create');
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
  let connectionErrors: FieldErrors = {};
  let fields: ValidatedFields | null = null;
  let file: InspectedCredentialFile | null = null;
  let settings: CredentialSettings = {};
  if (service && type) {
    const specs = fieldSpecsFor(service, type);
    if (!specs.ok) {
      secretErrors = specs.errors;
    } else {
      if (type === 'file') {
        const result = await validateFile(service, input.file);
        if (result.ok) file = result.value;
        else secretErrors = result.errors;
      } else {
        const result = validateFields(service, type, specs.value, input.fields);
        if (result.ok) fields = result.value;
        else secretErrors = result.errors;
      }
      const connection = await connectionPatch(actor, service, type, input, null);
      if (connection.ok) {
        settings = applySettingsPatch({}, { ...connection.value, fields: fields ? nonSecretValues(specs.value, fields.values) : null });
      } else {
        connectionErrors = connection.errors;
      }
    }
  }
  const errors = mergeErrors(baseErrors, secretErrors, connectionErrors);
  if (!base.success || Object.keys(errors).length > 0) throw new CredentialValidationError(errors);
  const data = base.data;
  await assertNameFree(actor, data.name);

  const secrets: Record<string, Buffer | string> = file ? { [FILE_FIELD]: file.bytes } : { ...fields!.values };
  return {
    name: data.name,
    async write(tx, audit) {
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
          settings: settingsColumn(settings),
          ...(file ? fileColumns(file) : {}),
        },
        select: credentialViewSelect,
      });
      await writeCredentialSecrets(tx, { organizationId: actor.organizationId, credentialId: credential.id, secrets });
      const baseUrl = effectiveBaseUrl(data.service, data.type, settings);
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
          ...(baseUrl ? { baseUrl: baseUrl.url, baseUrlHost: hostOf(baseUrl.url) } : {}),
          ...(file ? { fileName: file.fileName, fileSize: file.size, fileKind: file.kind } : {}),
          ...audit?.details,
        },
      });
      return credential;
    },
    async afterCommit() {
      invalidateCredentialCounts(actor.organizationId);
    },
  };
}

const OAUTH_EXPIRY_MESSAGE = 'OAuth tokens expire when the provider says so; reconnect to get new ones';

/**
 * Renames, re-describes, changes the expiry or the connection (base URL, key placement, upstream timeout)
 * of a credential; its secret is untouched. A change of the base URL's host gets its own audit row.
 */
export async function updateCredentialMetadata(
  actor: CredentialActor,
  id: string,
  input: UpdateCredentialMetadataInput,
): Promise<CredentialView> {
  requirePermission(actor, 'credential.edit');
  const current = await findOwnCredential(prisma, actor, id, credentialViewSelect);
  requirePermission(actor, 'credential.edit', current);
  const parsed = credentialMetadataUpdateSchema.safeParse({ name: input.name, description: input.description, expiresAt: input.expiresAt });
  if (!parsed.success) throw new CredentialValidationError(fieldErrorsFromZod(parsed.error));
  const patch = parsed.data;
  // An OAuth credential's expiry is its access token's, kept by the refresh worker: never set by a person.
  if (current.type === 'oauth' && input.expiresAt !== undefined) throw new CredentialValidationError({ expiresAt: [OAUTH_EXPIRY_MESSAGE] });
  const connection = await connectionPatch(actor, current.service, current.type, input, parseCredentialSettings(current.settings));
  if (!connection.ok) throw new CredentialValidationError(connection.errors);

  const changes: Prisma.CredentialUpdateManyMutationInput = {};
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
  if (typeof changes.name === 'string') await assertNameFree(actor, changes.name, current.id);

  return withNameConflict(String(changes.name ?? current.name), () =>
    prisma.$transaction(async (tx) => {
      const before = await lockSettings(tx, actor, current.id);
      const after = applySettingsPatch(before, connection.value);
      const baseUrl = baseUrlDiff(current.service, current.type, before, after);
      if (baseUrl) details.baseUrl = { from: baseUrl.from, to: baseUrl.to };
      const injectionFrom = effectiveInjection(current.service, current.type, before);
      const injectionTo = effectiveInjection(current.service, current.type, after);
      if (JSON.stringify(injectionFrom) !== JSON.stringify(injectionTo)) details.injection = { from: injectionFrom, to: injectionTo };
      if ((before.upstreamTimeoutMs ?? null) !== (after.upstreamTimeoutMs ?? null)) {
        details.upstreamTimeoutMs = { from: before.upstreamTimeoutMs ?? null, to: after.upstreamTimeoutMs ?? null };
      }
      const settingsChanged = JSON.stringify(before) !== JSON.stringify(after);
      if (Object.keys(changes).length === 0 && !settingsChanged) return current;

      const updated = await tx.credential.updateManyAndReturn({
        where: { id: current.id, organizationId: actor.organizationId },
        data: { ...changes, ...(settingsChanged ? { settings: settingsColumn(after) } : {}) },
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
      if (baseUrl && baseUrl.fromHost !== baseUrl.toHost) {
        await recordAudit(tx, {
          ...auditContext(actor),
          action: CREDENTIAL_AUDIT_ACTIONS.baseUrlChange,
          targetId: row.id,
          credentialId: row.id,
          details: { name: row.name, fromHost: baseUrl.fromHost, toHost: baseUrl.toHost, from: baseUrl.from, to: baseUrl.to },
        });
      }
      return row;
    }),
  );
}

const STALE_FORM_MESSAGE = 'The form did not say which version it replaces; reload the page and try again';

/**
 * Puts a new value (or a new file) into an existing credential: same id and name, version + 1. The caller
 * names the version it replaces; anything but the current version changes nothing.
 */
export async function replaceCredentialSecret(
  actor: CredentialActor,
  id: string,
  input: ReplaceCredentialSecretInput,
): Promise<CredentialView> {
  requirePermission(actor, 'credential.replace');
  const current = await findOwnCredential(prisma, actor, id, credentialViewSelect);
  requirePermission(actor, 'credential.replace', current);
  if (!isManualType(current.type)) {
    throw new CredentialValidationError({}, 'Reconnect OAuth credentials instead of replacing their tokens');
  }
  const expectedVersion = input.expectedVersion;
  if (typeof expectedVersion !== 'number' || !Number.isSafeInteger(expectedVersion) || expectedVersion < 1) {
    throw new CredentialValidationError({}, STALE_FORM_MESSAGE);
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
    const settings = fields
      ? applySettingsPatch(await lockSettings(tx, actor, current.id), { fields: nonSecretValues(specs.value, fields.values) })
      : null;
    const updated = await tx.credential.updateManyAndReturn({
      where: { id: current.id, organizationId: actor.organizationId, version: expectedVersion },
      data: {
        version: { increment: 1 },
        ...(fields ? { username: fields.username } : {}),
        ...(settings ? { settings: settingsColumn(settings) } : {}),
        ...(file ? fileColumns(file) : {}),
      },
      select: credentialViewSelect,
    });
    const row = updated[0];
    if (!row) {
      if (await tx.credential.count({ where: { id: current.id, organizationId: actor.organizationId } })) {
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
  requirePermission(actor, 'credential.delete');
  const current = await findOwnCredential(prisma, actor, id, { id: true, name: true, service: true, type: true, createdById: true });
  requirePermission(actor, 'credential.delete', current);
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
  requirePermission(actor, 'credential.reveal');
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
