// Credential files: streamed multipart upload with a hard size limit, file-name sanitising and content sniffing.
import crypto from 'node:crypto';
import {
  MaxPartSizeExceededError,
  unstable_createMemoryUploadHandler,
  unstable_parseMultipartFormData,
  type UploadHandler,
} from '@remix-run/node';
import { fileTypeFromBuffer } from 'file-type';
import { z } from 'zod';
import { getEnv } from '~/config/env.server';
import {
  CredentialError,
  CredentialTooLargeError,
  CredentialValidationError,
} from '~/credentials/errors';
import { assertFormRequest, assertStorableFields } from '~/utils/http.server';

export const FILE_KINDS = ['gcp_service_account', 'pem', 'pkcs12', 'json', 'text', 'binary'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/** What is stored in Credential.fileMetadata: facts read from the file, never key material. */
export type FileMetadata =
  | { clientEmail: string; projectId: string }
  | { pemBlocks: string[] }
  | { mimeType: string }
  | null;

/** A file that passed every check and may be sealed as-is. */
export interface InspectedCredentialFile {
  fileName: string;
  bytes: Buffer;
  size: number;
  kind: FileKind;
  metadata: FileMetadata;
}

export interface ParsedCredentialUpload {
  /** The form's text fields (name, service, description, …), last value wins. */
  fields: Record<string, string>;
  /** The uploaded file, or null when the form carried none (no file chosen). */
  file: InspectedCredentialFile | null;
}

/** Form field that carries the file. */
export const FILE_FIELD = 'file';
const MAX_FILE_NAME_LENGTH = 200;
/** Text fields of an upload form are short (name, description ≤ 500, a date); this bounds them generously. */
const MAX_TEXT_FIELD_BYTES = 16 * 1024;
const MAX_PARTS = 32;
/** Room for the multipart envelope and the text fields around the file. */
const MULTIPART_OVERHEAD_BYTES = MAX_PARTS * 1024 + 64 * 1024;

const fileError = (message: string) => new CredentialValidationError({ [FILE_FIELD]: [message] }, message);

/**
 * A file name that is safe to store and to put in a Content-Disposition header: the base name only,
 * no control characters (CR/LF included), no "..", no leading dots, bounded length. Null when nothing
 * usable is left.
 */
export function sanitizeFileName(raw: string): string | null {
  let name = raw
    // Browsers and undici percent-encode CR, LF and '"' inside multipart file names.
    .replace(/%0[DA]/gi, '')
    .replace(/%22/gi, '"')
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '');
  name = name.split(/[/\\]/).pop() ?? '';
  name = name
    .replace(/[<>:"|?*]/g, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+/, '')
    .replace(/[\s.]+$/, '');
  if (!/[\p{L}\p{N}]/u.test(name)) return null;
  if (name.length > MAX_FILE_NAME_LENGTH) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    name = Array.from(name.slice(0, name.length - ext.length))
      .slice(0, MAX_FILE_NAME_LENGTH - ext.length)
      .join('')
      .trimEnd() + ext;
  }
  return name;
}

/** PKCS#12 is DER: SEQUENCE { INTEGER 3, SEQUENCE { OID pkcs7-data … } }, which file-type does not know. */
function looksLikePkcs12(bytes: Buffer): boolean {
  if (bytes.length < 32 || bytes[0] !== 0x30) return false;
  const head = bytes.subarray(0, 40);
  const version3 = Buffer.from([0x02, 0x01, 0x03, 0x30]);
  const pkcs7Data = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]);
  return head.includes(version3) && head.includes(pkcs7Data);
}

/** UTF-8 text without NULs or control characters other than tab, CR, LF (and a leading BOM). */
function decodeText(bytes: Buffer): string | null {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return null;
  return text;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?\r?\n-----END \1-----/g;

function pemBlocks(text: string): string[] {
  const trimmed = text.trim();
  if (!trimmed.startsWith('-----BEGIN ')) return [];
  return Array.from(trimmed.matchAll(PEM_BLOCK), (m) => m[1] as string);
}

const serviceAccountSchema = z.object({
  type: z.literal('service_account'),
  project_id: z
    .string({ error: 'project_id is missing' })
    .trim()
    .min(1, 'project_id is missing')
    .max(100, 'project_id is too long')
    .regex(/^[\w.:-]+$/, 'project_id has unexpected characters'),
  client_email: z.email({ error: 'client_email is not an email address' }),
  private_key: z.string({ error: 'private_key is missing' }).min(1, 'private_key is missing'),
});

/** True when the PEM text is a private key Node can load (RSA, EC, Ed25519, PKCS#8). */
function isPrivateKeyPem(pem: string): boolean {
  if (!pem.includes('-----BEGIN') || !pem.includes('PRIVATE KEY-----')) return false;
  try {
    return crypto.createPrivateKey({ key: pem, format: 'pem' }).type === 'private';
  } catch {
    return false;
  }
}

function inspectServiceAccount(json: Record<string, unknown>): { clientEmail: string; projectId: string } {
  const parsed = serviceAccountSchema.safeParse(json);
  const problem = 'This looks like a Google Cloud service-account key, but';
  if (!parsed.success) {
    const reasons = [...new Set(parsed.error.issues.map((i) => i.message))];
    throw fileError(`${problem} ${reasons.join('; ')}.`);
  }
  if (!isPrivateKeyPem(parsed.data.private_key)) {
    throw fileError(`${problem} its private_key is not a valid PEM private key.`);
  }
  return { clientEmail: parsed.data.client_email, projectId: parsed.data.project_id };
}

/** Sniffs the content (the extension is never trusted) and reads what may be shown about it. */
export async function detectFileKind(bytes: Buffer): Promise<{ kind: FileKind; metadata: FileMetadata }> {
  if (looksLikePkcs12(bytes)) return { kind: 'pkcs12', metadata: null };
  const text = decodeText(bytes);
  if (text === null) {
    const detected = await fileTypeFromBuffer(bytes);
    return { kind: 'binary', metadata: detected ? { mimeType: detected.mime } : null };
  }
  const blocks = pemBlocks(text);
  if (blocks.length > 0) return { kind: 'pem', metadata: { pemBlocks: blocks } };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'text', metadata: null };
  }
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    const object = json as Record<string, unknown>;
    if (object.type === 'service_account') {
      return { kind: 'gcp_service_account', metadata: inspectServiceAccount(object) };
    }
  }
  return { kind: 'json', metadata: null };
}

/** The content type a download of this kind is served with. */
export function contentTypeForFileKind(kind: string | null, metadata?: unknown): string {
  switch (kind) {
    case 'gcp_service_account':
    case 'json':
      return 'application/json';
    case 'pem':
      return 'application/x-pem-file';
    case 'pkcs12':
      return 'application/x-pkcs12';
    case 'text':
      return 'text/plain; charset=utf-8';
    default: {
      const mime = (metadata as { mimeType?: unknown } | null | undefined)?.mimeType;
      return typeof mime === 'string' ? mime : 'application/octet-stream';
    }
  }
}

/**
 * Headers for handing a revealed file to the browser: a download (never rendered inline), with the
 * name quoted safely (ASCII fallback plus RFC 5987 UTF-8), and never stored by any cache.
 */
export function credentialDownloadHeaders(file: { name: string; contentType: string; size: number }): Headers {
  const safeName = sanitizeFileName(file.name) ?? 'credential';
  const asciiName = safeName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return new Headers({
    'Content-Type': file.contentType,
    'Content-Length': String(file.size),
    'Content-Disposition': `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeURIComponent(safeName)}`,
    'Cache-Control': 'no-store, max-age=0',
    Pragma: 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  });
}

/**
 * Checks a file before it is sealed: size within the limit, not empty, a usable name, and content
 * that is what it claims to be. Throws CredentialError ('too_large' or 'validation' on the file field).
 */
export async function inspectCredentialFile(input: {
  fileName: string;
  bytes: Buffer;
  maxBytes: number;
}): Promise<InspectedCredentialFile> {
  const { bytes, maxBytes } = input;
  if (bytes.length > maxBytes) throw new CredentialTooLargeError(maxBytes, FILE_FIELD);
  if (bytes.length === 0) throw fileError('The file is empty');
  const fileName = sanitizeFileName(input.fileName);
  if (!fileName) throw fileError('The file name is not usable; rename the file and try again');
  const { kind, metadata } = await detectFileKind(bytes);
  return { fileName, bytes, size: bytes.length, kind, metadata };
}

/**
 * Reads a multipart form whose files may come only in `fileFields` (one each, at most `maxBytes`, counted while
 * the body streams) and whose text fields are at most `maxTextBytes`. Refusals are CredentialErrors naming the field.
 */
export async function readMultipartForm(
  request: Request,
  { fileFields, maxBytes, maxTextBytes = MAX_TEXT_FIELD_BYTES, maxParts = MAX_PARTS }: { fileFields: ReadonlySet<string>; maxBytes: number; maxTextBytes?: number; maxParts?: number },
): Promise<FormData> {
  const fileHandler = unstable_createMemoryUploadHandler({ maxPartSize: maxBytes });
  const textHandler = unstable_createMemoryUploadHandler({ maxPartSize: maxTextBytes });
  const seen = new Set<string>();
  let parts = 0;
  const handler: UploadHandler = async (part) => {
    parts += 1;
    if (parts > maxParts) throw new CredentialValidationError({}, 'The form has too many fields');
    if (typeof part.filename === 'string') {
      if (!fileFields.has(part.name)) throw new CredentialValidationError({}, `Unexpected file in "${part.name}"`);
      if (seen.has(part.name)) throw new CredentialValidationError({ [part.name]: ['Upload one file at a time'] }, 'Upload one file at a time');
      seen.add(part.name);
      return fileHandler(part);
    }
    return textHandler(part);
  };
  let form: FormData;
  try {
    form = await unstable_parseMultipartFormData(request, handler);
  } catch (error) {
    if (error instanceof CredentialError) throw error;
    if (error instanceof MaxPartSizeExceededError) {
      if (fileFields.has(error.field)) throw new CredentialTooLargeError(maxBytes, error.field);
      throw new CredentialValidationError({ [error.field]: ['This field is too long'] });
    }
    throw new CredentialValidationError({}, 'The upload could not be read; try again');
  }
  assertStorableFields(form);
  return form;
}

/**
 * Parses a multipart form carrying one credential file. The limit is enforced while the body streams
 * (the declared Content-Length is checked first, then every part is counted as it arrives), so an
 * oversized upload is refused before it is held in memory.
 */
export async function parseCredentialUpload(
  request: Request,
  { maxBytes = getEnv().UPLOAD_MAX_BYTES, fileField = FILE_FIELD }: { maxBytes?: number; fileField?: string } = {},
): Promise<ParsedCredentialUpload> {
  // The same refusals as every other form (405 for a wrong method, 415 for JSON or no Content-Type).
  assertFormRequest(request);
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data;/i.test(contentType)) {
    throw new CredentialValidationError({}, 'Send the form as multipart/form-data');
  }
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes + MULTIPART_OVERHEAD_BYTES) {
    await request.body?.cancel().catch(() => undefined);
    throw new CredentialTooLargeError(maxBytes, fileField);
  }

  const form = await readMultipartForm(request, { fileFields: new Set([fileField]), maxBytes });

  const fields: Record<string, string> = {};
  let upload: File | null = null;
  for (const [name, value] of form.entries()) {
    // An empty file input arrives without a file name, which the parser hands over as text.
    if (name === fileField) upload = typeof value === 'string' ? null : value;
    else if (typeof value === 'string') fields[name] = value;
  }
  // A file input left empty arrives as a part with an empty name and no bytes.
  if (!upload || (upload.name === '' && upload.size === 0)) return { fields, file: null };
  const file = await inspectCredentialFile({
    fileName: upload.name,
    bytes: Buffer.from(await upload.arrayBuffer()),
    maxBytes,
  });
  return { fields, file };
}
