import { AppError } from '../../common/errors';
import type { EntityManager } from '../../common/orm';
import { validateContactPolicy, type ContactPolicyDraft } from '../domain/validate-contact-policy';
import { ContactPolicyRow } from '../entities/contact-policy.entity';
import { ContactPolicyRepository } from '../entities/contact-policy.repository';

/** Quiet hours and frequency caps per channel, for one tenant (scope `admin`). */
export class ContactPolicyService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  list(): Promise<ContactPolicyRow[]> {
    return new ContactPolicyRepository(this.em, this.tenantId).list();
  }

  /** Sets the channel's policy, replacing the one it had. Setting the same policy twice is harmless. */
  async set(draft: ContactPolicyDraft): Promise<ContactPolicyRow> {
    const { policy, problems } = validateContactPolicy(draft);
    if (!policy) throw new AppError('BAD_USER_INPUT', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { fields: problems, field: problems[0].field });
    const now = this.now();
    const repo = new ContactPolicyRepository(this.em, this.tenantId);
    const row = (await repo.byChannel(policy.channel)) ?? this.em.create(ContactPolicyRow, { tenantId: this.tenantId, channel: policy.channel, createdAt: now, updatedAt: now });
    Object.assign(row, { quietStart: policy.quietStart, quietEnd: policy.quietEnd, timezone: policy.timezone, capCount: policy.capCount, capWindowSeconds: policy.capWindowSeconds, updatedAt: now });
    await this.em.flush();
    return row;
  }

  /** Removes the channel's policy (sends go out at any hour, uncapped). False when it had none. */
  async remove(channel: string): Promise<boolean> {
    return (await this.em.nativeDelete(ContactPolicyRow, { tenantId: this.tenantId, channel: channel.trim() })) > 0;
  }
}
