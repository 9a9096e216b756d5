/**
 * Bad input through nginx gets a clear 4xx problem+json, never a 500, and
 * leaves nothing half-written.
 */
import net from 'node:net';
import { newId } from '@hms/platform';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiBase, call, newTenant, slot, type DemoTenant, type Reply } from './support/stack.js';

let tenant: DemoTenant;

beforeAll(async () => {
  tenant = await newTenant();
});

function expectProblem(reply: Reply, status: number) {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.json).toMatchObject({ status, title: expect.any(String) });
  expect(reply.json.requestId).toBeTruthy();
}

/** Bytes sent to nginx as they are (fetch will not send a NUL in a header); the reply as text. */
function rawRequest(text: string): Promise<string> {
  const port = Number(new URL(apiBase()).port);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let reply = '';
    socket.on('data', (chunk) => (reply += chunk.toString()));
    socket.on('end', () => resolve(reply));
    socket.on('error', reject);
  });
}

const fields = (reply: Reply) => ((reply.json.errors as { field: string }[] | undefined) ?? []).map((e) => e.field);

describe('bad input', () => {
  it('malformed JSON is a 400', async () => {
    const reply = await call('POST', '/appointments', {
      token: tenant.token,
      rawBody: '{"patientId": "x", ',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(reply, 400);
  });

  it('wrong types and missing fields are a 400 naming each field', async () => {
    const wrong = await call('POST', '/appointments', {
      token: tenant.token,
      body: { patientId: 42, doctorId: 'not-a-uuid', startsAt: 'tomorrow-ish' },
    });
    expectProblem(wrong, 400);
    expect(fields(wrong)).toEqual(expect.arrayContaining(['patientId', 'doctorId', 'startsAt']));

    const missing = await call('POST', '/appointments', { token: tenant.token, body: {} });
    expectProblem(missing, 400);
    expect(missing.json.errors).toEqual(
      expect.arrayContaining(['patientId', 'doctorId', 'startsAt'].map((field) => ({ field, message: 'required' }))),
    );
  });

  it('an unknown doctor is a 422 naming the doctor', async () => {
    const reply = await call('POST', '/appointments', {
      token: tenant.token,
      body: { patientId: tenant.patients[0]!.id, doctorId: newId(), startsAt: slot(3) },
    });
    expectProblem(reply, 422);
    expect(fields(reply)).toContain('doctorId');
  });

  it('a body that is not JSON is a 415, and no token is a 401', async () => {
    expectProblem(
      await call('POST', '/appointments', {
        token: tenant.token,
        rawBody: 'patientId=1',
        headers: { 'content-type': 'text/plain' },
      }),
      415,
    );
    const anonymous = await call('GET', `/appointments/${newId()}`);
    expectProblem(anonymous, 401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('unknown routes and ids are a 404, a malformed id a 400', async () => {
    expectProblem(await call('GET', '/no-such-thing', { token: tenant.token }), 404);
    expectProblem(await call('GET', `/appointments/${newId()}`, { token: tenant.token }), 404);
    expectProblem(await call('GET', '/appointments/not-a-uuid', { token: tenant.token }), 400);
    expectProblem(await call('GET', '/queues/not-a-uuid?date=2030-13-45', { token: tenant.token }), 400);
  });

  it('a NUL character in any text is a 400 naming the field, and books nothing', async () => {
    const booking = (who: DemoTenant, reason: string) =>
      call('POST', '/appointments', {
        token: who.token,
        body: { patientId: who.patients[0]!.id, doctorId: who.nightDoctor.id, startsAt: slot(4), reason },
      });
    const reply = await booking(tenant, 'a\u0000b');
    expectProblem(reply, 400);
    expect(reply.json.errors).toEqual([{ field: 'reason', message: 'must not contain NUL characters' }]);
    // In the URL and in headers nginx refuses it first (the gateway names the field when it
    // sees one: gateway.int.test); a problem all the same.
    expectProblem(await call('GET', '/queues/a%00b?date=2030%00', { token: tenant.token }), 400);
    const header = await rawRequest(
      `POST /api/v1/appointments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tenant.token}\r\n` +
        `Idempotency-Key: a\u0000b\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
    );
    expect(header).toMatch(/^HTTP\/1.1 400 /);
    expect(header).toMatch(/content-type: application\/problem\+json/i);
    // Without the NUL the same booking is made (in another tenant: this one must stay empty, below).
    expect((await booking(await newTenant(), 'a b')).status).toBe(201);
  });

  it('left nothing behind: the tenant has no appointment and no bill', async () => {
    const bills = await call('GET', '/bills', { token: tenant.token });
    expect(bills.status).toBe(200);
    expect(bills.json.data).toEqual([]);
    const audit = await call('GET', `/audit?actorId=e2e-reception`, { token: tenant.token });
    expect(audit.status).toBe(200);
    expect(audit.json.data).toEqual([]);
  });
});
