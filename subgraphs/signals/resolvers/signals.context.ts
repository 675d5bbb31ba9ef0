import type { FsPubSub } from '../../common/pubsub';
import type { RequestContext } from '../../common/request-context';
import type { EventService } from '../services/event.service';
import type { FrictionSettingsService } from '../services/friction-settings.service';
import type { IngestService } from '../services/ingest.service';
import type { NpsKpisService } from '../services/nps-kpis.service';
import type { JourneyService } from '../services/journey.service';
import type { PipelineStatusService } from '../services/pipeline-status.service';
import type { SignalService } from '../services/signal.service';

export interface SignalsContext extends RequestContext {
  /** Redis pub/sub, for the `signalDetected` subscription. */
  pubSub: FsPubSub;
  services: { signals: SignalService; frictionSettings: FrictionSettingsService; events: EventService; ingest: IngestService; journeys: JourneyService; pipeline: PipelineStatusService; nps: NpsKpisService };
}
