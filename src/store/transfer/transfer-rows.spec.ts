import { describe, expect, it } from 'vitest';
import type { TransferTable } from '../store-transfer.port.js';
import { decodeRowLine, encodeRowLine, transferRow } from './transfer-rows.js';

const table: TransferTable = {
  name: 't',
  key: 'id',
  columns: [
    ['id', 'text'],
    ['n', 'int'],
    ['x', 'real'],
    ['b', 'bytes'],
  ],
};

describe('transfer rows', () => {
  it('brings both drivers to one form: bigint text and numbers, Buffers and nulls', () => {
    const fromPg = transferRow(table, { id: 'a', n: '42', x: 0.1, b: Buffer.from([1, 2, 255]) });
    const fromSqlite = transferRow(table, { id: 'a', n: 42, x: 0.1, b: Buffer.from([1, 2, 255]) });
    expect(encodeRowLine(table, fromPg)).toBe(encodeRowLine(table, fromSqlite));
    expect(encodeRowLine(table, fromPg)).toBe('["a",42,0.1,"AQL/"]\n');
    expect(transferRow(table, { id: 'a', n: null, x: undefined, b: null })).toEqual(['a', null, null, null]);
  });

  it('refuses a value of another type than its column', () => {
    expect(() => transferRow(table, { id: 1, n: 1, x: 1, b: null })).toThrow(/t\.id/);
    expect(() => transferRow(table, { id: 'a', n: 1.5, x: 1, b: null })).toThrow(/t\.n/);
    expect(() => transferRow(table, { id: 'a', n: 1, x: 1, b: 'text' })).toThrow(/t\.b/);
  });

  it('decodes its own lines and refuses malformed ones as ARCHIVE_INVALID', () => {
    const row = transferRow(table, { id: 'é', n: 7, x: -2.5e-300, b: Buffer.from('hi') });
    const line = encodeRowLine(table, row);
    expect(decodeRowLine(table, line.trim())).toEqual(row);
    for (const bad of ['not json', '["a",1,1]', '["a",1.5,1,null]', '["a",1,1,"**"]', '[1,1,1,null]']) {
      expect(() => decodeRowLine(table, bad)).toThrow(expect.objectContaining({ code: 'ARCHIVE_INVALID' }));
    }
  });
});
