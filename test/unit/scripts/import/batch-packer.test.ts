import { BatchPacker } from '../../../../scripts/import/batch-packer';

const event = (line: number, size = 10) => ({ line, json: JSON.stringify({ p: 'x'.repeat(size) }) });

describe('BatchPacker', () => {
  it('closes a batch at maxEvents and keeps the lines in order', () => {
    const packer = new BatchPacker(2);
    expect(packer.add(event(1))).toBeNull();
    expect(packer.add(event(2))).toBeNull();
    const closed = packer.add(event(3))!;
    expect(closed.lines).toEqual([1, 2]);
    expect(JSON.parse(closed.body).batch).toHaveLength(2);
    expect(packer.flush()!.lines).toEqual([3]);
    expect(packer.flush()).toBeNull();
  });

  it('closes a batch before it would pass maxBytes', () => {
    const packer = new BatchPacker(100, 60);
    packer.add(event(1, 20));
    expect(packer.add(event(2, 20))!.lines).toEqual([1]);
  });

  it('sends an event larger than a batch on its own', () => {
    const packer = new BatchPacker(100, 60);
    expect(packer.add(event(1, 200))).toBeNull();
    expect(packer.add(event(2))!.lines).toEqual([1]);
  });

  it('refuses a batch size below one', () => {
    expect(() => new BatchPacker(0)).toThrow(RangeError);
  });
});
