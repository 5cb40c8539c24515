// DataLoader-style micro-batches: calls submitted while a batch is in flight (or in the same turn of the
// event loop) are handed to the handler together, so many concurrent jobs share one database round trip.

export interface MicroBatchOptions {
  /** Most items in one batch. */
  maxBatch: number;
  /** Most batches in flight at once; further submissions wait and join the next batch. */
  maxConcurrent: number;
}

/** The handler answers one settled result per item, in the order given. Rejecting fails the whole batch. */
export type BatchHandler<I, O> = (items: I[]) => Promise<Array<PromiseSettledResult<O>>>;

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (reason: unknown) => void;
}

export class MicroBatcher<I, O> {
  private pending: Array<Pending<I, O>> = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly handler: BatchHandler<I, O>,
    private readonly options: MicroBatchOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.kick();
    });
  }

  /** Batches in flight (for tests). */
  get inFlight(): number {
    return this.running;
  }

  private kick(): void {
    if (this.scheduled || this.running >= this.options.maxConcurrent || this.pending.length === 0) return;
    this.scheduled = true;
    // setImmediate: everything submitted in this turn (and the I/O callbacks just run) joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.running < this.options.maxConcurrent && this.pending.length > 0) {
      const batch = this.pending.splice(0, this.options.maxBatch);
      this.running++;
      let handled: Promise<Array<PromiseSettledResult<O>>>;
      try {
        handled = this.handler(batch.map((p) => p.item));
      } catch (error) {
        handled = Promise.reject(error);
      }
      handled
        .then(
          (results) => {
            batch.forEach((p, i) => {
              const result = results[i];
              if (!result) p.reject(new Error('micro-batch handler answered too few results'));
              else if (result.status === 'fulfilled') p.resolve(result.value);
              else p.reject(result.reason);
            });
          },
          (error: unknown) => batch.forEach((p) => p.reject(error)),
        )
        .finally(() => {
          this.running--;
          this.kick();
        });
    }
  }
}

export const fulfilled = <O>(value: O): PromiseFulfilledResult<O> => ({ status: 'fulfilled', value });
export const rejected = (reason: unknown): PromiseRejectedResult => ({ status: 'rejected', reason });
