import { AppError } from '../../common/errors';
import type { EntityManager } from '../../common/orm';
import { validateMeasurementSettings, type MeasurementSettingsDraft } from '../domain/validate-measurement-settings';
import type { MeasurementSettings } from '../entities/measurement-settings.entity';
import { MeasurementSettingsRepository } from '../entities/measurement-settings.repository';

/** A tenant's global control group and KPI event settings (the salt stays inside). */
export class MeasurementSettingsService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get(): Promise<MeasurementSettings> {
    return new MeasurementSettingsRepository(this.em, this.tenantId).get();
  }

  /** Changes what is given; BAD_USER_INPUT naming every field in error. Enrolments from now on use it. */
  async update(draft: MeasurementSettingsDraft): Promise<MeasurementSettings> {
    const problems = validateMeasurementSettings(draft);
    if (problems.length) {
      const fields = problems.map((p) => ({ field: `input.${p.field}`, message: p.message }));
      throw new AppError('BAD_USER_INPUT', fields.map((f) => `${f.field}: ${f.message}`).join('; '), { fields });
    }
    const fields = {
      ...(draft.globalControlFraction != null ? { globalControlFraction: draft.globalControlFraction } : {}),
      ...(draft.globalControlPeriodDays != null ? { globalControlPeriodDays: draft.globalControlPeriodDays } : {}),
      ...(draft.supportEvents != null ? { supportEvents: uniqueNames(draft.supportEvents) } : {}),
      ...(draft.churnEvents != null ? { churnEvents: uniqueNames(draft.churnEvents) } : {}),
    };
    return new MeasurementSettingsRepository(this.em, this.tenantId).update(fields, this.now());
  }
}

/** The names trimmed, each once, in the order given. */
function uniqueNames(names: readonly string[]): string[] {
  return [...new Set(names.map((n) => n.trim()))];
}
