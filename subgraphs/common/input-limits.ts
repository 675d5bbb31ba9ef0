import {
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';

import { AppError } from './errors';
import { PER_ITEM_VALIDATED_MUTATIONS, WIDE_JSON_KEYS, type InputStringLimitName, type InputStringLimits } from './limits';

/** One string over its cap: where it is (`input.steps[2].html`), how long, and the cap. */
export interface OversizedString {
  field: string;
  length: number;
  maxLength: number;
}

/** Most problems one answer lists; one is enough to refuse, a few help fix a form at once. */
const MAX_REPORTED = 20;

const NUMERIC_SCALARS = new Set(['Int', 'Float', 'Boolean']);

/**
 * Every string in a mutation's arguments longer than its cap in `limits`: typed `String`/`ID`
 * fields by their field name (else `text`); strings inside JSON scalars, keys included, by
 * `json` (or their key's cap for `WIDE_JSON_KEYS`). Iterative, so deep JSON costs no stack.
 */
export function oversizedStrings(args: readonly GraphQLArgument[], values: Record<string, unknown>, limits: InputStringLimits): OversizedString[] {
  const found: OversizedString[] = [];
  const capOf = (name: string) => (Object.hasOwn(limits, name) && name !== 'json' ? limits[name as InputStringLimitName] : limits.text);
  const check = (value: string, field: string, maxLength: number) => {
    if (value.length > maxLength) found.push({ field, length: value.length, maxLength });
  };
  const stack: { value: unknown; type: GraphQLInputType | null; path: string; name: string }[] = [];
  for (const arg of args) {
    if (values[arg.name] !== undefined) stack.push({ value: values[arg.name], type: arg.type, path: arg.name, name: arg.name });
  }
  while (stack.length && found.length < MAX_REPORTED) {
    const { value, type, path, name } = stack.pop()!;
    if (value === null || value === undefined) continue;
    const t = type && getNullableType(type);
    if (t && isListType(t)) {
      if (Array.isArray(value)) value.forEach((item, i) => stack.push({ value: item, type: t.ofType, path: `${path}[${i}]`, name }));
      else stack.push({ value, type: t.ofType, path, name });
    } else if (t && isInputObjectType(t)) {
      const fields = t.getFields();
      for (const [key, field] of Object.entries(fields)) {
        const child = (value as Record<string, unknown>)[key];
        if (child !== undefined) stack.push({ value: child, type: field.type, path: `${path}.${key}`, name: key });
      }
    } else if (t && (isEnumType(t) || (isScalarType(t) && NUMERIC_SCALARS.has(t.name)))) {
      continue;
    } else if (t && isScalarType(t) && (t.name === 'String' || t.name === 'ID')) {
      if (typeof value === 'string') check(value, path, capOf(name));
    } else if (typeof value === 'string') {
      // inside a JSON scalar (type null below its root)
      const wide = (WIDE_JSON_KEYS as readonly string[]).includes(name);
      check(value, path, wide ? Math.max(limits.json, limits[name as InputStringLimitName]) : limits.json);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, type: null, path: `${path}[${i}]`, name }));
    } else if (typeof value === 'object' && isPlainObject(value)) {
      for (const [key, child] of Object.entries(value)) {
        if (key.length > limits.json) found.push({ field: `${path} (a key)`, length: key.length, maxLength: limits.json });
        stack.push({ value: child, type: null, path: `${path}.${key}`, name: key });
      }
    }
  }
  return found.slice(0, MAX_REPORTED);
}

/**
 * Wraps every mutation of `schema` (except `PER_ITEM_VALIDATED_MUTATIONS`) so an argument string
 * over its cap is refused with BAD_USER_INPUT naming the field and the cap, before the resolver
 * (and so before anything is stored). The one place the table is enforced, for every subgraph.
 */
export function guardMutationInputs(schema: GraphQLSchema, limits: InputStringLimits): GraphQLSchema {
  const mutation = schema.getMutationType();
  if (!mutation) return schema;
  for (const field of Object.values(mutation.getFields())) {
    if (PER_ITEM_VALIDATED_MUTATIONS.includes(field.name) || !field.resolve) continue;
    const resolve = field.resolve;
    field.resolve = (source, args: Record<string, unknown>, context, info) => {
      const oversized = oversizedStrings(field.args, args, limits);
      if (oversized.length) throw tooLong(oversized);
      return resolve(source, args, context, info);
    };
  }
  return schema;
}

/** A JSON object (a parsed scalar may have a null prototype); not a Date or other class instance. */
function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Longest field path an answer repeats: a path into deep JSON grows with its depth. */
const MAX_PATH_CHARS = 200;

function tooLong(oversized: readonly OversizedString[]): AppError {
  const fields = oversized.map((o) => ({
    field: o.field.length > MAX_PATH_CHARS ? `${o.field.slice(0, MAX_PATH_CHARS)}…` : o.field,
    maxLength: o.maxLength,
    message: `is ${o.length} characters, over the limit of ${o.maxLength}`,
  }));
  return new AppError('BAD_USER_INPUT', fields.map((f) => `${f.field}: ${f.message}`).join('; '), { fields });
}
