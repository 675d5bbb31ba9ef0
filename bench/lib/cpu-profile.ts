// Reads a V8 .cpuprofile (as written by Child.stopCpuProfile or `node --cpu-prof`) and says where
// the time went: self time by package or source file, self time by function, and inclusive time
// (the function or anything it called) by function.
import { readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';

import { projectRoot } from '../../gateway/supergraph-file';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface TimeShare {
  name: string;
  ms: number;
  /** Percent of the profile's sampled time (idle included). */
  percent: number;
}

export interface ProfileSummary {
  file: string;
  /** Sampled wall time, ms. */
  totalMs: number;
  /** Share of the time the process was idle (waiting on I/O). */
  idlePercent: number;
  /** Self time by npm package, project file or engine bucket (GC, program, node internals). */
  byPackage: TimeShare[];
  /** Self time by function. */
  selfByFunction: TimeShare[];
  /** Time with the function anywhere on the stack (each sample counted once per function). */
  inclusiveByFunction: TimeShare[];
}

const ENGINE_BUCKETS = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Where a frame's code lives: `pkg:<name>`, a project file, `node:<module>`, or an engine bucket. */
function owner(frame: CallFrame): string {
  if (ENGINE_BUCKETS.has(frame.functionName)) return frame.functionName;
  const url = frame.url.replace(/^file:\/\//, '');
  if (!url) return '(native / V8 builtins)';
  if (url.startsWith('node:')) return `node:${url.slice(5).replace(/^internal\//, '').split('/')[0]}`;
  const nm = url.lastIndexOf(`node_modules${sep}`);
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules'.length + 1).split(sep);
    return `pkg:${parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  return relative(projectRoot(), url) || url;
}

function functionLabel(frame: CallFrame): string {
  if (ENGINE_BUCKETS.has(frame.functionName)) return frame.functionName;
  const where = owner(frame);
  return `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
}

function top(map: Map<string, number>, totalMs: number, n: number): TimeShare[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, percent: Math.round((us / 10 / totalMs) * 10) / 10 }));
}

/** Summarizes one profile; `n` rows per list. */
export function summarizeCpuProfile(file: string, n = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const selfByNode = new Map<number, number>();
  // a sample's duration is the delta to the next one
  for (let i = 0; i < samples.length; i++) {
    const us = Math.max(0, deltas[i + 1] ?? 0);
    selfByNode.set(samples[i], (selfByNode.get(samples[i]) ?? 0) + us);
  }
  let totalUs = 0;
  let idleUs = 0;
  const byPackage = new Map<string, number>();
  const selfFn = new Map<string, number>();
  const inclusiveFn = new Map<string, number>();
  for (const [id, us] of selfByNode) {
    const node = byId.get(id);
    if (!node) continue;
    totalUs += us;
    if (node.callFrame.functionName === '(idle)') idleUs += us;
    const pkg = owner(node.callFrame);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    const label = functionLabel(node.callFrame);
    selfFn.set(label, (selfFn.get(label) ?? 0) + us);
    // inclusive: every distinct function on the stack of this sample
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)!.callFrame;
      if (frame.functionName === '(root)') break;
      const l = functionLabel(frame);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusiveFn.set(l, (inclusiveFn.get(l) ?? 0) + us);
    }
  }
  const totalMs = totalUs / 1000;
  return {
    file,
    totalMs: Math.round(totalMs),
    idlePercent: totalMs ? Math.round((idleUs / 10 / totalMs) * 10) / 10 : 0,
    byPackage: top(byPackage, totalMs, n),
    selfByFunction: top(selfFn, totalMs, n),
    inclusiveByFunction: top(inclusiveFn, totalMs, n),
  };
}
