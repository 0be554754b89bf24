/**
 * Walks a job's candidates a batch at a time, in an order the `next` query follows from the last
 * row it gave (undefined: from the start), and hands each batch to `apply`. Every candidate is
 * visited once per walk, even one that `apply` left unchanged (a concurrent write made it moot), so
 * the walk always ends. An aborted `signal` stops it between batches: what is done stays done.
 */
export async function inBatches<Row>(walk: {
  size: number;
  signal: AbortSignal | undefined;
  next(last: Row | undefined): Promise<Row[]>;
  apply(rows: Row[], batch: number): Promise<void>;
}): Promise<void> {
  let last: Row | undefined;
  for (let batch = 1; !walk.signal?.aborted; batch++) {
    const rows = await walk.next(last);
    if (rows.length === 0) return;
    await walk.apply(rows, batch);
    last = rows[rows.length - 1];
    if (rows.length < walk.size) return;
  }
}
