/**
 * The ports of the stack profiles (scripts/profiles/*.env): the test and bench
 * stacks run beside a dev stack and beside each other, and they are started
 * again and again right after runs of many short connections, so their
 * listeners must neither collide nor lie in Linux's ephemeral range, where a
 * socket in TIME_WAIT can hold the port (EADDRINUSE on restart). The bench
 * stack measures what a deployment spends, so it samples traces as the Helm
 * chart does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'profiles');
/** Linux's default net.ipv4.ip_local_port_range. */
const EPHEMERAL = { from: 32768, to: 60999 };

/** Every setting of a profile (its KEY=VALUE lines), quotes taken off. */
function settingsOf(profile: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const line of readFileSync(path.join(dir, `${profile}.env`), 'utf8').split('\n')) {
    const match = /^(HMS_\w+)="?([^"]*)"?$/.exec(line.trim());
    if (match) settings.set(match[1]!, match[2]!);
  }
  return settings;
}

/** Every port a profile gives (keys ending in _PORT or _PORTS), by key. */
function portsOf(profile: string): Map<string, number[]> {
  const ports = new Map<string, number[]>();
  for (const [key, value] of settingsOf(profile)) {
    if (/_PORTS?$/.test(key)) ports.set(key, value.trim().split(/\s+/).map(Number));
  }
  return ports;
}

describe('stack profiles', () => {
  it.each(['test', 'bench'])('keep the %s stack listening below the ephemeral range', (profile) => {
    const ports = portsOf(profile);
    expect(ports.size).toBeGreaterThan(20);
    const inside = [...ports].filter(([, list]) => list.some((p) => p >= EPHEMERAL.from && p <= EPHEMERAL.to));
    expect(inside.map(([key, list]) => `${key}=${list.join(' ')}`)).toEqual([]);
  });

  it('give the dev, test and bench stacks ports of their own', () => {
    const owner = new Map<number, string>();
    const shared: string[] = [];
    for (const profile of ['dev', 'test', 'bench']) {
      for (const [key, list] of portsOf(profile)) {
        for (const port of list) {
          const first = owner.get(port);
          if (first && !first.startsWith(`${profile}:`)) shared.push(`${port}: ${first} and ${profile}:${key}`);
          else owner.set(port, `${profile}:${key}`);
        }
      }
    }
    expect(shared).toEqual([]);
  });

  it('sample traces on the bench stack as the Helm chart does', () => {
    const bench = settingsOf('bench');
    const values = readFileSync(path.join(dir, '..', '..', 'helm', 'hms', 'values.yaml'), 'utf8');
    const chart = (key: string) => new RegExp(`^\\s+${key}: (\\S+)$`, 'm').exec(values)?.[1];
    expect(chart('sampler')).toBeDefined();
    expect(bench.get('HMS_TRACES_SAMPLER')).toBe(chart('sampler'));
    expect(bench.get('HMS_TRACES_SAMPLER_ARG')).toBe(chart('samplerArg'));
  });
});
