// What people read for each audit action, on the audit page and in a credential's activity.

const ACTION_LABELS: Record<string, string> = {
  'credential.create': 'Created credential',
  'credential.update': 'Edited credential',
  'credential.base_url_change': 'Changed base URL host',
  'credential.replace_secret': 'Replaced value',
  'credential.delete': 'Deleted credential',
  'credential.reveal': 'Revealed value',
  'credential.connect': 'Connected',
  'credential.reconnect': 'Reconnected',
  'credential.disconnect': 'Disconnected',
  'credential.revoke': 'Revoked at the provider',
  'credential.refresh_failed': 'Token refresh failed',
  'credential.status_changed': 'Status changed',
  'credential.health_check': 'Health check',
  'credential.checked': 'Checked',
  'credential.used': 'Used by an agent',
  'agent.create': 'Created agent',
  'agent.update': 'Edited agent',
  'agent.delivery_change': 'Changed value delivery',
  'agent.delete': 'Deleted agent',
  'agent.token_rotate': 'Rotated agent token',
  'agent.token_revoke': 'Revoked agent token',
  'oauth_app.create': 'Registered OAuth app',
  'oauth_app.delete': 'Removed OAuth app',
  'organization.notifications_update': 'Changed notification settings',
  'organization.webhook_secret_rotate': 'Rotated webhook signing secret',
  'organization.network_update': 'Changed network setting',
  'member.invite': 'Invited someone',
  'member.invitation_revoke': 'Revoked invitation',
  'member.join': 'Joined the organization',
  'member.role_change': 'Changed role',
  'member.remove': 'Removed member',
  'member.leave': 'Left the organization',
  'organization.create': 'Created organization',
  'organization.rename': 'Renamed organization',
};

/** The readable label of an audit action; unknown actions read as their words ("Member role change"). */
export function actionLabel(action: string): string {
  return ACTION_LABELS[action] ?? action.replace(/[._]/g, ' ').replace(/^\w/, (c) => c.toUpperCase());
}
