// Child process of the benchmarks: the subgraphs (all four by default, with their workers) on free
// ports, plus the direct seeding of signals and risk scores that has no public mutation yet
// (bench/gateway.bench.ts). bench/ingest.bench.ts runs `signals` alone, without workers.
import 'reflect-metadata';

import { Alert } from '../../subgraphs/actions/entities/alert.entity';
import { runSubgraph, type RunningSubgraph } from '../../subgraphs/common/run-subgraph';
import { forkAcrossTenants, forkForTenant } from '../../subgraphs/common/tenant-filter';
import { SUBGRAPHS } from '../../subgraphs';
import { createRiskService } from '../../subgraphs/risk';
import { SignalService } from '../../subgraphs/signals/services/signal.service';
import { benchConfigFromParent } from './bench-env';
import { serveParent } from './child';

/** HTTP requests and new TCP connections each subgraph has received so far. */
export type Traffic = Record<string, { requests: number; connections: number }>;

/** Which subgraphs to run in this process. Default: all of them, workers included. */
export interface StartSubgraphsRequest {
  /** Names of the subgraphs to run; default every one. */
  only?: string[];
  /** Start their BullMQ workers (and job schedulers). Default true. */
  workers?: boolean;
}

export interface SeedRequest {
  tenant: string;
  profileIds: string[];
}

const config = benchConfigFromParent();
const running: RunningSubgraph[] = [];
const byName: Record<string, RunningSubgraph> = {};
const traffic: Traffic = {};

async function closeAll(): Promise<void> {
  for (const s of running.splice(0).reverse()) await s.close();
}

serveParent({
  async start(arg) {
    const { only, workers = true } = (arg ?? {}) as StartSubgraphsRequest;
    const unknown = only?.filter((name) => !SUBGRAPHS.some((def) => def.name === name)) ?? [];
    if (unknown.length) throw new Error(`unknown subgraph(s): ${unknown.join(', ')}`);
    for (const def of SUBGRAPHS.filter((d) => !only || only.includes(d.name))) {
      const s = await runSubgraph(def, config, { port: 0, workers });
      running.push(s);
      byName[def.name] = s;
      const t = (traffic[def.name] = { requests: 0, connections: 0 });
      s.server.on('request', () => void t.requests++);
      s.server.on('connection', () => void t.connections++);
    }
    return Object.fromEntries(Object.entries(byName).map(([name, s]) => [name, s.url]));
  },

  /** One signal and one High risk score per profile; the score's bucket crossing raises an alert. */
  async seed(arg) {
    const { tenant, profileIds } = arg as SeedRequest;
    const signals = byName.signals;
    const risk = byName.risk;
    if (!signals || !risk) throw new Error('seed before start');
    const signalService = new SignalService(forkForTenant(signals.deps.orm, tenant), tenant);
    const riskService = createRiskService(risk.deps, tenant);
    let i = 0;
    for (const profileId of profileIds) {
      await signalService.record({
        profileId,
        type: i % 2 ? 'retry_loop' : 'stall',
        severity: Math.round((0.3 + (i % 7) / 10) * 100) / 100,
        detectedAt: new Date(),
        evidence: { step: 'id_upload', attempts: 1 + (i % 4) },
        dedupeKey: `bench-${profileId}`,
      });
      // ≥ 75 is High, so every profile gets an alert from the actions worker
      await riskService.record({ profileId, kind: 'churn', probability: (75 + (i % 25)) / 100, reasons: [], model: { id: null, version: null, name: 'prior' } });
      i++;
    }
    return profileIds.length;
  },

  traffic: () => structuredClone(traffic),

  /** Alerts the actions worker has raised so far for a tenant. */
  async alertCount(tenant) {
    const actions = byName.actions;
    if (!actions) throw new Error('alertCount before start');
    return forkAcrossTenants(actions.deps.orm).count(Alert, { tenantId: tenant as string });
  },

  async stop() {
    await closeAll();
  },
});
