import type { RequestContext } from '../../common/request-context';
import type { SignalService } from '../services/signal.service';

export interface SignalsContext extends RequestContext {
  services: { signals: SignalService };
}
