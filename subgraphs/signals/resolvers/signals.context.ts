import type { RequestContext } from '../../common/request-context';
import type { EventService } from '../services/event.service';
import type { IngestService } from '../services/ingest.service';
import type { SignalService } from '../services/signal.service';

export interface SignalsContext extends RequestContext {
  services: { signals: SignalService; events: EventService; ingest: IngestService };
}
