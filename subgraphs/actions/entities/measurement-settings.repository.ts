import { randomBytes } from 'node:crypto';

import { insertOnce, type EntityManager } from '../../common/orm';
import { MeasurementSettings } from './measurement-settings.entity';

/** The measurement settings row of one tenant, created with a fresh salt the first time it is read. */
export class MeasurementSettingsRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /** The row, inserted if missing (insert-or-ignore: two first readers agree on one salt). */
  async get(): Promise<MeasurementSettings> {
    const found = await this.em.findOne(MeasurementSettings, { tenantId: this.tenantId }, { disableIdentityMap: true });
    if (found) return found;
    return insertOnce(this.em, MeasurementSettings, { tenantId: this.tenantId, salt: randomBytes(24).toString('base64url') }, ['tenantId']);
  }

  async update(fields: { globalControlFraction?: number; globalControlPeriodDays?: number; supportEvents?: string[]; churnEvents?: string[] }, now: Date): Promise<MeasurementSettings> {
    await this.get();
    await this.em.nativeUpdate(MeasurementSettings, { tenantId: this.tenantId }, { ...fields, updatedAt: now });
    return (await this.em.findOne(MeasurementSettings, { tenantId: this.tenantId }, { disableIdentityMap: true }))!;
  }
}
