#!/usr/bin/env node
// Thin entry point: the CLI is bundled into one file, which starts several times faster.
import { main } from '../dist/server/cli/main.bundle.mjs';

process.exitCode = await main(process.argv);
