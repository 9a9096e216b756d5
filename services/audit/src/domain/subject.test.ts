import { describe, expect, it } from 'vitest';
import { parseSubject, patientOf } from './subject.js';

const id = '0192f0a0-0000-7000-8000-000000000001';

describe('parseSubject', () => {
  it('splits "<kind>/<id>" at the first slash', () => {
    expect(parseSubject(`appointment/${id}`)).toEqual({ entityType: 'appointment', entityId: id });
    expect(parseSubject('document/a/b')).toEqual({ entityType: 'document', entityId: 'a/b' });
    expect(parseSubject('document/ABC')).toEqual({ entityType: 'document', entityId: 'ABC' });
  });

  it('writes UUID ids in lower case, as searches and PostgreSQL do', () => {
    expect(parseSubject(`appointment/${id.toUpperCase()}`)).toEqual({ entityType: 'appointment', entityId: id });
  });

  it('keeps a subject of another form whole as the entity id', () => {
    expect(parseSubject(id)).toEqual({ entityType: '', entityId: id });
    expect(parseSubject('/x')).toEqual({ entityType: '', entityId: '/x' });
    expect(parseSubject('bill/')).toEqual({ entityType: '', entityId: 'bill/' });
    expect(parseSubject('')).toEqual({ entityType: '', entityId: '' });
  });
});

describe('patientOf', () => {
  const appointment = { entityType: 'appointment', entityId: '0192f0a0-0000-7000-8000-000000000009' };

  it("takes the payload's patientId when it is a UUID", () => {
    expect(patientOf(appointment, { patientId: id })).toBe(id);
    expect(patientOf(appointment, { patientId: id.toUpperCase() })).toBe(id);
  });

  it('falls back to a patient subject, and to none', () => {
    expect(patientOf({ entityType: 'patient', entityId: id }, {})).toBe(id);
    expect(patientOf(appointment, {})).toBeNull();
    expect(patientOf(appointment, { patientId: '' })).toBeNull();
    expect(patientOf(appointment, { patientId: 'MRN-00001' })).toBeNull();
    expect(patientOf(appointment, { patientId: 42 })).toBeNull();
  });
});
