// Worker entry for the refresh queue: one job per OAuth credential, run shortly before its token expires.
export { REFRESH_QUEUE, type RefreshJobData } from '~/jobs/refresh-schedule.server';
export { REFRESH_WORKER_OPTIONS, refreshJobProcessor } from '~/jobs/refresh.job.server';
