import { describe, expect, it } from 'vitest';
import { parseShowinfoTimes, splitJpegStream } from './frame-decoder.js';

const jpeg = (body: number[]): number[] => [0xff, 0xd8, 0xff, 0xe0, ...body, 0xff, 0xd9];

describe('frame decoder helpers', () => {
  it('splits concatenated JPEGs at start-of-image markers that follow an end-of-image', () => {
    // The second image contains a stuffed 0xff 0x00 and an embedded ff d8 ff not preceded by EOI.
    const a = jpeg([1, 2, 3]);
    const b = jpeg([0xff, 0x00, 0xff, 0xd8, 0xff, 9]);
    const parts = splitJpegStream(Uint8Array.from([...a, ...b]));
    expect(parts.map((p) => Array.from(p))).toEqual([a, b]);
  });

  it('reads frame times from showinfo lines', () => {
    const log = [
      '[Parsed_showinfo_1 @ 0x1] n:   0 pts:      0 pts_time:0       duration:1',
      '[Parsed_showinfo_1 @ 0x1] n:   1 pts:  13312 pts_time:1.1093  duration:1',
      'frame=    2 fps=0.0',
    ].join('\n');
    expect(parseShowinfoTimes(log)).toEqual([0, 1109.3]);
  });
});
