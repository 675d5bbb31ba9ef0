
import { printSubgraphSchema } from '@apollo/subgraph';
import { createPubSub } from '@graphql-yoga/subscription';

import { composeSupergraph } from '../gateway/compose';
import type { FsPubSub } from '../subgraphs/common/pubsub';
import { SUBGRAPHS } from '../subgraphs';


/** Default subgraph URLs in the committed supergraph (the local `npm start` layout). */
const DEFAULT_PORTS: Record<string, number> = { profiles: 4001, signals: 4002, risk: 4003, actions: 4004 };

/**
 * What `schema/` must contain: each subgraph's SDL as its code emits it, and the supergraph
 * composed from those. Needs no database or Redis.
 */
export async function renderSchemaFiles(): Promise<Record<string, string>> {
  // printing needs a pub/sub object, never a live one
  const pubSub = createPubSub() as unknown as FsPubSub;
  const files: Record<string, string> = {};
  const sdls = [];
  for (const def of SUBGRAPHS) {
    const sdl = `${printSubgraphSchema(await def.buildSchema({ pubSub })).trim()}\n`;
    files[`${def.name}.graphql`] = sdl;
    sdls.push({ name: def.name, url: `http://127.0.0.1:${DEFAULT_PORTS[def.name]}/graphql`, sdl });
  }
  files['supergraph.graphql'] = `${composeSupergraph(sdls).trim()}\n`;
  return files;
}
