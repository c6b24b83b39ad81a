// Stand-in for the form-data package in the bundle: axios loads it for multipart uploads,
// which multinic never sends (it only GETs network_data.json). See scripts/build-bundle.mjs.
'use strict';
module.exports = class FormData {
  constructor() {
    throw new Error('multinic bundle: multipart form uploads are not included');
  }
};
