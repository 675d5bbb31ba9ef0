import { DemoApiError, type DemoApi } from './demo-api';

/** A trained model version as the demo reports it. */
export interface TrainedModel {
  id: string;
  status: string;
  active: boolean;
  /** Why activation needed `force` (the platform judged the model uninformative), or null. */
  forcedBecause: string | null;
  error: string | null;
  metrics: Record<string, any> | null;
}

/** The churn label of the demo: the account closed within 28 days of the snapshot. */
export const CHURN_LABEL = { event: 'Account Closed', withinDays: 28 };

/** Queues the churn model's training (weekly snapshots over eight weeks) and returns its id. */
export async function trainChurnModel(api: DemoApi): Promise<string> {
  const { trainModel } = await api.gql<{ trainModel: { id: string } }>(
    `mutation($input: TrainModelInput!) { trainModel(input: $input) { id } }`,
    {
      input: {
        kind: 'CHURN',
        label: CHURN_LABEL,
        features: { events: ['Ticket Created', 'Payment Declined', 'NPS Submitted'], traits: [{ name: 'segment', type: 'CATEGORICAL' }] },
        window: { everyDays: 7, count: 8 },
        holdoutFraction: 0.3,
      },
    },
  );
  return trainModel.id;
}

/** Queues the BG/NBD + Gamma-Gamma fit on card purchases up to `calibrationEnd`; returns its id. */
export async function fitLifetimeModel(api: DemoApi, calibrationEnd: Date): Promise<string> {
  const { fitLifetimeModel: model } = await api.gql<{ fitLifetimeModel: { id: string } }>(
    `mutation($input: FitLifetimeModelInput!) { fitLifetimeModel(input: $input) { id } }`,
    { input: { calibrationEnd: calibrationEnd.toISOString(), timeUnit: 'WEEKS', horizon: 52, purchaseEvent: 'Order Completed' } },
  );
  return model.id;
}

/** Polls `model(id)` until READY or FAILED (or `timeoutMs`), telling `onProgress` its progress. */
export async function waitForModel(api: DemoApi, id: string, timeoutMs: number, onProgress?: (progress: number) => void): Promise<TrainedModel> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { model } = await api.gql<{ model: { id: string; status: string; progress: number; active: boolean; error: string | null; metrics: Record<string, any> | null } }>(
      `query($id: ID!) { model(id: $id) { id status progress active error metrics } }`,
      { id },
    );
    onProgress?.(model.progress);
    if (model.status === 'READY' || model.status === 'FAILED' || Date.now() > deadline) {
      return { id: model.id, status: model.status, active: model.active, forcedBecause: null, error: model.error, metrics: model.metrics };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Activates a READY model. The platform refuses one it judges uninformative; the demo then
 * activates it anyway (`force`) and records why, so the report can say so.
 */
export async function activate(api: DemoApi, model: TrainedModel): Promise<TrainedModel> {
  if (model.status !== 'READY') return model;
  const mutation = `mutation($id: ID!, $force: Boolean) { activateModel(id: $id, force: $force) { id active } }`;
  try {
    await api.gql(mutation, { id: model.id, force: false });
    return { ...model, active: true };
  } catch (err) {
    if (!(err instanceof DemoApiError)) throw err;
    await api.gql(mutation, { id: model.id, force: true });
    return { ...model, active: true, forcedBecause: err.message };
  }
}
