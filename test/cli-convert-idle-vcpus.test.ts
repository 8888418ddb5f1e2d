/**
 * `convert X.mtr Y.csv` where X's header declares vCPUs that ran no event:
 * a CSV's vCPU count is its highest vcpu + 1, so Y replays with fewer vCPUs
 * (fewer vCPU rows, other flush counts). The CSV is still written, exit 0,
 * with one warning line that says which vCPUs are lost. A vCPU idle below
 * the highest one named is kept (the count reaches past it): no warning.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeBinaryTrace } from '../src/trace/binary/binaryTraceWriter.js';
import { traceFromText } from './helpers/traceFromText.js';
import { runCli } from './helpers/runCli.js';

const dir = mkdtempSync(join(tmpdir(), 'mmubench-convert-idle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An .mtr of one 8-byte read per listed vCPU, its header declaring `declared` vCPUs; then `convert` it to CSV. */
async function convertDeclaring(name: string, vcpus: readonly number[], declared: number) {
  const rows = vcpus.map((v, i) => `${v},R,0x${(0x1000 * (i + 1)).toString(16)},8`).join('\n');
  const trace = await traceFromText(`vcpu,op,gpa,size\n${rows}\n`, name);
  const mtr = join(dir, `${name}.mtr`);
  await writeBinaryTrace({ ...trace, vcpuCount: declared }, mtr);
  const csv = join(dir, `${name}.csv`);
  return { mtr, csv, result: runCli(['convert', mtr, csv, '-q']) };
}

describe('convert to CSV of a binary trace with idle vCPUs', () => {
  it('vCPUs above the highest one named: the CSV is written, exit 0, one warning naming them', async () => {
    const { mtr, csv, result } = await convertDeclaring('tail', [0], 3);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe(
      `mmubench: warning: ${csv}: ${mtr} declares 3 vCPUs, but no event names a vCPU above 0; a CSV cannot declare vCPUs 1-2, ` +
        `which ran no event, so ${csv} replays with 1 vCPU (per-vCPU rows and flush counts differ; keep the .mtr to replay all 3)\n`,
    );
    expect(readFileSync(csv, 'utf8')).toBe('vcpu,op,gpa,size\n0,R,0x1000,8\n');
  });

  it('one idle vCPU at the top: named in the singular', async () => {
    const { result } = await convertDeclaring('one', [0, 1], 3);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('no event names a vCPU above 1; a CSV cannot declare vCPU 2, which ran no event');
    expect(result.stderr).toContain('replays with 2 vCPUs');
  });

  it('an idle vCPU below the highest one named is kept by the count: no warning', async () => {
    const { result } = await convertDeclaring('middle', [0, 2], 3);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
  });
});
