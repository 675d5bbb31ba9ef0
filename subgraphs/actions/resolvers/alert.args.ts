import { IsOptional, IsUUID, Max, Min } from 'class-validator';
import { ArgsType, Field, ID, Int } from 'type-graphql';

import { AlertStatus } from '../entities/alert.entity';

@ArgsType()
export class AlertsArgs {
  @Field(() => AlertStatus, { nullable: true })
  @IsOptional()
  status?: AlertStatus | null;

  @Field(() => Int, { defaultValue: 50 })
  @Min(1)
  @Max(500)
  first: number = 50;
}

@ArgsType()
export class AcknowledgeAlertArgs {
  @Field(() => ID)
  @IsUUID()
  id!: string;
}
