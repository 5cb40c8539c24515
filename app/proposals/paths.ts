// Where a proposal is approved in the portal (links in answers, webhooks, toasts).
export function approvalPath(slug: string, id: string): string {
  return `/orgs/${slug}/proposals/${id}`;
}
