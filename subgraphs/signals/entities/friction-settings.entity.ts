import { Entity, Property, Unique, type Opt } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';

/**
 * A tenant's friction-detector settings: JSON overrides merged over `FRICTION_DEFAULTS`
 * (`domain/friction/settings.ts`). No row means the defaults.
 */
@Entity({ tableName: 'friction_settings' })
@Unique({ properties: ['tenantId'] })
export class FrictionSettings extends TenantEntity {
  /** Only what differs from the defaults, e.g. `{ "retryLoop": { "minFailures": 4 } }`. */
  @Property({ type: 'json' })
  overrides: Opt<Record<string, unknown>> = {};
}
