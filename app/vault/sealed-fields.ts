// Secrets sealed outside the credential_secrets table, named here so that re-encryption finds every one of them.

/** OAuthApp.clientSecret: sealed with credentialId = the app's id. */
export const OAUTH_APP_CLIENT_SECRET_FIELD = 'client_secret';
/** Organization.webhookSecret: sealed with credentialId = the organization's id. */
export const WEBHOOK_SECRET_FIELD = 'webhook_secret';
/** ProposalSecret rows: sealed with credentialId = the proposal's id, field "value:<slot>" or "tokens:<slot>" (app/proposals/staging.server.ts). */
