import { ActivityEvent } from './activity-event.entity';
import { ActivitySignal } from './activity-signal.entity';
import { JourneySnapshot } from './journey-snapshot.entity';
import { ModelVersion } from './model-version.entity';
import { ProfileAlias } from './profile-alias.entity';
import { ProfileFeatureState } from './profile-feature-state.entity';
import { RiskScore } from './risk-score.entity';
import { SegmentMember } from './segment-member.entity';

export const RISK_ENTITIES = [RiskScore, ActivityEvent, ActivitySignal, JourneySnapshot, ModelVersion, SegmentMember, ProfileAlias, ProfileFeatureState];
