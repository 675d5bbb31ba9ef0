import { AppError } from '../../common/errors';
import type { EntityManager } from '../../common/orm';
import { FRICTION_DEFAULTS, resolveFrictionConfig, type FrictionConfig } from '../domain/friction/settings';
import { FrictionSettings } from '../entities/friction-settings.entity';
import { forgetTenantRules } from './friction.service';

/** A tenant's settings as read back: its overrides and the configuration in effect. */
export interface FrictionSettingsView {
  overrides: Record<string, unknown>;
  /** A `FrictionConfig`, typed as JSON for the API. */
  effective: Record<string, unknown>;
  updatedAt: Date | null;
}

/** Tenant-scoped friction-detector settings (JSON overrides over `FRICTION_DEFAULTS`). */
export class FrictionSettingsService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  async get(): Promise<FrictionSettingsView> {
    const row = await this.em.findOne(FrictionSettings, { tenantId: this.tenantId });
    return this.view(row);
  }

  /**
   * The configuration the detectors use. Overrides stored before a default was renamed or
   * tightened fall back to the defaults rather than stopping detection.
   */
  async config(): Promise<FrictionConfig> {
    const row = await this.em.findOne(FrictionSettings, { tenantId: this.tenantId });
    return resolveFrictionConfig(row?.overrides).config ?? structuredClone(FRICTION_DEFAULTS);
  }

  /** Replaces the tenant's overrides (`{}` restores the defaults); BAD_USER_INPUT lists every problem. */
  async update(overrides: Record<string, unknown>): Promise<FrictionSettingsView> {
    const resolved = resolveFrictionConfig(overrides);
    if (!resolved.config) {
      throw new AppError('BAD_USER_INPUT', `invalid friction settings: ${resolved.problems.join('; ')}`, { problems: resolved.problems });
    }
    let row = await this.em.findOne(FrictionSettings, { tenantId: this.tenantId });
    if (row) row.overrides = overrides;
    else row = this.em.create(FrictionSettings, { tenantId: this.tenantId, overrides });
    await this.em.flush();
    forgetTenantRules(this.tenantId);
    return this.view(row);
  }

  private view(row: FrictionSettings | null): FrictionSettingsView {
    const overrides = row?.overrides ?? {};
    return {
      overrides,
      effective: (resolveFrictionConfig(overrides).config ?? structuredClone(FRICTION_DEFAULTS)) as unknown as Record<string, unknown>,
      updatedAt: row?.updatedAt ?? null,
    };
  }
}
