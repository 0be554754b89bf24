/**
 * The time that rules depending on "now" decide by (certification expiry). Injected, so tests
 * move time instead of waiting for it.
 */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
