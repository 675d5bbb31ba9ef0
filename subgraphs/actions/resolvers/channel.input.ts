import { IsUUID } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { ArgsType, Field, ID, InputType } from 'type-graphql';

import { ChannelKindValue } from './channel.type';

@InputType({ description: 'A new channel. `config` by kind — webhook: `url`, `subscribe` (`["alert.raised"]`), `allowedHosts`; email: `host`, `port`, `secure`, `username`, `from`, `tracking`; sms: `baseUrl`, `accountSid`, `from`, `allowedHosts`; push: `url`, `allowedHosts`. Any kind: `costPerMessage` (what one message costs, for playbook ROI; default 0).' })
export class CreateChannelInput {
  @Field(() => String)
  name!: string;

  @Field(() => ChannelKindValue)
  kind!: ChannelKindValue;

  @Field(() => GraphQLJSONObject)
  config!: Record<string, unknown>;

  @Field(() => String, {
    nullable: true,
    description: 'The secret (webhook: `whsec_<base64>`; email: SMTP password; sms: auth token; push: bearer token), or `env:NAME` to read it from the environment. Required except for email. Stored encrypted, never returned.',
  })
  secret?: string | null;
}

@InputType({ description: 'What to change; omitted fields stay. Secrets change through `rotateChannelSecret`.' })
export class UpdateChannelInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The whole new settings of the kind.' })
  config?: Record<string, unknown> | null;
}

@ArgsType()
export class ChannelIdArgs {
  @Field(() => ID)
  @IsUUID()
  id!: string;
}
