import type { RequestContext } from '../../common/request-context';
import type { AlertService } from '../services/alert.service';

export interface ActionsContext extends RequestContext {
  services: { alerts: AlertService };
}
