#!/usr/bin/env node
// Thin entry point: everything lives in the compiled CLI module.
import { main } from '../dist/server/cli/main.js';

process.exitCode = await main(process.argv);
