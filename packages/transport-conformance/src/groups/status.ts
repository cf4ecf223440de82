import type { StatusMessage } from '@zocalo/workflows';
import { expectError } from '../expect-error';
import type { ConformanceOptions } from '../harness';
import { useHarness } from '../harness';
import { expect } from '../expect';
import { runnerFor } from '../runner';

/** Status broadcasts to transient.status. */
export function statusTests(options: ConformanceOptions): void {
  const { describe, it } = runnerFor(options);
  describe('status broadcasts', () => {
    const harness = useHarness(options);

    it('broadcasts a status to transient.status', async () => {
      const transport = await harness().connect();
      const collector = harness().collector();
      await transport.subscribeBroadcast('transient.status', collector.callback);
      const status: StatusMessage = {
        host: 'uk.ac.diamond.ws123.4711',
        workflows: '0.1.0',
        status: 2,
        statustext: 'idle',
        service: 'Conformance',
        serviceclass: 'ConformanceService',
        utilization: { '2': 0.9, '4': 0.1 },
      };
      await transport.broadcastStatus(status);
      const deliveries = await collector.waitFor(1);
      expect(deliveries.map((delivery) => delivery.message)).toContainEqual(status);
    });

    it('refuses a status without host, workflows or status with InvalidArgumentError', async () => {
      const transport = await harness().connect();
      const incomplete = { workflows: '0.1.0', status: 2 } as unknown as StatusMessage;
      await expectError(transport.broadcastStatus(incomplete), 'InvalidArgumentError');
      await expectError(
        transport.broadcastStatus({ host: 'h', status: 2 } as unknown as StatusMessage),
        'InvalidArgumentError',
      );
      await expectError(
        transport.broadcastStatus({ host: 'h', workflows: '1' } as unknown as StatusMessage),
        'InvalidArgumentError',
      );
    });
  });
}
