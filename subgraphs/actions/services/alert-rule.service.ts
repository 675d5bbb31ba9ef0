import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { uuidv7 } from 'uuidv7';

import { AppError } from '../../common/errors';
import type { EntityManager } from '../../common/orm';
import { validateAlertRule, type AlertRuleDraft, type ValidAlertRule } from '../domain/validate-alert-rule';
import { AlertRuleVersion } from '../entities/alert-rule-version.entity';
import { AlertRuleRepository } from '../entities/alert-rule.repository';

/** Alert rule administration for one tenant: rules are versioned, never edited in place. */
export class AlertRuleService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /** The current version of every rule (the default rule included, created on first use). */
  async list(includeArchived: boolean): Promise<AlertRuleVersion[]> {
    const rows = await new AlertRuleRepository(this.em, this.tenantId).currentWithDefault();
    return includeArchived ? rows : rows.filter((r) => !r.archived);
  }

  /** The current version of a rule, or null. */
  async get(ruleId: string): Promise<AlertRuleVersion | null> {
    await new AlertRuleRepository(this.em, this.tenantId).currentWithDefault();
    return new AlertRuleRepository(this.em, this.tenantId).findCurrent(ruleId);
  }

  /** Stores version 1 of a new rule. */
  async create(draft: AlertRuleDraft): Promise<AlertRuleVersion> {
    const rule = checked(draft);
    // the default rule first, so a tenant's first own rule does not suppress it
    await new AlertRuleRepository(this.em, this.tenantId).currentWithDefault();
    const row = this.em.create(AlertRuleVersion, { tenantId: this.tenantId, ruleId: uuidv7(), version: 1, ...rule, builtIn: false });
    await this.em.flush();
    return row;
  }

  /**
   * Stores the next version of a rule and makes it current, in one transaction. Alerts raised
   * under an earlier version keep pointing at it. Two concurrent updates of one rule: one wins,
   * the other gets CONFLICT.
   */
  async update(ruleId: string, draft: AlertRuleDraft): Promise<AlertRuleVersion> {
    const rule = checked(draft);
    try {
      return await this.em.transactional(async (tx) => {
        const current = await this.currentOrFail(tx, ruleId);
        if (current.archived) throw new AppError('CONFLICT', `alert rule ${ruleId} is archived`, { field: 'id' });
        current.current = false;
        const next = tx.create(AlertRuleVersion, { tenantId: this.tenantId, ruleId, version: current.version + 1, ...rule, builtIn: current.builtIn });
        await tx.flush();
        return next;
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw new AppError('CONFLICT', `alert rule ${ruleId} was changed meanwhile; read it and try again`, { field: 'id' });
      throw err;
    }
  }

  /** Stops a rule for good: it raises nothing more and is listed only with `includeArchived`. Idempotent. */
  async archive(ruleId: string): Promise<AlertRuleVersion> {
    const current = await this.currentOrFail(this.em, ruleId);
    if (!current.archived) {
      current.archived = true;
      await this.em.flush();
    }
    return current;
  }

  private async currentOrFail(em: EntityManager, ruleId: string): Promise<AlertRuleVersion> {
    await new AlertRuleRepository(em, this.tenantId).currentWithDefault();
    const row = await new AlertRuleRepository(em, this.tenantId).findCurrent(ruleId);
    if (!row) throw new AppError('NOT_FOUND', `alert rule ${ruleId} not found`, { field: 'id' });
    return row;
  }
}

/** The validated rule, or BAD_USER_INPUT naming every field in error (`input.<path>`). */
function checked(draft: AlertRuleDraft): ValidAlertRule {
  const { rule, problems } = validateAlertRule(draft);
  if (!rule) {
    const fields = problems.map((p) => ({ field: `input.${p.field}`, message: p.message }));
    throw new AppError('BAD_USER_INPUT', fields.map((f) => `${f.field}: ${f.message}`).join('; '), { fields });
  }
  return rule;
}
