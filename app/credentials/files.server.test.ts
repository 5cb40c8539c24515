// Credential file uploads: streaming size limit, file-name sanitising and content sniffing.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CredentialError } from '~/credentials/errors';
import {
  contentTypeForFileKind,
  credentialDownloadHeaders,
  detectFileKind,
  inspectCredentialFile,
  parseCredentialUpload,
  sanitizeFileName,
} from '~/credentials/files.server';

const KiB = 1024;

function serviceAccountJson(overrides: Record<string, unknown> = {}): string {
  const { privateKey } = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return JSON.stringify({
    type: 'service_account',
    project_id: 'latchkey-test-123',
    private_key_id: 'abc123',
    private_key: privateKey,
    client_email: 'agent@latchkey-test-123.iam.gserviceaccount.com',
    client_id: '1234567890',
    token_uri: 'https://oauth2.googleapis.com/token',
    ...overrides,
  });
}

function uploadRequest(form: FormData): Request {
  return new Request('http://localhost/upload', { method: 'POST', body: form });
}

function formWithFile(bytes: Buffer | string, fileName: string, fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new File([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)], fileName));
  return form;
}

async function caught(promise: Promise<unknown>): Promise<CredentialError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CredentialError);
  return error as CredentialError;
}

describe('sanitizeFileName', () => {
  it('keeps only the base name of a path-traversal name', () => {
    expect(sanitizeFileName('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFileName('..\\..\\windows\\system.ini')).toBe('system.ini');
  });

  it('removes CR, LF and other control characters, also percent-encoded ones', () => {
    expect(sanitizeFileName('key\r\nX-Injected: 1.pem')).toBe('keyX-Injected_ 1.pem');
    expect(sanitizeFileName('evil%0D%0Aname.json')).toBe('evilname.json');
    expect(sanitizeFileName('a\u0000b\u202Egnp.exe')).toBe('abgnp.exe');
  });

  it('removes ".." sequences, leading dots and quotes', () => {
    expect(sanitizeFileName('..hidden..key.pem')).toBe('hidden.key.pem');
    expect(sanitizeFileName('say "hi".txt')).toBe('say _hi_.txt');
  });

  it('answers null when nothing usable is left', () => {
    for (const name of ['', '..', '../', '..\\..\\', '\r\n', '....', '  ', '___']) {
      expect(sanitizeFileName(name), JSON.stringify(name)).toBeNull();
    }
  });

  it('limits the length and keeps the extension', () => {
    const name = sanitizeFileName(`${'a'.repeat(500)}.json`)!;
    expect(name.length).toBeLessThanOrEqual(200);
    expect(name.endsWith('.json')).toBe(true);
  });
});

describe('detectFileKind', () => {
  it('recognises a Google Cloud service-account JSON and reads its client_email and project, never the key', async () => {
    const result = await detectFileKind(Buffer.from(serviceAccountJson()));
    expect(result).toEqual({
      kind: 'gcp_service_account',
      metadata: { clientEmail: 'agent@latchkey-test-123.iam.gserviceaccount.com', projectId: 'latchkey-test-123' },
    });
  });

  it('refuses a service-account JSON whose private_key is not a PEM private key', async () => {
    const broken = serviceAccountJson({ private_key: '-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----\n' });
    const error = await caught(detectFileKind(Buffer.from(broken)));
    expect(error.code).toBe('validation');
    expect(error.fieldErrors.file?.[0]).toMatch(/private_key is not a valid PEM private key/);
  });

  it('refuses a service-account JSON without project_id or with a bad client_email', async () => {
    const noProject = JSON.parse(serviceAccountJson()) as Record<string, unknown>;
    delete noProject.project_id;
    const error = await caught(detectFileKind(Buffer.from(JSON.stringify(noProject))));
    expect(error.fieldErrors.file?.[0]).toMatch(/project_id is missing/);
    const badEmail = await caught(detectFileKind(Buffer.from(serviceAccountJson({ client_email: 'nobody' }))));
    expect(badEmail.fieldErrors.file?.[0]).toMatch(/client_email is not an email address/);
  });

  it('never puts the private key into an error message', async () => {
    const json = serviceAccountJson({ client_email: 'broken' });
    const key = (JSON.parse(json) as { private_key: string }).private_key;
    const error = await caught(detectFileKind(Buffer.from(json)));
    const keyBody = key.split('\n')[1]!;
    expect(JSON.stringify(error.toJSON())).not.toContain(keyBody);
    expect(error.message).not.toContain(keyBody);
  });

  it('keeps PEM, PKCS#12, other JSON, text and binary files as opaque files of the right kind', async () => {
    const { privateKey } = crypto.generateKeyPairSync('ed25519', {
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    expect(await detectFileKind(Buffer.from(privateKey))).toEqual({ kind: 'pem', metadata: { pemBlocks: ['PRIVATE KEY'] } });
    const p12 = fs.readFileSync(new URL('./__fixtures__/self-signed-test-only.p12', import.meta.url));
    expect((await detectFileKind(p12)).kind).toBe('pkcs12');
    expect(await detectFileKind(Buffer.from('{"installed":{"client_id":"x"}}'))).toEqual({ kind: 'json', metadata: null });
    expect(await detectFileKind(Buffer.from('user=ada\npassword=hunter2\n'))).toEqual({ kind: 'text', metadata: null });
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
      'base64',
    );
    expect(await detectFileKind(png)).toEqual({ kind: 'binary', metadata: { mimeType: 'image/png' } });
    expect(contentTypeForFileKind('binary', { mimeType: 'image/png' })).toBe('image/png');
    expect(contentTypeForFileKind('pkcs12')).toBe('application/x-pkcs12');
  });

  it('judges by content, not by the extension', async () => {
    const file = await inspectCredentialFile({ fileName: 'key.json', bytes: Buffer.from('just some text'), maxBytes: KiB });
    expect(file.kind).toBe('text');
  });
});

describe('parseCredentialUpload', () => {
  it('returns the text fields and the checked file', async () => {
    const form = formWithFile(serviceAccountJson(), 'sa.json', { name: 'gcp:prod', service: 'gcp', type: 'file' });
    const { fields, file } = await parseCredentialUpload(uploadRequest(form), { maxBytes: 64 * KiB });
    expect(fields).toEqual({ name: 'gcp:prod', service: 'gcp', type: 'file' });
    expect(file?.fileName).toBe('sa.json');
    expect(file?.kind).toBe('gcp_service_account');
    expect(file?.metadata).toEqual({ clientEmail: 'agent@latchkey-test-123.iam.gserviceaccount.com', projectId: 'latchkey-test-123' });
  });

  it('refuses a file over the limit with 413 and a message naming the configured size', async () => {
    const error = await caught(
      parseCredentialUpload(uploadRequest(formWithFile(Buffer.alloc(2 * KiB, 0x61), 'big.txt')), { maxBytes: KiB }),
    );
    expect(error.code).toBe('too_large');
    expect(error.status).toBe(413);
    expect(error.message).toBe('The file is larger than 1 KiB');
    expect(error.fieldErrors.file).toEqual(['The file is larger than 1 KiB']);
  });

  it('stops reading an oversized body while it streams, before buffering it', async () => {
    const boundary = 'latchkeyboundary';
    const encoder = new TextEncoder();
    let pulled = 0;
    let done = false;
    const chunk = new Uint8Array(64 * KiB).fill(0x61);
    const total = 50 * 1024 * KiB;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(
          encoder.encode(
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.txt"\r\nContent-Type: text/plain\r\n\r\n`,
          ),
        );
      },
      pull(controller) {
        if (pulled >= total) {
          controller.enqueue(encoder.encode(`\r\n--${boundary}--\r\n`));
          controller.close();
          done = true;
          return;
        }
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const request = new Request('http://localhost/upload', {
      method: 'POST',
      body,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      duplex: 'half',
    } as RequestInit);
    const error = await caught(parseCredentialUpload(request, { maxBytes: 1024 * KiB }));
    expect(error.code).toBe('too_large');
    expect(error.message).toBe('The file is larger than 1 MiB');
    expect(done).toBe(false);
    expect(pulled).toBeLessThan(3 * 1024 * KiB);
  });

  it('refuses a declared Content-Length far over the limit without reading the body', async () => {
    const request = new Request('http://localhost/upload', {
      method: 'POST',
      body: 'x',
      headers: { 'content-type': 'multipart/form-data; boundary=b', 'content-length': String(100 * 1024 * KiB) },
    });
    const error = await caught(parseCredentialUpload(request, { maxBytes: 1024 * KiB }));
    expect(error.code).toBe('too_large');
  });

  it('refuses an empty file with a clear message', async () => {
    const error = await caught(parseCredentialUpload(uploadRequest(formWithFile('', 'empty.pem')), { maxBytes: KiB }));
    expect(error.code).toBe('validation');
    expect(error.fieldErrors.file).toEqual(['The file is empty']);
  });

  it('answers file: null when no file was chosen', async () => {
    const form = new FormData();
    form.append('name', 'x');
    form.append('file', new File([], ''));
    expect(await parseCredentialUpload(uploadRequest(form), { maxBytes: KiB })).toEqual({ fields: { name: 'x' }, file: null });
  });

  it('stores only the base name of a path-traversal file name and strips CR/LF', async () => {
    const traversal = await parseCredentialUpload(uploadRequest(formWithFile('hello', '../../etc/passwd')), { maxBytes: KiB });
    expect(traversal.file?.fileName).toBe('passwd');
    const crlf = await parseCredentialUpload(uploadRequest(formWithFile('hello', 'a\r\nb.txt')), { maxBytes: KiB });
    expect(crlf.file?.fileName).toBe('ab.txt');
  });

  it('refuses a file name with nothing usable left', async () => {
    const error = await caught(parseCredentialUpload(uploadRequest(formWithFile('hello', '..')), { maxBytes: KiB }));
    expect(error.code).toBe('validation');
    expect(error.fieldErrors.file?.[0]).toMatch(/file name is not usable/);
  });

  it('refuses a JSON body with 415 naming the form encodings, like every other form', async () => {
    const request = new Request('http://localhost/upload', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    const refusal = await parseCredentialUpload(request, { maxBytes: KiB }).then(
      () => expect.unreachable('a JSON body was parsed as an upload'),
      (e: unknown) => e,
    );
    expect(refusal).toBeInstanceOf(Response);
    expect((refusal as Response).status).toBe(415);
    expect(await (refusal as Response).text()).toMatch(/not application\/json/);
  });

  it('refuses a URL-encoded form with a validation error asking for multipart', async () => {
    const request = new Request('http://localhost/upload', { method: 'POST', body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const error = await caught(parseCredentialUpload(request, { maxBytes: KiB }));
    expect(error.code).toBe('validation');
    expect(error.message).toMatch(/multipart\/form-data/);
  });

  it('refuses an invalid service-account JSON with a field error', async () => {
    const form = formWithFile(serviceAccountJson({ private_key: 'nope' }), 'sa.json');
    const error = await caught(parseCredentialUpload(uploadRequest(form), { maxBytes: 64 * KiB }));
    expect(error.code).toBe('validation');
    expect(error.fieldErrors.file?.[0]).toMatch(/service-account key, but its private_key/);
  });
});

describe('credentialDownloadHeaders', () => {
  it('forces a download with a safe name and forbids caching', () => {
    const headers = credentialDownloadHeaders({ name: 'clé "prod"\r\n.json', contentType: 'application/json', size: 12 });
    expect(headers.get('content-disposition')).toBe(
      `attachment; filename="cl_ _prod_.json"; filename*=UTF-8''cl%C3%A9%20_prod_.json`,
    );
    expect(headers.get('cache-control')).toBe('no-store, max-age=0');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('content-length')).toBe('12');
  });
});
