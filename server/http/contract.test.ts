import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Mode as GeneratorMode } from '../dockerfile/generate.js';
import { FINAL_STATES } from '../history/store.js';
import type { Accelerator as ConfigAccelerator } from '../project/config.js';
import type { Accelerator, FinalJobState, Mode } from './contract.js';

/** True only when A and B are the same type; a difference makes the assignment below fail `tsc`. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// The contract spells the server's vocabulary again, without importing it (the frontend compiles
// it on its own). These fail the server's build when one side gains a word the other lacks.
// (Error codes are declared in the contract only; server/errors.ts takes them from there.)
const modes: Same<Mode, GeneratorMode> = true;
const accelerators: Same<Accelerator, ConfigAccelerator> = true;

/** Every final state the contract names, once: a missing or extra one fails `tsc`. */
const FINAL: Record<FinalJobState, true> = {
  NOT_SUBMITTED: true,
  JOB_STATE_SUCCEEDED: true,
  JOB_STATE_FAILED: true,
  JOB_STATE_CANCELLED: true,
  JOB_STATE_EXPIRED: true,
  JOB_STATE_PARTIALLY_SUCCEEDED: true
};

describe('the wire contract', () => {
  it("spells the server's modes and accelerators", () => {
    assert.deepEqual([modes, accelerators], [true, true]);
  });

  it("names the history's final job states", () => {
    assert.deepEqual([...FINAL_STATES].sort(), Object.keys(FINAL).sort());
  });
});
