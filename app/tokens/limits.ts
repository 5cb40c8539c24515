// Limits of management API tokens shared by the settings form (browser) and the service.

/** The longest a token may live when it has an expiry. */
export const MAX_TOKEN_DAYS = 366;
