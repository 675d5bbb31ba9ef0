import { createHash } from 'node:crypto';

import type { EntityManager } from '../../common/orm';
import { DEFAULT_ALERT_RULE, type AlertRuleSpec, type AlertSeverityName } from '../domain/alert-rule';
import { AlertRuleVersion } from './alert-rule-version.entity';

/** Alert rule versions of one tenant. */
export class AlertRuleRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * The current version of every rule of the tenant (archived and disabled ones included), in
   * creation order. A tenant with no rule at all gets the default rule first: created lazily, so
   * tenants that existed before rules get it too, and idempotently (its id is derived from the
   * tenant, so two workers creating it at once store one row). Archiving it does not bring it back.
   */
  async currentWithDefault(): Promise<AlertRuleVersion[]> {
    const rows = await this.current();
    if (rows.length > 0) return rows;
    const row = this.em.create(
      AlertRuleVersion,
      {
        tenantId: this.tenantId,
        ruleId: defaultRuleId(this.tenantId),
        version: 1,
        name: DEFAULT_ALERT_RULE.name,
        severity: DEFAULT_ALERT_RULE.severity,
        team: DEFAULT_ALERT_RULE.team,
        cooldownSeconds: DEFAULT_ALERT_RULE.cooldownSeconds,
        trigger: DEFAULT_ALERT_RULE.trigger,
        conditions: DEFAULT_ALERT_RULE.conditions,
        builtIn: true,
      },
      { persist: false },
    );
    await this.em.upsert(AlertRuleVersion, row, { onConflictFields: ['tenantId', 'ruleId', 'version'], onConflictAction: 'ignore' });
    return this.current();
  }

  /** The current version of every rule, in creation order. One SELECT. */
  current(): Promise<AlertRuleVersion[]> {
    return this.em.find(AlertRuleVersion, { tenantId: this.tenantId, current: true }, { orderBy: { createdAt: 'asc', ruleId: 'asc' }, disableIdentityMap: true });
  }

  /** The current version of one rule, or null. */
  findCurrent(ruleId: string): Promise<AlertRuleVersion | null> {
    return this.em.findOne(AlertRuleVersion, { tenantId: this.tenantId, ruleId, current: true });
  }

  /** Every version of one rule, newest first. */
  versions(ruleId: string): Promise<AlertRuleVersion[]> {
    return this.em.find(AlertRuleVersion, { tenantId: this.tenantId, ruleId }, { orderBy: { version: 'desc' } });
  }
}

/** The default rule's id for a tenant: a uuid-shaped hash of the tenant, the same in every process. */
export function defaultRuleId(tenantId: string): string {
  const hex = createHash('sha256').update(`foresight-default-alert-rule:${tenantId}`).digest('hex');
  // version nibble 8 (custom, RFC 9562) and the RFC variant bits
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A stored version as rule evaluation sees it. */
export function specOf(row: AlertRuleVersion): AlertRuleSpec {
  return {
    id: row.ruleId,
    version: row.version,
    name: row.name,
    severity: row.severity as AlertSeverityName,
    team: row.team,
    cooldownSeconds: row.cooldownSeconds,
    trigger: row.trigger,
    conditions: row.conditions ?? {},
    builtIn: row.builtIn,
    playbookId: row.playbookId,
  };
}
