'use strict';
// versions: installed package versions (some packages do not export
// package.json).
const fs = require('fs');
const path = require('path');

module.exports = (name) => JSON.parse(fs.readFileSync(path.join(__dirname, 'node_modules', name, 'package.json'), 'utf8')).version;
