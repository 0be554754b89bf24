import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Read-your-writes and monotonic reads across replicas, with a consistency token: a WAL position
 * (LSN) of the primary, which orders every committed change. The rules, all applied here and in
 * the seam ({@link Sql}, {@link ReplicaRouter}):
 *
 * - A token answered is at or after everything the request wrote or was shown: a write's commit
 *   record, the data a read saw. So a token is an upper bound, never a guess from below.
 * - A read that carries a token is served by a replica only if that replica is known to have
 *   replayed it, else by the primary; a replica that has replayed a position shows every commit
 *   before it. With the greatest token it has been given, a client therefore sees its own writes
 *   and never an older state than one it was shown, whichever replica or primary answers.
 *
 * Cost: a transaction's position comes in the COMMIT's own round trip (see Sql.tx). A read is
 * bounded once per request and server, after its reads: one short query each. All of it only when
 * the service reads from replicas: without them every read is the primary's and sees every write,
 * so a token would change nothing, and no answer carries one (see Sql.consistencyFor).
 */

/** The header that carries a token, in a read's request and in answers. */
export const CONSISTENCY_TOKEN_HEADER = 'Consistency-Token';
/** The LSN as 16 lowercase hex digits: opaque to clients, and two tokens order as strings do. */
export const CONSISTENCY_TOKEN_PATTERN = /^[0-9a-f]{16}$/;

export function tokenOf(position: bigint): string {
  return position.toString(16).padStart(16, '0');
}

/** The position a token stands for; undefined for anything that is not one. */
export function positionOf(token: string): bigint | undefined {
  return CONSISTENCY_TOKEN_PATTERN.test(token) ? BigInt(`0x${token}`) : undefined;
}

/** A server whose WAL position can be asked: the primary, or a replica. */
export interface WalSource {
  /** A position at or after everything this server has shown to the reads that have ended. */
  position(): Promise<bigint>;
}

/**
 * One request's part: the position its reads must have (`wanted`, from its token), and what bounds
 * what it has written and seen. Reads record the server they ended on; a commit's position bounds
 * every read that had ended before its COMMIT was sent (no server shows more than the primary had
 * then), so only the reads after the request's last commit are left to {@link answer} to bound.
 */
export class RequestConsistency {
  private known: bigint | undefined;
  private tick = 0;
  /** Servers read from, with the tick of the last read that ended on each. */
  private readonly unbounded = new Map<WalSource, number>();

  constructor(
    readonly wanted: bigint | undefined,
    /** Asked when a replica cannot say its position: the primary is ahead of every replica of it. */
    private readonly primary: WalSource,
  ) {}

  /** A read has ended on `source`. */
  read(source: WalSource): void {
    this.unbounded.set(source, ++this.tick);
  }

  /** Called as a COMMIT is sent; its mark goes to {@link committed}. */
  committing(): number {
    return this.tick;
  }

  /** The transaction marked `mark` committed, and `position` is at or after its commit record. */
  committed(mark: number, position: bigint): void {
    this.observe(position);
    for (const [source, at] of this.unbounded) if (at <= mark) this.unbounded.delete(source);
  }

  /**
   * The token to answer with: every server read from since the last commit is asked its position
   * (`ask` false: none is, for an answer that should not wait on the database). Undefined when
   * something was seen that cannot be bounded, or nothing was written or seen.
   */
  async answer(ask: boolean): Promise<string | undefined> {
    if (this.unbounded.size > 0) {
      if (!ask) return undefined;
      const sources = [...this.unbounded.keys()];
      this.unbounded.clear();
      try {
        const positions = await Promise.all(sources.map((source) => source.position().catch(() => this.primary.position())));
        for (const position of positions) this.observe(position);
      } catch {
        return undefined;
      }
    }
    return this.known === undefined ? undefined : tokenOf(this.known);
  }

  private observe(position: bigint): void {
    if (this.known === undefined || position > this.known) this.known = position;
  }
}

const requests = new AsyncLocalStorage<RequestConsistency>();

/** The consistency of the request being handled, if any (not in schedulers, workers or the CLIs). */
export function currentConsistency(): RequestConsistency | undefined {
  return requests.getStore();
}

/** Runs `work`, and everything it starts, as part of the request that `consistency` belongs to. */
export function withConsistency<T>(consistency: RequestConsistency, work: () => T): T {
  return requests.run(consistency, work);
}
