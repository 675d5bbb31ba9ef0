#!/usr/bin/env node
// `npm start`: build if any source changed, then run the supervisor (scripts/start.ts).
require('./run-ts.js').ensureBuilt();
require('../dist/scripts/start.js');
