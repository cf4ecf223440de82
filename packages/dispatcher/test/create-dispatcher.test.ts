import { RecordingLogger } from '@zocalo/workflows';
import { Dispatcher, ENTRY_POINT_GROUPS, STANDARD_FILTERS, createDispatcher } from '../src';
import type { DispatcherFilter, ReadinessHook } from '../src';

describe('createDispatcher', () => {
  it('reads python-zocalo storage keys and puts site filters before the standard ones', async () => {
    const siteFilter: DispatcherFilter = () => undefined;
    const ready: ReadinessHook = () => true;
    const logger = new RecordingLogger();
    const dispatcher = await createDispatcher({
      storage: {
        'zocalo.recipe_directory': '/dls_sw/apps/zocalo/live/recipes',
        'zocalo.dispatcher.logbook_location': '/dls/tmp/zocalo/dispatcher',
      },
      logger,
      loadEntryPoints: async (group) =>
        group === ENTRY_POINT_GROUPS.filters
          ? [
              { name: 'site', value: siteFilter },
              { name: 'broken', value: 'not a function' },
            ]
          : [{ name: 'ready', value: ready }],
    });
    expect(dispatcher).toBeInstanceOf(Dispatcher);
    expect(dispatcher.name).toBe('Dispatcher');
    expect(dispatcher.serviceClass).toBe('Dispatcher');
    expect(dispatcher.recipeDirectory).toBe('/dls_sw/apps/zocalo/live/recipes');
    expect(dispatcher.filters).toEqual([siteFilter, ...STANDARD_FILTERS]);
    expect(dispatcher.readiness).toEqual([ready]);
    expect(logger.records.map((record) => record.msg)).toEqual([
      'entry point broken of zocalo.services.dispatcher.filters is not a function; ignored',
    ]);
  });

  it('works without any configuration', async () => {
    const dispatcher = await createDispatcher();
    expect(dispatcher.recipeDirectory).toBeUndefined();
    expect(dispatcher.queue).toBe('processing_recipe');
  });
});
