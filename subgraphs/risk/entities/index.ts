import { RiskScore } from './risk-score.entity';

export const RISK_ENTITIES = [RiskScore];
