import type { BuildEvent } from '../docker/build.js';

/**
 * What a long operation reports while it runs: plain data, so a terminal, a kernel's log and a
 * WebSocket can all render it. `check` says which precondition is being checked before a build.
 */
export type AppEvent = BuildEvent | { type: 'check'; check: 'engine' | 'gpu' };

export type AppListener = (event: AppEvent) => void;

/** One log line for an event, or undefined for events a plain log leaves out. */
export function describeEvent(event: AppEvent): string | undefined {
  switch (event.type) {
    case 'step':
      return `Step ${event.index}/${event.total} : ${event.instruction}`;
    case 'output':
      return `  ${event.line}`;
    case 'done':
      return event.given
        ? `Using the image given: ${event.image}`
        : event.reused
          ? `Image is up to date: ${event.image}`
          : `Built ${event.image}`;
    default:
      return undefined;
  }
}
