// The requirements editor's form, both ends: its field names (`requirements.0.name`…), reading a post back into a list, and the catalog checks the schema cannot make.
import { getService } from '~/credentials/catalog';
import type { RequirementInput } from './requirements';

export const REQUIREMENT_FIELDS = ['name', 'service', 'type', 'optional', 'description'] as const;
export type RequirementField = (typeof REQUIREMENT_FIELDS)[number];

/** One row's field, named as the service's field errors are keyed (fieldErrorsFromZod: `requirements.0.name`). */
export function requirementFieldName(index: number, field: RequirementField): string {
  return `requirements.${index}.${field}`;
}

/** A row as the editor posts it (strings; the checkbox present or not). */
export interface RequirementRow {
  name: string;
  service: string;
  type: string;
  optional: boolean;
  description: string;
}

const FIELD_PATTERN = /^requirements\.(\d{1,4})\.(name|service|type|optional|description)$/;

/**
 * The posted rows in index order, renumbered from 0 (the editor numbers them so; a gap left by a
 * hand-made post closes up). Rows with every field empty are dropped: an "Add" clicked and left blank.
 */
export function requirementRowsFromForm(form: FormData): RequirementRow[] {
  const rows = new Map<number, RequirementRow>();
  for (const [key, value] of form.entries()) {
    const match = FIELD_PATTERN.exec(key);
    if (!match || typeof value !== 'string') continue;
    const index = Number(match[1]);
    const row = rows.get(index) ?? {
      name: '',
      service: '',
      type: '',
      optional: false,
      description: '',
    };
    const field = match[2] as RequirementField;
    if (field === 'optional') row.optional = value !== '' && value !== 'false';
    else row[field] = value;
    rows.set(index, row);
  }
  return [...rows.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, row]) => row)
    .filter((row) => row.name.trim() || row.service || row.type || row.description.trim());
}

/** What setAgentRequirements receives: empty service and type mean "any". */
export function requirementInputs(rows: readonly RequirementRow[]): RequirementInput[] {
  return rows.map((row) => ({
    name: row.name,
    service: row.service || undefined,
    type: (row.type || undefined) as RequirementInput['type'],
    optional: row.optional,
    description: row.description,
  }));
}

/** The rows stored, as the editor shows them. */
export function requirementRows(
  list: readonly {
    name: string;
    service?: string | null;
    type?: string | null;
    optional: boolean;
    description: string;
  }[]
): RequirementRow[] {
  return list.map((r) => ({
    name: r.name,
    service: r.service ?? '',
    type: r.type ?? '',
    optional: r.optional,
    description: r.description,
  }));
}

/** A service the catalog does not have, or a type the chosen service does not offer, as field errors keyed like the schema's. */
export function catalogRequirementErrors(rows: readonly RequirementRow[]): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  rows.forEach((row, index) => {
    if (!row.service) return;
    const service = getService(row.service);
    if (!service) {
      errors[requirementFieldName(index, 'service')] = ['Pick a service from the catalog'];
    } else if (row.type && !(service.credentialTypes as readonly string[]).includes(row.type)) {
      errors[requirementFieldName(index, 'type')] = [`${service.displayName} does not offer this type`];
    }
  });
  return errors;
}
