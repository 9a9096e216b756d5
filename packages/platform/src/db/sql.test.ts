import { describe, expect, it } from 'vitest';
import { Conditions } from './sql.js';

describe('Conditions', () => {
  it('numbers the placeholders in the order values join, and names only the filters given', () => {
    const where = new Conditions();
    where.and(`tenant_id = ${where.param('t')}`);
    where.when('e-1', (p) => `entity_id = ${p}`);
    where.when(undefined, (p) => `actor_id = ${p}`);
    where.when(null, (p) => `patient_id = ${p}`);
    where.when(0, (p) => `seq > ${p}`);
    const limit = where.param(21);
    expect(where.sql).toBe('tenant_id = $1 AND entity_id = $2 AND seq > $3');
    expect(limit).toBe('$4');
    expect(where.values).toEqual(['t', 'e-1', 0, 21]);
  });

  it('is TRUE with no condition', () => {
    expect(new Conditions().sql).toBe('TRUE');
  });
});
