import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { uuidv7 } from 'uuidv7';

import { AppError } from '../../common/errors';
import type { EntityManager } from '../../common/orm';
import { validateChannel, validateChannelSecret, type ChannelDraft, type ChannelProblem } from '../domain/validate-channel';
import { Channel, type StoredSecret } from '../entities/channel.entity';
import { ChannelRepository } from '../entities/channel.repository';
import type { SecretBox } from './channels/secret-box';

/** What an update may change: the name and the settings (the kind is fixed; secrets rotate). */
export interface ChannelUpdate {
  name?: string | null;
  config?: Record<string, unknown> | null;
}

/** Channel administration for one tenant. Secrets are sealed before they are stored and never read back out. */
export class ChannelService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly box: SecretBox,
    /** How long a rotated-out webhook secret keeps signing beside the new one, ms. */
    private readonly overlapMs: number,
  ) {}

  list(): Promise<Channel[]> {
    return new ChannelRepository(this.em, this.tenantId).list();
  }

  async create(draft: ChannelDraft, now = new Date()): Promise<Channel> {
    const { channel, problems } = validateChannel(draft, { secretRequired: true });
    if (!channel) throw badInput(problems);
    const id = uuidv7();
    const secrets = channel.secret ? [this.stored(channel.secret, id, now)] : [];
    const row = this.em.create(Channel, { id, tenantId: this.tenantId, name: channel.name, kind: channel.kind, config: channel.config, secrets, createdAt: now, updatedAt: now });
    await this.flushNamed(channel.name);
    return row;
  }

  async update(id: string, change: ChannelUpdate): Promise<Channel> {
    const row = await this.getOrFail(id);
    const draft = { name: change.name ?? row.name, kind: row.kind, config: change.config ?? (row.config as unknown as Record<string, unknown>) };
    const { channel, problems } = validateChannel(draft, { secretRequired: false });
    if (!channel) throw badInput(problems);
    row.name = channel.name;
    row.config = channel.config;
    await this.flushNamed(channel.name);
    return row;
  }

  /**
   * Adds `secret` as the channel's current secret. A webhook's previous secrets keep signing
   * beside it for the overlap period (receivers accept either while they switch); other kinds
   * drop the old one at once (a provider accepts one credential). Expired secrets are removed.
   */
  async rotateSecret(id: string, secret: string, now = new Date()): Promise<Channel> {
    const row = await this.getOrFail(id);
    const problems = validateChannelSecret(row.kind, secret);
    if (problems.length) throw badInput(problems, '');
    const until = new Date(now.getTime() + (row.kind === 'webhook' ? this.overlapMs : 0)).toISOString();
    const kept = row.secrets
      .filter((s) => s.expiresAt === null || new Date(s.expiresAt) > now)
      .map((s) => ({ ...s, expiresAt: s.expiresAt === null || s.expiresAt > until ? until : s.expiresAt }))
      .filter((s) => new Date(s.expiresAt) > now);
    row.secrets = [...kept, this.stored(secret, row.id, now)];
    await this.em.flush();
    return row;
  }

  async disable(id: string, reason: string | null): Promise<Channel> {
    const row = await this.getOrFail(id);
    if (reason !== null && reason.length > 500) throw badInput([{ field: 'reason', message: 'must be at most 500 characters' }], '');
    if (row.enabled || (reason && reason !== row.disabledReason)) {
      row.enabled = false;
      row.disabledReason = reason ?? 'disabled by an administrator';
      row.disabledAt = new Date();
      await this.em.flush();
    }
    return row;
  }

  async enable(id: string): Promise<Channel> {
    const row = await this.getOrFail(id);
    if (!row.enabled) {
      row.enabled = true;
      row.disabledReason = null;
      row.disabledAt = null;
      row.consecutiveFailures = 0;
      await this.em.flush();
    }
    return row;
  }

  private async getOrFail(id: string): Promise<Channel> {
    const row = await new ChannelRepository(this.em, this.tenantId).byId(id);
    if (!row) throw new AppError('NOT_FOUND', `channel ${id} not found`, { field: 'id' });
    return row;
  }

  private stored(secret: string, channelId: string, now: Date): StoredSecret {
    return { id: `sec_${uuidv7()}`, value: this.box.seal(secret, this.tenantId, channelId), createdAt: now.toISOString(), expiresAt: null };
  }

  private async flushNamed(name: string): Promise<void> {
    try {
      await this.em.flush();
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw new AppError('CONFLICT', `a channel named ${name} exists already`, { field: 'input.name' });
      throw err;
    }
  }
}

/** BAD_USER_INPUT naming every field in error (`<prefix><path>`, e.g. `input.config.url`). */
function badInput(problems: readonly ChannelProblem[], prefix = 'input.'): AppError {
  const fields = problems.map((p) => ({ field: `${prefix}${p.field}`, message: p.message }));
  return new AppError('BAD_USER_INPUT', fields.map((f) => `${f.field}: ${f.message}`).join('; '), { fields });
}
