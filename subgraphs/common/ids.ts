const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Our primary keys are UUIDs; anything else can never match a row (and PostgreSQL would reject it). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
