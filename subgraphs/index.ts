import { actionsSubgraph } from './actions';
import type { RequestContext } from './common/request-context';
import type { SubgraphDefinition } from './common/run-subgraph';
import { profilesSubgraph } from './profiles';
import { riskSubgraph } from './risk';
import { signalsSubgraph } from './signals';

/** Every subgraph, in the order they start and appear in the supergraph. */
export const SUBGRAPHS: SubgraphDefinition<RequestContext>[] = [
  profilesSubgraph as unknown as SubgraphDefinition<RequestContext>,
  signalsSubgraph as unknown as SubgraphDefinition<RequestContext>,
  riskSubgraph as unknown as SubgraphDefinition<RequestContext>,
  actionsSubgraph as unknown as SubgraphDefinition<RequestContext>,
];
