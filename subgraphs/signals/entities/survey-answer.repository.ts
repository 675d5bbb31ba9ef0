import { raw } from '@mikro-orm/core';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';

import type { EntityManager } from '../../common/orm';
import type { NpsAnswerCount } from '../domain/nps';
import { Event } from './event.entity';

/** Survey answers among a tenant's stored `track` events. */
export class SurveyAnswerRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * Events named `event` in [from, to), counted by week since `from` and by the raw value of their
   * top-level `property`: one aggregate, never the rows. `property` is a config value, bound as a
   * parameter all the same.
   */
  async countByWeek(event: string, property: string, from: Date, to: Date): Promise<NpsAnswerCount[]> {
    const platform = this.em.getPlatform();
    const pg = platform instanceof PostgreSqlPlatform;
    // dates are timestamps on PostgreSQL and epoch ms on SQLite (as the driver stores them)
    const from_ = platform.processDateProperty(from);
    const answered = this.em
      .createQueryBuilder(Event, 'e')
      .select([
        pg ? raw('floor(extract(epoch from (e.timestamp - ?::timestamptz)) / 604800) as week', [from_]) : raw('(e.timestamp - ?) / 604800000 as week', [from_]),
        pg ? raw('e.properties ->> ? as answer', [property]) : raw('json_extract(e.properties, ?) as answer', [`$."${property}"`]),
      ])
      .where({ tenantId: this.tenantId, type: 'track', name: event, timestamp: { $gte: from, $lt: to } })
      .getKnexQuery();
    const knex = this.em.getKnex();
    const query = knex.select('a.week', 'a.answer', knex.raw('count(*) as responses')).from(answered.as('a')).groupBy('a.week', 'a.answer');
    const rows = (await this.em.getConnection().execute(query)) as { week: number | string; answer: unknown; responses: number | string }[];
    return rows.map((r) => ({ week: Number(r.week), answer: r.answer, count: Number(r.responses) }));
  }
}
