import { Alert } from './alert.entity';
import { AlertRuleState } from './alert-rule-state.entity';
import { AlertRuleVersion } from './alert-rule-version.entity';
import { Channel } from './channel.entity';
import { MeasurementSettings } from './measurement-settings.entity';
import { PlaybookAssignment } from './playbook-assignment.entity';
import { PlaybookOutcome } from './playbook-outcome.entity';
import { ContactPolicyRow } from './contact-policy.entity';
import { PlaybookRun } from './playbook-run.entity';
import { PlaybookVersion } from './playbook-version.entity';
import { ProfileAlias } from './profile-alias.entity';
import { SegmentStay } from './segment-stay.entity';
import { StepDelivery } from './step-delivery.entity';
import { Task } from './task.entity';
import { WebhookDelivery } from './webhook-delivery.entity';

export const ACTIONS_ENTITIES = [Alert, AlertRuleVersion, AlertRuleState, ProfileAlias, Channel, WebhookDelivery, PlaybookVersion, PlaybookRun, StepDelivery, Task, MeasurementSettings, PlaybookAssignment, PlaybookOutcome, ContactPolicyRow, SegmentStay];
