import fs from 'node:fs';
import { it } from 'vitest';
import { createTestOrg, startApiServer } from '~/api/test-support';
import { systemAuditContext } from '~/audit/audit.server';
import { createManagementToken } from '~/tokens/management-tokens.server';
it('keeps a server up for a transcript', async () => {
  const api = await startApiServer();
  const org = await createTestOrg();
  const { token } = await createManagementToken({ organizationId: org.id, userId: org.actor.userId, role: 'owner', context: systemAuditContext('test') }, { name: 'laptop', role: 'admin', reveal: true });
  fs.writeFileSync('/tmp/lk-session.json', JSON.stringify({ url: api.url, token }));
  await new Promise((r) => setTimeout(r, 420_000));
  await api.close();
}, 500_000);
