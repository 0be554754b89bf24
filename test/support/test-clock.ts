import { Clock } from '../../src/common/clock/clock.js';

/** A clock that stands still until the test moves it. */
export class TestClock extends Clock {
  private current: Date;

  constructor(start: string) {
    super();
    this.current = new Date(start);
  }

  now(): Date {
    return new Date(this.current);
  }

  set(iso: string): void {
    this.current = new Date(iso);
  }

  advance(milliseconds: number): void {
    this.current = new Date(this.current.getTime() + milliseconds);
  }
}
