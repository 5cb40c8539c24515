#!/bin/sh
# Stand-in for the native schema engine so `prisma generate` works offline; see prisma.config.ts.
echo "the native Prisma schema engine is not available here; use npm run db:migrate" >&2
exit 1
