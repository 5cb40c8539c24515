// The agent page's Requirements section: admins add, change and remove the credentials the agent needs (name, catalog service, type, optional); everyone else reads the list.
import { Form } from '@remix-run/react';
import { Blocks, Plus, Trash2 } from 'lucide-react';
import { useId, useRef, useState } from 'react';
import { TYPE_LABELS } from '~/components/credentials/labels';
import { ServiceLogo } from '~/components/ServiceLogo';
import { Button } from '~/components/ui/button';
import { Badge, Card } from '~/components/ui/card';
import { ErrorList, FormError, Input, Label, Select } from '~/components/ui/field';
import { CREDENTIAL_TYPES, getService, listServices } from '~/credentials/catalog';
import { cn } from '~/utils/misc';
import { MAX_REQUIREMENTS } from './requirements';
import { REQUIREMENT_FIELDS, requirementFieldName, type RequirementField, type RequirementRow } from './requirements-form';

const EMPTY_ROW: RequirementRow = {
  name: '',
  service: '',
  type: '',
  optional: false,
  description: '',
};

/** The catalog, Custom last (as the add-credential picker shows it). */
const SERVICES = [...listServices()].sort((a, b) => (a.id === 'custom' ? 1 : b.id === 'custom' ? -1 : a.displayName.localeCompare(b.displayName)));

function typesFor(service: string): readonly string[] {
  return getService(service)?.credentialTypes ?? CREDENTIAL_TYPES;
}

function typeLabel(type: string): string {
  return TYPE_LABELS[type as keyof typeof TYPE_LABELS] ?? type;
}

function ReadOnlyList({ rows }: { rows: readonly RequirementRow[] }) {
  if (rows.length === 0)
    return <p className="px-5 py-4 text-sm text-slate-500">No requirements declared. Admins add them here; the agent can declare its own.</p>;
  return (
    <ul className="divide-y divide-slate-100">
      {rows.map((row) => {
        const service = getService(row.service);
        return (
          <li key={row.name} className="flex items-start gap-3 px-5 py-3 text-sm">
            <ServiceLogo service={row.service} name={service?.displayName ?? row.name} size={20} className="mt-0.5" />
            <div className="min-w-0 flex-1">
              <div className="flex flex-wrap items-center gap-2">
                <span className="font-mono font-medium break-all text-slate-900">{row.name}</span>
                {row.optional ? <Badge>Optional</Badge> : <Badge tone="indigo">Required</Badge>}
              </div>
              <p className="mt-0.5 text-xs text-slate-500">
                {[service?.displayName ?? 'Any service', row.type ? typeLabel(row.type) : 'any type'].join(' · ')}
                {row.description ? ` — ${row.description}` : ''}
              </p>
            </div>
          </li>
        );
      })}
    </ul>
  );
}

function RowField({ id, label, errors, children, className }: { id: string; label: string; errors?: string[]; children: React.ReactNode; className?: string }) {
  return (
    <div className={cn('min-w-0', className)}>
      <Label htmlFor={id} className="text-xs text-slate-600">
        {label}
      </Label>
      <div className="mt-1">{children}</div>
      <ErrorList id={errors?.length ? `${id}-error` : undefined} errors={errors} />
    </div>
  );
}

function EditableRow({
  index,
  row,
  errors,
  onChange,
  onRemove,
}: {
  index: number;
  row: RequirementRow;
  /** This row's errors by field (they follow the row when another is removed). */
  errors: Partial<Record<RequirementField, string[]>>;
  onChange: (row: RequirementRow) => void;
  onRemove: () => void;
}) {
  const base = `${useId()}-req`;
  const field = (name: RequirementField) => ({
    id: `${base}-${name}`,
    name: requirementFieldName(index, name),
    errors: errors[name],
  });
  const aria = (f: { id: string; errors?: string[] }) => ({
    'aria-invalid': f.errors?.length ? true : undefined,
    'aria-describedby': f.errors?.length ? `${f.id}-error` : undefined,
  });
  const name = field('name');
  const service = field('service');
  const type = field('type');
  const description = field('description');
  const optional = field('optional');
  const types = typesFor(row.service);
  const label = row.name.trim() || `requirement ${index + 1}`;
  return (
    <li data-testid="requirement-row" className="rounded-lg border border-slate-200 bg-slate-50/60 p-3 sm:p-4">
      <div className="grid gap-3 sm:grid-cols-[minmax(0,1.1fr)_minmax(0,1fr)_minmax(0,0.7fr)]">
        <RowField id={name.id} label="Name" errors={name.errors}>
          <Input
            id={name.id}
            name={name.name}
            value={row.name}
            onChange={(e) => onChange({ ...row, name: e.currentTarget.value })}
            placeholder="github_token"
            autoComplete="off"
            spellCheck={false}
            className="font-mono"
            {...aria(name)}
          />
        </RowField>
        <RowField id={service.id} label="Service" errors={service.errors}>
          <div className="relative">
            <span className="pointer-events-none absolute top-1/2 left-2.5 -translate-y-1/2">
              {row.service ? <ServiceLogo service={row.service} size={16} /> : <Blocks className="size-4 text-slate-400" aria-hidden />}
            </span>
            <Select
              id={service.id}
              name={service.name}
              value={row.service}
              onChange={(e) => {
                const next = e.currentTarget.value;
                // A type the new service does not offer would only come back as an error.
                onChange({
                  ...row,
                  service: next,
                  type: typesFor(next).includes(row.type) ? row.type : '',
                });
              }}
              className="pl-9"
              {...aria(service)}
            >
              <option value="">Any service</option>
              {SERVICES.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.displayName}
                </option>
              ))}
              {row.service && !getService(row.service) ? <option value={row.service}>{row.service} (not in the catalog)</option> : null}
            </Select>
          </div>
        </RowField>
        <RowField id={type.id} label="Type" errors={type.errors}>
          <Select id={type.id} name={type.name} value={row.type} onChange={(e) => onChange({ ...row, type: e.currentTarget.value })} {...aria(type)}>
            <option value="">Any type</option>
            {types.map((t) => (
              <option key={t} value={t}>
                {typeLabel(t)}
              </option>
            ))}
            {row.type && !types.includes(row.type) ? <option value={row.type}>{typeLabel(row.type)} (not offered)</option> : null}
          </Select>
        </RowField>
      </div>
      <div className="mt-3 flex flex-col gap-3 sm:flex-row sm:items-end">
        <RowField id={description.id} label="Description" errors={description.errors} className="flex-1">
          <Input
            id={description.id}
            name={description.name}
            value={row.description}
            onChange={(e) => onChange({ ...row, description: e.currentTarget.value })}
            placeholder="What the agent uses it for"
            {...aria(description)}
          />
        </RowField>
        <div className="flex items-center justify-between gap-3 sm:h-9 sm:justify-end">
          <label htmlFor={optional.id} className="inline-flex cursor-pointer items-center gap-2 text-sm text-slate-700">
            <input
              id={optional.id}
              type="checkbox"
              name={optional.name}
              value="true"
              checked={row.optional}
              onChange={(e) => onChange({ ...row, optional: e.currentTarget.checked })}
              className="size-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-600"
            />
            Optional
          </label>
          <Button type="button" variant="ghost" size="sm" onClick={onRemove} aria-label={`Remove ${label}`} className="text-slate-500 hover:text-red-600">
            <Trash2 className="size-3.5" aria-hidden /> Remove
          </Button>
        </div>
      </div>
      <ErrorList errors={optional.errors} />
    </li>
  );
}

function rowErrors(errors: Record<string, string[]>, index: number): Partial<Record<RequirementField, string[]>> {
  const out: Partial<Record<RequirementField, string[]>> = {};
  for (const field of REQUIREMENT_FIELDS) {
    const list = errors[requirementFieldName(index, field)];
    if (list?.length) out[field] = list;
  }
  return out;
}

export function RequirementsEditor({
  rows: savedRows,
  canManage,
  errors = {},
  submitting,
}: {
  rows: readonly RequirementRow[];
  canManage: boolean;
  /** The refused save's errors, keyed `requirements.0.name`; `requirements` for the list as a whole. */
  errors?: Record<string, string[]>;
  submitting?: boolean;
}) {
  const nextKey = useRef(0);
  const keyed = (row: RequirementRow, index?: number) => ({
    ...row,
    key: nextKey.current++,
    errors: index === undefined ? {} : rowErrors(errors, index),
  });
  const [rows, setRows] = useState(() => savedRows.map(keyed));
  return (
    <div className="space-y-3">
      <div>
        <h2 id="requirements-heading" className="text-sm font-semibold text-slate-900">
          Requirements
        </h2>
        <p className="mt-0.5 text-xs text-slate-500">
          The credentials this agent needs, by the name it asks for; optional ones never block it. The agent can also declare its own.
        </p>
      </div>
      <Card>
        {canManage ? (
          <Form method="post" noValidate preventScrollReset className="space-y-4 px-4 py-4 sm:px-5">
            <input type="hidden" name="intent" value="requirements" />
            <FormError errors={errors.requirements ?? errors.form} />
            {rows.length === 0 ? (
              <p className="rounded-lg border border-dashed border-slate-300 px-4 py-6 text-center text-sm text-slate-500">
                No requirements yet. Add the credentials the agent asks for, such as <code className="font-mono text-xs">github_token</code>.
              </p>
            ) : (
              <ul className="space-y-3">
                {rows.map((row, index) => (
                  <EditableRow
                    key={row.key}
                    index={index}
                    row={row}
                    errors={row.errors}
                    onChange={(next) => setRows(rows.map((r) => (r.key === row.key ? { ...r, ...next } : r)))}
                    onRemove={() => setRows(rows.filter((r) => r.key !== row.key))}
                  />
                ))}
              </ul>
            )}
            <div className="flex flex-col gap-2 border-t border-slate-100 pt-4 sm:flex-row sm:items-center sm:justify-between">
              <Button type="button" variant="secondary" onClick={() => setRows([...rows, keyed(EMPTY_ROW)])} disabled={rows.length >= MAX_REQUIREMENTS}>
                <Plus className="size-4" aria-hidden /> Add requirement
              </Button>
              <Button type="submit" disabled={submitting}>
                {submitting ? 'Saving…' : 'Save requirements'}
              </Button>
            </div>
          </Form>
        ) : (
          <ReadOnlyList rows={savedRows} />
        )}
      </Card>
    </div>
  );
}
