import { Field, Float, Int, ObjectType } from 'type-graphql';

import type { MeasurementSettings } from '../entities/measurement-settings.entity';

@ObjectType('MeasurementSettings', { description: 'Your tenant’s global control group: customers who get no playbook at all, to measure the programme as a whole.' })
export class MeasurementSettingsType {
  @Field(() => Float, { description: 'Share of customers in the global control group (default 0.05).' })
  globalControlFraction!: number;

  @Field(() => Int, { description: 'Days before the group is redrawn (default 30), so nobody is held out of everything for ever.' })
  globalControlPeriodDays!: number;

  @Field(() => Date)
  updatedAt!: Date;
}

/** The API view of the settings: the salt never leaves the subgraph. */
export function measurementSettingsOf(row: MeasurementSettings): MeasurementSettingsType {
  return { globalControlFraction: row.globalControlFraction, globalControlPeriodDays: row.globalControlPeriodDays, updatedAt: row.updatedAt };
}
