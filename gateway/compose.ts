import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

export interface SubgraphSdl {
  name: string;
  /** Default routing URL written into the supergraph; the gateway can override it per subgraph. */
  url: string;
  sdl: string;
}

/** Composes subgraph SDLs into a supergraph SDL, or throws with every composition error. */
export function composeSupergraph(subgraphs: SubgraphSdl[]): string {
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })));
  if (result.errors?.length) {
    throw new Error(`supergraph composition failed:\n  ${result.errors.map((e) => e.message).join('\n  ')}`);
  }
  return result.supergraphSdl!;
}
