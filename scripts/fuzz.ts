/**
 * Fuzzes the REST API with schemathesis (installed by scripts/install.sh into
 * its own virtual environment) against a running stack, through nginx, as a
 * tenant of its own, with that tenant's API key:
 *
 *   npm run fuzz -- [--max-examples 120] [--min-cases 10000] [--profile test|dev] [--max-time S] [--no-stateful]
 *
 * Every operation but the SSE stream (it never ends by design) goes through
 * the examples, coverage and fuzzing phases (up to --max-examples cases each;
 * the coverage phase adds its own boundary cases), then the stateful phase
 * follows the document's links (book -> check in -> bills -> pay -> receipt or
 * refund). The run fails when it made fewer than --min-cases cases. The checks: not_a_server_error,
 * status_code_conformance, content_type_conformance,
 * response_schema_conformance. Prints the cases run and the failures found,
 * writes a JUnit report to .hms/test-reports/fuzz/, and exits
 * non-zero on any failure.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createFixture } from '../bench/lib/fixture.js';
import { ROOT, stackEnv } from '../bench/lib/stack.js';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: process.env.HMS_PROFILE ?? 'test' },
    'max-examples': { type: 'string', default: '120' },
    'min-cases': { type: 'string', default: '10000' },
    'max-time': { type: 'string' },
    'no-stateful': { type: 'boolean', default: false },
    seed: { type: 'string' },
  },
});
const maxExamples = Number(values['max-examples']);
const minCases = Number(values['min-cases']);
if (!Number.isInteger(maxExamples) || maxExamples < 1 || !Number.isInteger(minCases)) {
  console.error(
    'usage: npm run fuzz -- [--max-examples N] [--min-cases N] [--profile test|dev] [--max-time S] [--no-stateful] [--seed N]',
  );
  process.exit(64);
}

const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
];
/**
 * Not fuzzed: the live stream (it answers 200 and streams until the client leaves); revoking an
 * API key (the links from the key list would revoke the fuzzer's own credential, leaving the rest
 * of the run 401s); the public keys (served at the host's root, /.well-known/jwks.json, which
 * schemathesis would ask under --url's /api/v1).
 */
const EXCLUDED = ['streamQueue', 'revokeApiKey', 'getJsonWebKeys'];

const env = stackEnv(values.profile!);
const tools = process.env.HMS_TOOLS ?? path.join(process.env.HOME ?? '', '.local/share/hms-tools');
const schemathesis = path.join(tools, 'fuzz-venv', 'bin', 'schemathesis');
const api = `http://127.0.0.1:${env.HMS_NGINX_PORT}/api/v1`;
const reports = path.join(ROOT, '.hms', 'test-reports', 'fuzz');
await mkdir(reports, { recursive: true, mode: 0o700 });
const work = await mkdtemp(path.join(tmpdir(), 'hms-fuzz-'));

let code = 1;
try {
  const fixtureFile = path.join(work, 'fixture.json');
  // Round-the-clock doctors: the hooks book their slots of the next hours, which can be checked in.
  // Its credential is the tenant's API key with every permission but the platform operators' (as an
  // integration would call), so discounts, refunds, credit notes and the tenant's administration
  // reach their rules rather than a 403.
  const fixture = await createFixture(env, {
    doctors: 20,
    patients: 200,
    rateLimitMultiplier: 100_000,
    file: fixtureFile,
  });
  const token = fixture.token;
  const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '');
  const args = [
    '--config-file',
    path.join(ROOT, 'scripts', 'fuzz', 'schemathesis.toml'),
    'run',
    `${api}/openapi.json`,
    '--url',
    api,
    '--checks',
    CHECKS.join(','),
    ...EXCLUDED.flatMap((id) => ['--exclude-operation-id', id]),
    '--phases',
    values['no-stateful'] ? 'examples,coverage,fuzzing' : 'examples,coverage,fuzzing,stateful',
    '--max-examples',
    String(maxExamples),
    '--workers',
    '2',
    '--request-timeout',
    '30',
    '--continue-on-failure',
    '--suppress-health-check',
    'all',
    '--report',
    'junit',
    '--report-junit-path',
    path.join(reports, `fuzz-${stamp}.xml`),
    ...(values['max-time'] ? ['--max-time', values['max-time']] : []),
    ...(values.seed ? ['--seed', values.seed] : []),
  ];
  console.log(`fuzz: up to ${maxExamples} generated cases per operation and phase, against ${api}`);
  const started = Date.now();
  let output = '';
  code = await new Promise<number>((resolve) => {
    const child = spawn(schemathesis, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
      // Its example database and cache land in the working folder: keep them with the reports.
      cwd: reports,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        PYTHONPATH: path.join(ROOT, 'scripts', 'fuzz'),
        SCHEMATHESIS_HOOKS: 'hooks',
        HMS_FUZZ_FIXTURE: fixtureFile,
        // schemathesis.toml sends it as the Authorization header: in the environment, not on a command line.
        HMS_FUZZ_TOKEN: token,
      },
    });
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      output += chunk.toString();
    });
    child.on('close', (status) => resolve(status ?? 1));
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  // schemathesis' own summary: "Test cases:\n  N generated, M found K unique failures" (or "... all passed").
  const generated = Number(/(\d+) generated/.exec(output)?.[1] ?? 0);
  const failures = Number(/(\d+) unique failures?/.exec(output)?.[1] ?? 0);
  console.log(
    `fuzz: ${generated} cases, ${failures} failures, ${seconds} s (reports: ${path.relative(ROOT, reports)})`,
  );
  if (code === 0 && generated < minCases) {
    console.error(`fuzz: ${generated} cases are fewer than the ${minCases} this run must make; raise --max-examples`);
    code = 1;
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
process.exit(code);
