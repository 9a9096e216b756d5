/**
 * What the stack keeps to itself, checked on the running test stack: no value
 * of the profile's secrets.env on any process's command line (every user of
 * the machine can read those, e.g. with `ps`), also not on the short-lived
 * tools the scripts start, and the profile's secrets, demo credentials, logs
 * and data readable by their owner only.
 */
import { execFile } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { call, ROOT } from './support/stack.js';

const run = promisify(execFile);

function hmsHome(): string {
  const home = process.env.HMS_HOME;
  if (!home) throw new Error('HMS_HOME is not set: run the e2e suite through scripts/hms test');
  return home;
}

/** The values of secrets.env (KEY=VALUE lines, optionally quoted). */
function secretValues(): string[] {
  return readFileSync(path.join(hmsHome(), 'secrets.env'), 'utf8')
    .split('\n')
    .map((line) => /^[A-Za-z_][A-Za-z0-9_]*=(.*)$/.exec(line.trim())?.[1])
    .filter((v): v is string => v !== undefined)
    .map((v) => v.replace(/^(['"])(.*)\1$/, '$2'))
    .filter((v) => v.length > 0);
}

/** Every process's command line, as `ps -eo args` shows it (NULs as spaces). */
function commandLines(): Map<number, string> {
  const lines = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const raw = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (raw) lines.set(Number(entry), raw.replace(/\0+$/, '').replaceAll('\0', ' '));
    } catch {
      // the process ended while we looked
    }
  }
  return lines;
}

function leaks(lines: Iterable<string>, secrets: string[]): string[] {
  const found: string[] = [];
  for (const line of lines) {
    for (const secret of secrets) {
      // never print the secret itself, only where it was
      if (line.includes(secret)) found.push(line.replace(secret, '<secret>').slice(0, 200));
    }
  }
  return found;
}

/** Mode bits of a path (not following a last symbolic link). */
const modeOf = (p: string) => lstatSync(p).mode & 0o7777;
const octal = (mode: number) => mode.toString(8).padStart(4, '0');

describe('stack hygiene', () => {
  it('no running process of the stack has a secret on its command line', () => {
    const home = hmsHome();
    const secrets = secretValues();
    // what secrets.env must hold: the superuser, Redis, token and five role passwords
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    const lines = [...commandLines().values()];

    // The stack's processes are there to be looked at: six node services started with
    // an environment file, and every infrastructure server of this profile.
    const services = lines.filter((l) => l.includes(`--env-file=${home}/run/env/`));
    expect(services.map((l) => /env\/([\w-]+)\.env/.exec(l)?.[1]).sort()).toEqual([
      'appointments',
      'audit',
      'billing',
      'gateway-1',
      'gateway-2',
      'queue',
    ]);
    const cluster = readlinkOrSelf(path.join(home, 'postgres'));
    expect(lines.some((l) => l.includes(`postgres -D ${cluster}/data`))).toBe(true);
    expect(lines.some((l) => l.startsWith('redis-server 127.0.0.1:'))).toBe(true);
    expect(lines.some((l) => l.includes('kafka.Kafka') && l.includes(home))).toBe(true);
    expect(lines.some((l) => l.startsWith('nginx: master process') && l.includes(home))).toBe(true);
    expect(lines.some((l) => l.startsWith('prometheus ') && l.includes(home))).toBe(true);

    expect(leaks(lines, secrets)).toEqual([]);
  });

  it('the demo seeds get their secrets from a file too, and write owner-only files with working credentials', async () => {
    const home = hmsHome();
    const secrets = secretValues();
    // The tools live for a second or less: sample every command line while they run.
    const seen = new Set<string>();
    const sample = () => {
      for (const line of commandLines().values()) if (line.includes(ROOT)) seen.add(line);
    };
    const timer = setInterval(sample, 10);
    try {
      await run(path.join(ROOT, 'scripts', 'hms'), ['seed', '--profile', 'test'], {
        env: { ...process.env, HMS_PROFILE: 'test' },
        timeout: 120_000,
      });
    } finally {
      clearInterval(timer);
    }
    const tools = [...seen].filter((l) => /dist\/db\/seed-demo\.js/.test(l));
    for (const tool of ['gateway/dist/db/seed-demo.js', 'appointments/dist/db/seed-demo.js']) {
      const started = tools.filter((l) => l.includes(tool));
      expect(started.length, `${tool} seen while seeding`).toBeGreaterThan(0);
      for (const line of started) expect(line).toMatch(/^(env -i PATH=\S* HOME=\S* )?node --env-file=\S+\.env /);
    }
    expect(leaks(seen, secrets)).toEqual([]);

    for (const file of ['demo-users.json', 'demo-seed.json', 'demo-tenant.json', 'demo.env', 'secrets.env']) {
      expect(octal(modeOf(path.join(home, file))), file).toBe('0600');
    }
    // The passwords it generated sign in, and each role of the demo tenant has a user.
    const seed = JSON.parse(readFileSync(path.join(home, 'demo-seed.json'), 'utf8')) as { doctors: { id: string }[] };
    const { users } = JSON.parse(readFileSync(path.join(home, 'demo-users.json'), 'utf8')) as {
      users: { tenant: string; username: string; password: string; roles: string[] }[];
    };
    expect(
      users
        .filter((u) => u.tenant === 'demo')
        .flatMap((u) => u.roles)
        .sort(),
    ).toEqual([
      'ADMIN',
      'AUDITOR',
      'BILLING_CLERK',
      'BILLING_SUPERVISOR',
      'DOCTOR',
      'NURSE',
      'PHARMACIST',
      'RECEPTIONIST',
    ]);
    expect(users.some((u) => u.tenant === 'platform' && u.roles.includes('PLATFORM_ADMIN'))).toBe(true);
    const receptionist = users.find((u) => u.tenant === 'demo' && u.username === 'receptionist')!;
    const signedIn = await call('POST', '/auth/login', {
      body: { tenant: 'demo', username: receptionist.username, password: receptionist.password },
    });
    expect(signedIn.status).toBe(200);
    const queue = await call('GET', `/queues/${seed.doctors[0]?.id}`, { token: String(signedIn.json.accessToken) });
    expect(queue.status).toBe(200);
  });

  it("the profile's data, logs, run files and secrets are their owner's alone", () => {
    const home = hmsHome();
    const open: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = path.join(dir, name);
        const st = lstatSync(p);
        if (st.isSymbolicLink()) continue; // the postgres link: its target is checked below
        if ((st.mode & 0o077) !== 0) open.push(`${octal(st.mode & 0o7777)} ${p}`);
        if (st.isDirectory()) walk(p);
      }
    };
    expect(octal(modeOf(path.join(ROOT, '.hms'))), '.hms').toBe('0700');
    expect(octal(modeOf(home)), home).toBe('0700');
    walk(home);
    // Every component's folder is there to be looked at.
    for (const dir of ['logs', 'run', 'run/env', 'redis', 'kafka', 'nginx', 'prometheus']) {
      expect(statSync(path.join(home, dir)).isDirectory(), dir).toBe(true);
    }
    expect(readdirSync(path.join(home, 'logs')).length).toBeGreaterThanOrEqual(11);

    // PostgreSQL's cluster: owned by the server's user, closed to everyone else.
    const cluster = readlinkOrSelf(path.join(home, 'postgres'));
    const server = statSync(path.join(cluster, 'data'));
    for (const dir of ['data', 'run']) {
      const st = statSync(path.join(cluster, dir));
      expect(st.uid, dir).toBe(server.uid);
      expect(octal(st.mode & 0o7777), dir).toBe('0700');
    }
    if (cluster !== path.join(home, 'postgres')) {
      // the cluster's own folder outside the checkout: root's, and only the server's
      // group may pass through it to data/ and run/
      const st = statSync(cluster);
      expect(st.uid).toBe(0);
      expect(octal(st.mode & 0o7777)).toBe('0710');
      expect(readFileSync(path.join(cluster, 'checkout'), 'utf8').trim()).toBe(home);
      expect(octal(modeOf(path.join(cluster, 'checkout')))).toBe('0600');
    }
    walk(path.join(cluster, 'data'));
    walk(path.join(cluster, 'run'));
    expect(open).toEqual([]);
  });
});

function readlinkOrSelf(p: string): string {
  try {
    return readlinkSync(p);
  } catch {
    return p;
  }
}
