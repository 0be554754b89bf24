import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import request from 'supertest';

export interface FeedEvent {
  specversion: string;
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: string;
  data: Record<string, unknown>;
}

export interface FeedAnswer {
  data: FeedEvent[];
  next_cursor: string;
}

const MARKER_PREFIX = 'mntr_feed_marker_';
let markers = 0;

/** One answer of GET /api/v1/events. */
export async function readFeed(http: Server, query: Record<string, string | number | undefined>): Promise<FeedAnswer> {
  const given = Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined));
  const answer = await request(http).get('/api/v1/events').query(given);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body as FeedAnswer;
}

/**
 * Follows the feed as a consumer does, and tells which events a write emitted. A marker (a new
 * profile of a mentor of its own) is written after the writes; its transaction starts after they
 * committed, so once the marker is in the feed everything before it is too, and nothing else can come.
 */
export class FeedFollower {
  private cursor: string | undefined;

  constructor(
    private readonly http: Server,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** Moves to the end of the feed, forgetting what is there. */
  async skipToEnd(): Promise<void> {
    await this.next();
  }

  /** The events that committed since the last call, in feed order. */
  async next(): Promise<FeedEvent[]> {
    const marker = `${MARKER_PREFIX}${process.pid}_${++markers}`;
    const written = await request(this.http).put(`/api/v1/mentors/${marker}`).set(this.headers).send({ full_name: 'Feed Marker', chapter_id: 'chpt_marker' });
    assert.equal(written.status, 201);
    const seen: FeedEvent[] = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const answer = await readFeed(this.http, { after: this.cursor, limit: 500, wait: 5 });
      this.cursor = answer.next_cursor;
      for (const event of answer.data) {
        if (event.subject === marker) return seen;
        if (!event.subject.startsWith(MARKER_PREFIX)) seen.push(event);
      }
    }
    throw new Error(`the marker ${marker} did not reach the feed within 60 s`);
  }

  get position(): string | undefined {
    return this.cursor;
  }
}
