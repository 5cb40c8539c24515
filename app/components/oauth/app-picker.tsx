// Which OAuth app to sign in with: named radio cards when there are several, one plain line when there is one.
import { AppWindow } from 'lucide-react';
import { ErrorList } from '~/components/ui/field';
import { cn } from '~/utils/misc';

export interface AppChoice {
  id: string;
  name: string;
  detail: string;
}

/** Submits `appId`. With several apps nothing is preselected silently: the first is checked, visibly, and can be changed. */
export function AppPicker({
  apps,
  selected,
  errors,
  legend = 'OAuth app',
  hint,
}: {
  apps: readonly AppChoice[];
  selected?: string | null;
  errors?: readonly string[];
  legend?: string;
  hint?: string;
}) {
  if (apps.length === 0) return null;
  if (apps.length === 1) {
    const app = apps[0]!;
    return (
      <div>
        <input type="hidden" name="appId" value={app.id} />
        <p className="text-sm font-medium text-slate-800">{legend}</p>
        <div className="mt-1.5 flex items-center gap-3 rounded-lg bg-slate-50 px-3 py-2.5 ring-1 ring-slate-200 ring-inset" data-testid="oauth-app">
          <AppWindow className="size-4 shrink-0 text-slate-400" aria-hidden />
          <p className="min-w-0 text-sm">
            <span className="font-medium text-slate-900">{app.name}</span>
            <span className="block truncate text-xs text-slate-500">{app.detail}</span>
          </p>
        </div>
        <ErrorList errors={errors} />
      </div>
    );
  }
  const checked = selected && apps.some((a) => a.id === selected) ? selected : apps[0]!.id;
  return (
    <fieldset>
      <legend className="text-sm font-medium text-slate-800">{legend}</legend>
      {hint ? <p className="mt-0.5 text-xs text-slate-500">{hint}</p> : null}
      <div className="mt-1.5 grid gap-2 sm:grid-cols-2">
        {apps.map((app) => (
          <label
            key={app.id}
            className={cn(
              'flex cursor-pointer items-start gap-3 rounded-lg border bg-white px-3 py-2.5 shadow-sm',
              'has-[:checked]:border-indigo-500 has-[:checked]:ring-1 has-[:checked]:ring-indigo-500 has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-600',
              'border-slate-200 hover:border-slate-300',
            )}
          >
            <input type="radio" name="appId" value={app.id} defaultChecked={app.id === checked} className="mt-0.5 size-4 border-slate-300 text-indigo-600" />
            <span className="min-w-0 text-sm">
              <span className="block font-medium text-slate-900">{app.name}</span>
              <span className="block truncate text-xs text-slate-500">{app.detail}</span>
            </span>
          </label>
        ))}
      </div>
      <ErrorList errors={errors} />
    </fieldset>
  );
}
