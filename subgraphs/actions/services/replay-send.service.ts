import { AppError } from '../../common/errors';
import type { EntityManager } from '../../common/orm';
import type { Queues } from '../../common/queues';
import type { StepDelivery } from '../entities/step-delivery.entity';
import { StepDeliveryRepository } from '../entities/step-delivery.repository';
import { queueReplaySends } from './queue-replay-sends';

/** The replay of a tenant's dead-lettered playbook sends (`replaySend`), on the API side. */
export class ReplaySendService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly queues: Pick<Queues, 'get'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Sends a dead-lettered send (status failed) again: a fresh provider call for the same message
   * on the same ledger row, which the `replay-send` worker makes. The run is not rewound: it
   * already followed its failure branch. The row goes back in flight in one compare-and-set UPDATE
   * (claimed, tries from zero, one more replay, the replay's marker), committed before the job is
   * queued: a crash or a Redis flush in between leaves the marker, and the reconciler queues it.
   * NOT_FOUND for a row of another tenant; CONFLICT unless the row is failed (a sent send, one a
   * guardrail skipped, one in flight or already being replayed), and while the failure's own
   * `Message Failed` is still on its way to the event stream (`outcomeEventPendingSince`, cleared
   * once signals has stored it, normally within a second): that event is rebuilt from the row
   * when its job is lost, and a replay rewrites the row, so replaying first would lose it.
   */
  async request(id: string): Promise<StepDelivery> {
    const deliveries = new StepDeliveryRepository(this.em, this.tenantId);
    const row = await deliveries.byId(id);
    if (!row) throw new AppError('NOT_FOUND', `send ${id} not found`, { field: 'id' });
    if (row.status !== 'failed') throw new AppError('CONFLICT', `send ${id} is ${row.status}; only a dead-lettered (failed) send can be replayed`, { field: 'id' });
    if (row.outcomeEventPendingSince) throw pendingFailureEvent(id);
    // a concurrent replay of the same row won the compare-and-set: this one is refused, not doubled
    if (!(await deliveries.requestReplay(id, this.now()))) {
      const now = await deliveries.byId(id);
      throw now?.status === 'failed' && now.outcomeEventPendingSince ? pendingFailureEvent(id) : new AppError('CONFLICT', `send ${id} is being replayed already`, { field: 'id' });
    }
    const replayed = (await deliveries.byId(id))!;
    await queueReplaySends(this.queues, [{ tenantId: this.tenantId, deliveryId: id, replay: replayed.replays }]);
    return replayed;
  }
}

/** The refusal of a replay whose failure event is not recorded yet: retry shortly. */
function pendingFailureEvent(id: string): AppError {
  return new AppError('CONFLICT', `send ${id} failed moments ago and its Message Failed event is still being recorded; replay it again in a few seconds`, {
    field: 'id',
    retryAfterSeconds: 5,
  });
}
