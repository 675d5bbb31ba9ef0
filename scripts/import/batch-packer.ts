// Packs events into `/v1/batch` request bodies under the API's limits. Pure.
import { MAX_BATCH_BYTES } from '../../subgraphs/common/segment-api';

/** One event ready to send, with the line it came from. */
export interface LineEvent {
  line: number;
  /** The event as JSON text (serialised once, measured once). */
  json: string;
}

/** One request: its body and, in order, the line of each event (the API's error `index` → line). */
export interface PackedBatch {
  body: string;
  lines: number[];
}

/** Bytes kept free under `MAX_BATCH_BYTES` (UTF-8 estimate and request framing). */
const BATCH_BYTES_MARGIN = 8 * 1024;

/** `{"batch":[` and `]}` around the comma-joined events. */
const FRAME_BYTES = '{"batch":[]}'.length;

/**
 * Collects events into batches of at most `maxEvents` events and at most `maxBytes` bytes of body
 * (default: the API's 500 KB less a margin). An event larger than a batch on its own goes alone:
 * the API then refuses it by itself and reports it as that event's error.
 */
export class BatchPacker {
  private events: LineEvent[] = [];
  private bytes = FRAME_BYTES;

  constructor(
    private readonly maxEvents: number,
    private readonly maxBytes: number = MAX_BATCH_BYTES - BATCH_BYTES_MARGIN,
  ) {
    if (!Number.isInteger(maxEvents) || maxEvents < 1) throw new RangeError(`BatchPacker: maxEvents must be a positive integer (got ${maxEvents})`);
  }

  /** Adds an event; returns the batch it closed when it did not fit in the open one. */
  add(event: LineEvent): PackedBatch | null {
    const size = Buffer.byteLength(event.json) + 1;
    const closed = this.events.length > 0 && (this.events.length >= this.maxEvents || this.bytes + size > this.maxBytes) ? this.flush() : null;
    this.events.push(event);
    this.bytes += size;
    return closed;
  }

  /** The open batch, now closed; null when it is empty. */
  flush(): PackedBatch | null {
    if (this.events.length === 0) return null;
    const batch = { body: `{"batch":[${this.events.map((e) => e.json).join(',')}]}`, lines: this.events.map((e) => e.line) };
    this.events = [];
    this.bytes = FRAME_BYTES;
    return batch;
  }
}
