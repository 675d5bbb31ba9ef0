import { IsIn, IsOptional, IsUUID, Length } from 'class-validator';
import { ArgsType, Field, ID, InputType } from 'type-graphql';

import { PageArgs } from './playbook.input';

@InputType({ description: 'Every field given must hold (AND). Omit the filter for the whole ledger.' })
export class LedgerFilter {
  @Field(() => String, { nullable: true, description: 'claimed (in flight), sent, failed (dead-lettered) or skipped.' })
  @IsOptional()
  @IsIn(['claimed', 'sent', 'failed', 'skipped'])
  status?: 'claimed' | 'sent' | 'failed' | 'skipped' | null;

  @Field(() => String, { nullable: true, description: 'The channel’s name.' })
  @IsOptional()
  @Length(1, 100)
  channel?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  profileId?: string | null;

  @Field(() => Date, { nullable: true, description: 'Entries claimed from this time on (default: the beginning).' })
  @IsOptional()
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Entries claimed before this time (default: now).' })
  @IsOptional()
  to?: Date | null;
}

@ArgsType()
export class LedgerArgs extends PageArgs {
  @Field(() => LedgerFilter, { nullable: true })
  @IsOptional()
  filter?: LedgerFilter | null;
}

@ArgsType()
export class StepDeliveryIdArgs {
  @Field(() => ID, { description: 'The ledger entry’s `id`.' })
  @IsUUID()
  id!: string;
}
