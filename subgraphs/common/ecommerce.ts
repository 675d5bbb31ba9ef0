/**
 * The amount of an event per the Segment e-commerce spec: `properties.revenue`, else
 * `properties.total` (numbers, or numeric strings as some SDKs send); null when neither is one.
 * Shared so profiles (computed traits) and risk (lifetime value) agree on what an order was worth.
 */
export function eventAmount(properties: Record<string, unknown>): number | null {
  return asAmount(properties.revenue) ?? asAmount(properties.total);
}

function asAmount(raw: unknown): number | null {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
