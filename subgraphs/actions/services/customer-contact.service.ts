import { ProfileAliases } from '../../common/profile-aliases';
import type { EntityManager } from '../../common/orm';
import { firstContactAfter } from '../domain/customer-contact';
import { AlertRepository } from '../entities/alert.repository';
import { MeasurementSettingsRepository } from '../entities/measurement-settings.repository';
import { ProfileAlias } from '../entities/profile-alias.entity';

/**
 * Records on each alert when its customer first contacted support or churned after it was raised
 * (the tenant's `supportEvents` and `churnEvents`), from the events signals hands to actions: the
 * moment the proactive resolution KPI compares the alert's resolution with. Per batch: one read
 * of the settings; when the batch holds such events, one of the merge aliases, one of the alerts,
 * and one UPDATE per distinct moment. Safe to run twice (only an earlier moment replaces one).
 */
export class CustomerContactService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  async record(events: readonly { profileId: string; name: string; occurredAt: Date }[]): Promise<number> {
    if (events.length === 0) return 0;
    const settings = await new MeasurementSettingsRepository(this.em, this.tenantId).get();
    const names = new Set([...settings.supportEvents, ...settings.churnEvents]);
    const contacts = events.filter((e) => names.has(e.name));
    if (contacts.length === 0) return 0;
    // an event sent before a merge names the merged profile; its alerts now live on the survivor
    const survivors = await new ProfileAliases(this.em, ProfileAlias, this.tenantId).survivorsOf([...new Set(contacts.map((e) => e.profileId))]);
    const onSurvivors = contacts.map((e) => ({ profileId: survivors.get(e.profileId) ?? e.profileId, occurredAt: e.occurredAt }));
    const times = onSurvivors.map((e) => e.occurredAt.getTime());
    const alerts = new AlertRepository(this.em, this.tenantId);
    const open = await alerts.awaitingContact([...new Set(onSurvivors.map((e) => e.profileId))], new Date(Math.min(...times)), new Date(Math.max(...times)));
    return alerts.recordCustomerActed(firstContactAfter(open, onSurvivors));
  }
}
